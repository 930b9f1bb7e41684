"""A figure reaches the page as the PNG it was saved as: 1:1, at most 1100 px wide, its caption as alt text."""

import base64

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dncnn.analysis import display  # noqa: E402


def _figure(width_in: float, height_in: float = 2.0):
    fig, ax = plt.subplots(figsize=(width_in, height_in))
    ax.plot([0, 1], [0, 1])
    return fig


def test_png_size_reads_the_header_and_refuses_other_bytes(tmp_path):
    path = display.save_page_figure(_figure(4.0, 2.0), tmp_path / "a.png")
    width, height = display.png_size(path.read_bytes())
    assert 400 < width <= 480 and 200 < height <= 240  # 120 dpi, tight box
    with pytest.raises(ValueError, match="not a PNG"):
        display.png_size(b"GIF89a" + bytes(30))


def test_a_figure_too_wide_is_saved_again_to_fit(tmp_path):
    path = display.save_page_figure(_figure(14.0), tmp_path / "wide.png")  # 1680 px at 120 dpi
    assert display.png_size(path.read_bytes())[0] <= display.MAX_WIDTH
    assert display.png_size(path.read_bytes())[0] > 900  # shrunk to fit, not to a thumbnail


def test_figure_bundle_gives_the_saved_size_and_the_caption(tmp_path):
    path = display.save_page_figure(_figure(5.0), tmp_path / "b.png")
    data, metadata = display.figure_bundle(path, "PSNR against sigma,\n  one line per model.")
    assert base64.b64decode(data["image/png"]) == path.read_bytes()
    width, height = display.png_size(path.read_bytes())
    assert metadata == {"image/png": {"width": width, "height": height, "alt": "PSNR against sigma, one line per model."}}


def test_caption_is_one_italic_paragraph():
    assert display.caption_markdown("Mean PSNR\n\nper sigma.") == "*Figure: Mean PSNR per sigma.*"
    assert display.caption_markdown("a*b_c") == r"*Figure: a\*b\_c*"  # no stray emphasis
    with pytest.raises(ValueError, match="caption"):
        display.caption_markdown("  \n ")


def test_show_figure_publishes_the_saved_png_once_then_its_caption(tmp_path):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    fig = _figure(5.0)
    with capture_output() as captured:
        path = display.show_figure(fig, tmp_path / "c.png", caption="A line.")
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend cannot draw it a second time
    image, caption = captured.outputs
    assert image.data == {"image/png": base64.b64encode(path.read_bytes()).decode("ascii")}
    assert image.metadata["image/png"]["alt"] == "A line."
    assert image.metadata["image/png"]["width"] == display.png_size(path.read_bytes())[0]
    assert caption.data["text/markdown"] == "*Figure: A line.*"


def test_every_figure_the_notebooks_show_has_its_one_caption_and_the_comparison_sigma_is_the_constant():
    """The notebooks' figures take their caption from FIGURE_CAPTIONS by file name (the pages' alt text
    and the README's caption are then one text), and notebook 04 draws its comparison at COMPARISON_SIGMA."""
    import ast
    import json
    import re

    from dncnn import config

    shown = set()
    for notebook in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            source = "".join(cell["source"])
            shown |= set(re.findall(r'show_figure\(.*?"(\d\d_[a-z_]+\.png)"', source))
            if "parameters" in cell["metadata"].get("tags", []) and "comparison_sigma" in source:
                values = {t.id: ast.literal_eval(node.value) for node in ast.parse(source).body
                          if isinstance(node, ast.Assign) for t in node.targets}
                assert values["comparison_sigma"] == display.COMPARISON_SIGMA
    assert len(shown) >= 12 and shown <= set(display.FIGURE_CAPTIONS)
    assert "sigma 50" in display.caption_of("04_comparison.png") and "sigma 15" in display.caption_of("04_comparison.png", sigma=15)
    with pytest.raises(KeyError, match="FIGURE_CAPTIONS"):
        display.caption_of("99_missing.png")
