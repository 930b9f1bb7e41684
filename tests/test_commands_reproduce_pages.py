"""The published pages of a run, opened in a real headless browser (Debian's chromium and chromium-driver).

One smoke run of ``make reproduce`` (``python -m dncnn reproduce --profile smoke``, in a subprocess
started when the session begins, under an output root of its own: ``helpers.smoke_run_root``) serves the whole session: it is also the check that every notebook runs
under the smoke profile. The browser then opens every page it published and the index, and checks
that every image loads, each notebook's findings are there once, nothing is fetched from the network,
and that no page shows what ``dncnn.commands.pages`` looks for: a Python repr, a machine path, a
warning, a progress bar, a bare value, a paragraph twice, a table wider than the page or an image
shown smaller than it was saved. Those checks are first shown to fail in the browser on synthetic
pages made to break them. Skipped, with the reason, only where chromium is missing outside CI
(``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil

import nbformat
import pytest

from dncnn.commands import reproduce
from dncnn.commands.pages import MEASURE_LAYOUT_JS, find_layout_problems, find_page_problems
from helpers import smoke_run_root, start_smoke_run, wait_background


@pytest.fixture(scope="session")
def smoke_run(mirror):
    """The record of one ``reproduce --profile smoke`` run (notebooks, staged tables, pages), with
    ``"root"``: its output root (the run is started by conftest.py when the session begins)."""
    start_smoke_run(mirror)  # unless it runs already
    code, out, err = wait_background("smoke-run", timeout=900)
    assert code == 0, f"make reproduce PROFILE=smoke failed:\n{out[-4000:]}\n{err[-4000:]}"
    root = smoke_run_root()
    return {**json.loads((root / "results" / "smoke" / "reproduce.json").read_text()), "root": root}


@pytest.mark.slow
def test_every_notebook_runs_under_smoke_and_gets_a_page(smoke_run):
    names = [p.name for p in reproduce.list_notebooks()]
    assert list(smoke_run["notebooks"]) == names
    pages = smoke_run["root"] / "results" / "smoke" / "pages"
    assert sorted(p.name for p in pages.glob("*.html")) == sorted([n.replace(".ipynb", ".html") for n in names] + ["index.html"])


def _browser():
    chromium, driver_path = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing in CI: .ci/run installs them with apt-get")
        pytest.skip("headless Chromium is not installed: apt-get install -y chromium chromium-driver (.ci/run does)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extras: pip install -e '.[dev]'")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


def _plain(markdown: str) -> str:
    """The first sentence of a findings paragraph as a browser shows it (no ``**`` or backticks)."""
    text = re.sub(r"[*`]", "", markdown).strip()
    return text.split(". ")[0][:80]


def _kinds(problems: list[str]) -> list[str]:
    return sorted(problem.split(":")[0] for problem in problems)


def _png_output(width: int, height: int, *, shown_width: int | None = None, alt: str = "A figure"):
    """A display_data output as dncnn.analysis.display.show_figure writes one: the PNG with its size
    and caption (``shown_width`` other than ``width``: an image embedded smaller than it was saved)."""
    import base64

    import cv2
    import numpy as np

    png = base64.b64encode(cv2.imencode(".png", np.full((height, width), 200, np.uint8))[1].tobytes()).decode()
    shown = shown_width or width
    return nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"},
                                  metadata={"image/png": {"width": shown, "height": height * shown // width, "alt": alt}})


def _html_table(cell: str, columns: int):
    html = ("<table><thead><tr>" + "".join(f"<th>c{k}</th>" for k in range(columns)) + "</tr></thead><tbody><tr>"
            + "".join(f"<td>{cell}</td>" for _ in range(columns)) + "</tr></tbody></table>")
    return nbformat.v4.new_output("execute_result", data={"text/html": html, "text/plain": "<table>"}, execution_count=1)


def _synthetic_notebook(path, *outputs):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = list(outputs)
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), cell]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def synthetic_pages(tmp_path_factory):
    """Pages rendered by render_pages (the real template and CSS) and measured in one browser session:
    ``{name: (html, layout)}`` for a page that fits (a figure 1100 px wide, the widest the figure helper
    saves, and a narrow table), one made to break the layout checks (a table of unbreakable cells wider
    than the page, an image embedded at half the width it was saved) and the index with its headline figure."""
    root = tmp_path_factory.mktemp("pages")
    fits = _synthetic_notebook(root / "01-fits.ipynb", _png_output(1100, 300), _html_table("29.19", 6))
    breaks = _synthetic_notebook(root / "02-breaks.ipynb", _html_table("C_A_EP_2_cores_" + "x" * 30, 12),
                                 _png_output(400, 100, shown_width=200))
    figures = root / "figures"
    figures.mkdir()
    (figures / reproduce.HEADLINE_FIGURES[0]).write_bytes(
        __import__("base64").b64decode(_png_output(1100, 400).data["image/png"]))
    written = reproduce.render_pages([fits, breaks], root / "results" / "pages", figures=figures)
    browser = _browser()
    try:
        measured = {}
        for page in written:
            browser.get(page.as_uri())
            measured[page.name] = (page.read_text(), browser.execute_script(MEASURE_LAYOUT_JS))
        return measured
    finally:
        browser.quit()


def test_a_page_with_a_1100_px_figure_and_a_narrow_table_fits_at_1280_px(synthetic_pages):
    html, layout = synthetic_pages["01-fits.html"]
    assert [(i["natural_width"], i["shown_width"]) for i in layout["images"]] == [(1100, 1100)]
    assert find_page_problems(html, layout=layout) == []
    html, layout = synthetic_pages["index.html"]
    assert [(i["natural_width"], i["shown_width"]) for i in layout["images"]] == [(1100, 1100)]
    assert find_page_problems(html, layout=layout) == []


def test_the_browser_check_catches_a_table_wider_than_the_page_and_an_image_shown_at_half_size(synthetic_pages):
    html, layout = synthetic_pages["02-breaks.html"]
    problems = find_layout_problems(layout)
    assert _kinds(problems) == ["image shrunk", "table too wide"], problems  # the table scrolls in its box: the page does not
    assert "saved 400x100 px, shown 200x50 px" in " ".join(problems)


@pytest.mark.slow
def test_the_pages_open_in_a_browser_with_images_findings_and_nothing_a_reader_should_not_see(smoke_run):
    pages = smoke_run["root"] / "results" / "smoke" / "pages"
    browser = _browser()
    problems = {}
    try:
        browser.get((pages / "index.html").as_uri())
        index_text = browser.find_element("tag name", "body").text
        links = [a.get_attribute("href").rsplit("/", 1)[-1] for a in browser.find_elements("css selector", "section h2 a")]
        assert links == [n.replace(".ipynb", ".html") for n in smoke_run["notebooks"]]
        problems["index.html"] = find_page_problems((pages / "index.html").read_text(), layout=browser.execute_script(MEASURE_LAYOUT_JS))
        for name in smoke_run["notebooks"]:
            executed = nbformat.read(str(smoke_run["root"] / "build" / "smoke" / name), as_version=4)
            findings = reproduce.collect_findings(executed)
            assert findings, f"{name} displays no findings from a cell tagged {reproduce.FINDINGS_TAG!r}"
            page = pages / name.replace(".ipynb", ".html")
            browser.get(page.as_uri())
            assert _plain(findings) in browser.find_element("tag name", "body").text, name
            assert _plain(findings) in index_text, name
            problems[page.name] = find_page_problems(page.read_text(), layout=browser.execute_script(MEASURE_LAYOUT_JS))
            severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
            assert not severe, (name, severe)  # e.g. a script or font the page tried to fetch offline
    finally:
        browser.quit()
    found = {name: found for name, found in problems.items() if found}
    assert not found, "\n".join(f"{name}: {problem}" for name, page_problems in found.items() for problem in page_problems)
