"""The published pages of a run, opened in a real headless browser (Debian's chromium and chromium-driver).

One smoke run of ``make reproduce`` (``python -m dncnn reproduce --profile smoke``, in a subprocess
started when the session begins, under an output root of its own: ``helpers.smoke_run_root``) serves the whole session: it is also the check that every notebook runs
under the smoke profile. The browser then opens every page it published and checks that every image
loads, the closing findings are there, nothing shows as a stderr block and nothing is fetched from
the network. Skipped, with the reason, only where chromium is missing outside CI (``.ci/run``
installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil

import nbformat
import pytest

from dncnn.commands import reproduce
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


@pytest.mark.slow
def test_the_pages_open_in_a_browser_with_images_findings_and_no_stderr(smoke_run):
    pages = smoke_run["root"] / "results" / "smoke" / "pages"
    browser = _browser()
    try:
        browser.get((pages / "index.html").as_uri())
        index_text = browser.find_element("tag name", "body").text
        links = [a.get_attribute("href").rsplit("/", 1)[-1] for a in browser.find_elements("css selector", "section h2 a")]
        assert links == [n.replace(".ipynb", ".html") for n in smoke_run["notebooks"]]
        for name in smoke_run["notebooks"]:
            executed = nbformat.read(str(smoke_run["root"] / "build" / "smoke" / name), as_version=4)
            findings = reproduce.closing_findings(executed)
            assert findings, f"{name} has no closing '## Findings' cell that displays the findings"
            browser.get((pages / name.replace(".ipynb", ".html")).as_uri())
            images = browser.execute_script(
                "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.src.slice(0, 30)])")
            assert images and all(done and width > 0 for done, width, _ in images), (name, images)
            text = browser.find_element("tag name", "body").text
            assert "Findings" in text and _plain(findings) in text, name
            assert _plain(findings) in index_text, name
            stderr = browser.find_elements("css selector", '[data-mime-type="application/vnd.jupyter.stderr"]')
            assert not stderr, f"{name} shows {len(stderr)} stderr block(s), e.g. {stderr[0].text[:200]!r}"
            severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
            assert not severe, (name, severe)  # e.g. a script or font the page tried to fetch offline
    finally:
        browser.quit()
