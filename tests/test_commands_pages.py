"""What a published page must not show: each check of dncnn.commands.pages passes a clean page and
fails on a page made to break it (the browser's layout measurements are faked here; the real
browser runs them in test_commands_reproduce_pages.py)."""

from __future__ import annotations

import pytest

from dncnn.commands.pages import find_layout_problems, find_page_problems, find_text_problems

FINDING = ("<p><strong>BSD68, sigma 25.</strong> DnCNN-S scores 29.19 dB against BM3D's 28.62 dB "
           "(results/quick/summary.csv, 1.64 s per image), as https://github.com/cszn/DnCNN reports.</p>")


def page(*outputs: str) -> str:
    """A page as render_pages writes one: a heading, folded code that may name anything, a table with
    repeated cells, an image with its caption, the finding, then ``outputs``."""
    code = ('<details class="dncnn-code"><summary>code</summary><pre>profile = Profile(name="quick")\n'
            'path = "/work/main/data/raw"  # WARNING: not shown\n</pre></details>')
    table = "<table><tr><th>method</th><th>sigma 25</th></tr>" + "<tr><td>DnCNN-S authors' weights, twice</td><td>29.22</td></tr>" * 2 + "</table>"
    return ("<!DOCTYPE html><html><head><title>x</title><style>[data-mime-type='application/vnd.jupyter.stderr'] {}</style>"
            "<script>var warning = 'WARNING: in a script';</script></head><body><main>"
            f"<h2>Findings</h2>{code}{table}<img src='data:image/png;base64,AAAA' alt='Visual comparison'>"
            f"<h2>Findings</h2>{FINDING}<p>29.19 / 29.23 dB and/or N/A</p>{''.join(outputs)}</main></body></html>")


def kinds(problems: list[str]) -> set[str]:
    return {problem.split(":")[0] for problem in problems}


def test_a_clean_page_has_no_problems():
    assert find_text_problems(page()) == []


def plain(text: str) -> str:
    return f'<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain"><pre>{text}</pre></div>'


@pytest.mark.parametrize("kind, output", [
    ("repr", "<p>Profile(name='quick', patch_size=40)</p>"),
    ("repr", plain("PosixPath('results/quick')")),
    ("repr", plain("denoising  BSD68    2\nName: image, dtype: int64")),
    ("repr", plain("image    2\nName: image")),
    ("repr", plain("5 out of the last 9 calls to &lt;function compile_predict.&lt;locals&gt;.&lt;lambda&gt;")),
    ("repr", plain("&lt;dncnn.Model object at 0x7efe043e0900&gt;")),
    ("repr", plain("[5 rows x 3 columns]")),
    ("repr", "<p>78 rows × 8 columns</p>"),
    ("machine path", "<p>data in /work/main/data/raw</p>"),
    ("machine path", plain("/home/reader/dncnn-study/results")),
    ("machine path", plain("saved /tmp/run/figures/06.png")),
    ("machine path", plain("C:\\Users\\reader\\results")),
    ("machine path", "<p>quick /root/results/ablation</p>"),
    ("warning", plain("UserWarning: the bins are not integers")),
    ("warning", plain("WARNING:tensorflow:5 out of the last 5 calls")),
    ("warning", plain("Traceback (most recent call last):\n  File x")),
    ("warning", plain("triggered tf.function retracing. Tracing is expensive")),
    ("progress bar", plain("task/set/level: 100%|██████████| 23/23 [00:07&lt;00:00,  2.88setting/s]")),
    ("progress bar", plain("BSD68 sigma=25: 3/68 1.64s/image")),
    ("progress bar", plain("epochs: 12%| 1/8 [00:01&lt;00:07]")),
    ("progress bar", plain("3.2it/s")),
    ("bare value", '<div class="jp-RenderedText jp-OutputArea-output jp-OutputArea-executeResult" '
                   'data-mime-type="text/plain"><pre>238336</pre></div>'),
    ("stderr", '<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="application/vnd.jupyter.stderr"><pre>x</pre></div>'),
    ("alt text", "<img src='data:image/png;base64,AAAA'>"),
    ("alt text", "<img src='data:image/png;base64,AAAA' alt='No description has been provided for this image'>"),
    ("duplicate paragraph", FINDING),
    ("duplicate paragraph", f"<div><p>{FINDING[3:-4].replace(' ', chr(10))}</p></div>"),  # same text, other line breaks
])
def test_each_text_check_fails_on_a_page_made_to_break_it(kind, output):
    problems = find_text_problems(page(output))
    assert kinds(problems) == {kind}, problems


def test_a_short_repeat_is_not_a_duplicate_paragraph():
    assert find_text_problems(page("<p>Set12, sigma 50.</p>" * 3)) == []


FITS = {"viewport": 1280, "page_width": 1280, "column_right": 1220,
        "tables": [{"right": 700, "width": 600, "container": 1100, "text": "method"}],
        "images": [{"complete": True, "natural_width": 1100, "natural_height": 400, "shown_width": 1100,
                    "shown_height": 400, "right": 1200, "alt": "Visual comparison"}]}


def broken(**changes) -> dict:
    """FITS with the first table's or image's measurements changed."""
    table = {**FITS["tables"][0], **{k[6:]: v for k, v in changes.items() if k.startswith("table_")}}
    image = {**FITS["images"][0], **{k[6:]: v for k, v in changes.items() if k.startswith("image_")}}
    rest = {k: v for k, v in changes.items() if not k.startswith(("table_", "image_"))}
    return {**FITS, "tables": [table], "images": [image], **rest}


def test_a_layout_that_fits_has_no_problems():
    assert find_layout_problems(FITS) == [] and find_page_problems(page(), layout=FITS) == []


@pytest.mark.parametrize("kind, layout", [
    ("table too wide", broken(table_right=1400, table_width=1300)),  # past the column and the window
    ("table too wide", broken(table_right=1230)),  # past the column only
    ("table too wide", broken(table_width=1300)),  # wider than its own box (scrolls inside it)
    ("image shrunk", broken(image_shown_width=550, image_shown_height=200)),
    ("image shrunk", broken(image_shown_height=300)),
    ("image not loaded", broken(image_complete=False)),
    ("image not loaded", broken(image_natural_width=0)),
    ("image cut off", broken(image_right=1400)),
    ("page too wide", broken(page_width=1500)),
])
def test_each_layout_check_fails_on_a_layout_made_to_break_it(kind, layout):
    problems = find_layout_problems(layout)
    assert kinds(problems) == {kind}, problems
    assert kinds(find_page_problems(page(), layout=layout)) == {kind}
