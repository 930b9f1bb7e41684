"""Show a study figure in a notebook as it was saved: the PNG file itself, 1:1, with its caption.

A notebook cell calls :func:`show_figure` once per figure: the figure is saved (the file the pages
and the README link to), closed (so matplotlib's inline backend does not draw it a second time),
and the saved PNG is published as one ``display_data`` output whose metadata give its pixel size
(the page shows it at the size it was saved) and its caption as alternative text, followed by the
caption as one italic Markdown paragraph.
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path

MAX_WIDTH = 1100  # px: the widest figure a page shows at full size (the page's column is 1180 px with padding)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` in pixels of a PNG file's bytes (from its IHDR chunk).

    Raises:
        ValueError: for bytes that are not a PNG.
    """
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError(f"not a PNG file (first bytes {data[:16]!r})")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def caption_markdown(caption: str) -> str:
    """The caption as one italic Markdown paragraph, ``*Figure: ...*``: whitespace (newlines
    included) collapsed to single spaces, Markdown's emphasis characters escaped.

    Raises:
        ValueError: for an empty caption.
    """
    text = " ".join(caption.split())
    if not text:
        raise ValueError("a figure needs a caption. Received an empty one")
    for char in ("\\", "*", "_", "`"):
        text = text.replace(char, "\\" + char)
    return f"*Figure: {text}*"


def figure_bundle(path, caption: str) -> tuple[dict, dict]:
    """The display_data of a saved PNG: ``({"image/png": base64 text}, {"image/png": {"width": W,
    "height": H, "alt": caption}})``, W and H its size in pixels (so the page shows it 1:1) and the
    alternative text the caption (whitespace collapsed)."""
    data = Path(path).read_bytes()
    width, height = png_size(data)
    alt = " ".join(caption.split())
    return ({"image/png": base64.b64encode(data).decode("ascii")},
            {"image/png": {"width": width, "height": height, "alt": alt}})


def save_page_figure(fig, path, *, max_width: int = MAX_WIDTH) -> Path:
    """Save ``fig`` to ``path`` with :func:`dncnn.files.atomic.save_figure` (120 dpi, tight box);
    a figure that comes out wider than ``max_width`` pixels is saved again at the dpi that fits it
    (the study's figures are sized to fit at 120 dpi; this is the guard)."""
    from ..files.atomic import save_figure

    path = save_figure(path, fig)
    width, _ = png_size(Path(path).read_bytes())
    dpi = 120
    while width > max_width and dpi > 20:
        dpi = int(dpi * max_width / width) - 1
        save_figure(path, fig, dpi=dpi)
        width, _ = png_size(Path(path).read_bytes())
    return Path(path)


def show_figure(fig, path, *, caption: str) -> Path:
    """Save a figure, close it and show the saved PNG in the notebook with its caption.

    Args:
        fig: a matplotlib Figure (of :mod:`dncnn.analysis.plots`).
        path: where it goes (``figures/<profile>/04_comparison.png``); at most :data:`MAX_WIDTH` px wide.
        caption: one or two sentences saying what the figure shows: the image's alternative text
            and the italic paragraph under it.

    Returns:
        The saved file's path.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    paragraph = caption_markdown(caption)  # an empty caption fails before anything is written
    path = save_page_figure(fig, path)
    plt.close(fig)
    data, metadata = figure_bundle(path, caption)
    display(data, metadata=metadata, raw=True)
    display(Markdown(paragraph))
    return path
