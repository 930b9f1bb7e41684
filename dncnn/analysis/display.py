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


COMPARISON_SIGMA = 50.0  # noise level of notebook 04's visual comparison, as in the paper's Figs. 9 and 10
# The one caption of each study figure (file name in figures/<profile>/ -> caption; ``{sigma}`` is filled
# in): the italic line under it on the pages, its alternative text, and its caption in the README and docs.
FIGURE_CAPTIONS = {
    "01_patches.png": "Training patches drawn at random from the run's set: 40x40 grey crops of Train400 at the "
                      "four scales, each flipped or rotated once, before noise is added.",
    "02_training.png": "Training loss against the number of training patches seen: this profile's run (where it "
                       "trained) beside the shipped 50-epoch GPU run.",
    "03_batch_histograms.png": "Pixel histograms of two training batches on the 0-255 grey scale: the clean patches, "
                               "the noisy patches and the residual (the noise) the network predicts.",
    "03_residual_histograms.png": "The residual to predict, batch by batch: the noise beside the super-resolution "
                                  "residual (bicubic x2, x3 and x4 reconstruction minus the patch) of the same patches.",
    "03_bn_statistics.png": "The input of every batch-norm layer over many training batches: each batch's mean and "
                            "standard deviation against the layer's moving statistics, for each model.",
    "04_gains.png": "PSNR gain of each DnCNN over BM3D on every image, images sorted by gain: above zero the network wins.",
    "04_comparison.png": "Visual comparison at sigma {sigma:g}: a BSD68 and a Set12 image, every method's output with "
                         "its PSNR; each inset magnifies the window where the methods' errors differ most.",
    "05_crops.png": "One crop per task: the degraded input, DnCNN-3's output and the clean image for denoising, "
                    "super-resolution and JPEG deblocking, and the colour denoisers; each PSNR is that of the crop shown.",
    "06_noise_levels.png": "Mean PSNR on BSD68 against the true noise level: each DnCNN-S, the blind DnCNN-B, BM3D "
                           "told the true sigma, and the choices made from an estimated sigma.",
    "06_estimators.png": "Estimated minus true sigma (0-255 scale) of each estimator on every BSD68 image, at each "
                         "true noise level.",
    "07_ablation.png": "Validation PSNR against training patches seen for the four combinations of residual learning "
                       "(RL) and batch norm (BN), one panel per budget.",
    "07_shipped_runs.png": "Training curves of this project's shipped GPU models.",
}


def caption_of(name: str, *, sigma: float = COMPARISON_SIGMA) -> str:
    """The caption of the study figure saved as ``name`` (:data:`FIGURE_CAPTIONS`).

    Raises:
        KeyError: a figure with no caption there (add one).
    """
    if name not in FIGURE_CAPTIONS:
        raise KeyError(f"no caption for the figure {name!r}: add one to dncnn.analysis.display.FIGURE_CAPTIONS")
    return FIGURE_CAPTIONS[name].format(sigma=float(sigma))


def show_figure(fig, path, *, caption: str | None = None, sigma: float = COMPARISON_SIGMA) -> Path:
    """Save a figure, close it and show the saved PNG in the notebook with its caption.

    Args:
        fig: a matplotlib Figure (of :mod:`dncnn.analysis.plots`).
        path: where it goes (``figures/<profile>/04_comparison.png``); at most :data:`MAX_WIDTH` px wide.
        caption: one or two sentences saying what the figure shows: the image's alternative text
            and the italic paragraph under it (default: the study's caption of the file's name,
            :func:`caption_of`, with ``sigma`` filled in).

    Returns:
        The saved file's path.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    caption = caption_of(Path(path).name, sigma=sigma) if caption is None else caption
    paragraph = caption_markdown(caption)  # an empty caption fails before anything is written
    path = save_page_figure(fig, path)
    plt.close(fig)
    data, metadata = figure_bundle(path, caption)
    display(data, metadata=metadata, raw=True)
    display(Markdown(paragraph))
    return path
