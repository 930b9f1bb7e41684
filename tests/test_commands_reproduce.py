"""make reproduce: notebooks stored clean, run in order, failures named, tables published only when all pass."""

import json
import re

import nbformat
import pytest

from dncnn import config
from dncnn.commands import reproduce
from dncnn.commands.pages import find_text_problems, read_visible


@pytest.mark.parametrize("path", reproduce.list_notebooks(), ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs_with_a_parameters_cell(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and "profile = " in "".join(tagged[0]["source"])
    assert not any("def " in "".join(c["source"]) or "class " in "".join(c["source"]) for c in code)


def test_the_notebooks_in_order():
    assert [p.name for p in reproduce.list_notebooks()] == [
        "01-patches.ipynb", "02-training.ipynb", "03-histograms.ipynb", "04-evaluation.ipynb", "05-three-tasks.ipynb",
        "06-noise-levels.ipynb", "07-training-claims.ipynb"]


@pytest.mark.slow
def test_a_failing_notebook_is_named_with_its_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "smoke"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99-broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(reproduce.NotebookFailed, match=r"99-broken\.ipynb failed in cell \d+ .*RuntimeError: boom"):
        reproduce.execute_notebooks("smoke", notebooks=[path], out_dir=tmp_path / "out", log_output=False)


@pytest.mark.slow
def test_a_failing_notebook_leaves_the_published_tables_alone(tmp_path, monkeypatch):
    import nbformat

    results = tmp_path / "results"
    monkeypatch.setattr(config, "RESULTS_DIR", results)
    monkeypatch.setattr(config, "FIGURES_DIR", tmp_path / "figures")
    monkeypatch.setattr(config, "BUILD_DIR", tmp_path / "build")
    (results / "smoke").mkdir(parents=True)
    (results / "smoke" / "summary.csv").write_text("previous run\n")

    def notebook(name, code):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell('profile = "smoke"')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(code)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    writes = notebook("01-writes.ipynb", "from dncnn import config\nfrom dncnn.files import atomic\n"
                                         "atomic.save_text(config.results_dir(profile, stage=stage) / 'summary.csv', 'partial\\n')")
    fails = notebook("02-fails.ipynb", "raise ValueError('half-way')")
    with pytest.raises(reproduce.NotebookFailed, match="02-fails.ipynb failed in cell"):
        reproduce.reproduce("smoke", notebooks=[writes, fails])
    assert (results / "smoke" / "summary.csv").read_text() == "previous run\n"
    reproduce.reproduce("smoke", notebooks=[writes])
    assert (results / "smoke" / "summary.csv").read_text() == "partial\n"


def test_a_parameter_no_notebook_declares_is_refused_before_anything_runs(tmp_path, monkeypatch):
    from dncnn.commands import reproduce as R

    declared = R.declared_parameters()
    assert {"profile", "stage", "train_model", "mixed_precision", "max_minutes", "full_tasks"} <= declared
    ran = []
    monkeypatch.setattr(R, "execute_notebooks", lambda *a, **k: ran.append(1))
    with pytest.raises(ValueError, match="mixed_precison"):
        R.reproduce("smoke", parameters={"mixed_precison": True})  # a typo would otherwise change nothing
    assert ran == []


@pytest.mark.parametrize("path", reproduce.list_notebooks(), ids=lambda p: p.name)
def test_notebook_shows_each_finding_once_in_cells_tagged_findings(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if reproduce.FINDINGS_TAG in c.get("metadata", {}).get("tags", [])]
    assert tagged and all(c["cell_type"] == "code" and "display(" in "".join(c["source"]) for c in tagged), \
        f"{path.name}: every finding is displayed by a code cell tagged {reproduce.FINDINGS_TAG!r}"
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert not any(text.lstrip().startswith("## Findings") for text in markdown), f"{path.name} repeats its findings at the end"


def _png(width: int, height: int) -> bytes:
    import cv2
    import numpy as np

    return cv2.imencode(".png", np.full((height, width), 128, np.uint8))[1].tobytes()


def _executed_notebook(tmp_path):
    """A small executed notebook: a title, a progress bar redrawn three times on stdout, a stderr
    warning, a figure with its caption, a finding shown by a tagged cell and an untagged Markdown output."""
    import base64

    png = base64.b64encode(_png(12, 8)).decode()
    nb = nbformat.v4.new_notebook()
    run = nbformat.v4.new_code_cell("evaluate()")
    run.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"\rBSD68: {k}/3") for k in range(1, 4)]
    run.outputs.append(nbformat.v4.new_output("stream", name="stdout", text="\n"))
    run.outputs.append(nbformat.v4.new_output("stream", name="stderr", text="UserWarning: something noisy\n"))
    plot = nbformat.v4.new_code_cell("show_figure(path)")
    plot.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"},
                                           metadata={"image/png": {"width": 12, "height": 8, "alt": 'Gains over "BM3D"'}})]
    shown = nbformat.v4.new_code_cell("display(Markdown(text))")
    shown.metadata["tags"] = [reproduce.FINDINGS_TAG]
    shown.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "**Result.** 29.19 dB", "text/plain": "<Markdown>"})]
    table = nbformat.v4.new_code_cell("display(Markdown(table))")  # not a finding: untagged
    table.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "| a |\n|---|\n| 1 |", "text/plain": "<Markdown>"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# 09 - A test\n\nWhat it asks."), run, plot, shown, table]
    path = tmp_path / "09-test.ipynb"
    nbformat.write(nb, path)
    return path


def test_pages_are_self_contained_with_code_folded_and_progress_reduced(tmp_path):
    path = _executed_notebook(tmp_path)
    record = {"profile": "smoke", "seconds": 90.0, "device": "CPU", "backend": "tensorflow", "git_commit": "0123456789abcdef"}
    written = reproduce.render_pages([path], tmp_path / "pages", record=record)
    assert [p.name for p in written] == ["09-test.html", "index.html"]
    page = written[0].read_text()
    assert "BSD68: 3/3" in page and "BSD68: 1/3" not in page  # only the bar's last state
    assert 'src="data:image/png;base64,' in page
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)  # nothing fetched: readable offline
    assert page.count('<details class="dncnn-code">') == 4 and "0123456789ab" in page
    index = written[1].read_text()
    assert '<a href="09-test.html">09 - A test</a>' in index
    assert "<strong>Result.</strong> 29.19 dB" in index and "<td>1</td>" not in index  # the tagged finding only
    assert "Headline" not in index  # no table or figure in this partial run: left out
    assert find_text_problems(page) == [] and find_text_problems(index) == []  # the stderr warning left out


def test_a_page_shows_the_figure_at_its_size_with_its_caption_and_no_stderr(tmp_path):
    path = _executed_notebook(tmp_path)
    page = reproduce.render_pages([path], tmp_path / "pages")[0].read_text()
    (image,) = read_visible(page).images
    assert (image["width"], image["height"], image["alt"]) == ("12", "8", 'Gains over "BM3D"')
    assert "No description has been provided" not in page
    assert "something noisy" not in page and "application/vnd.jupyter.stderr\"" not in page
    assert path.with_suffix(".stderr.log").read_text() == "UserWarning: something noisy\n"


def test_the_index_opens_with_the_runs_headline_table_and_figure(tmp_path):
    path = _executed_notebook(tmp_path)
    results, figures = tmp_path / "results" / "smoke", tmp_path / "figures" / "smoke"
    figures.mkdir(parents=True)
    results.mkdir(parents=True)
    (results / reproduce.HEADLINE_TABLE).write_text("| dataset | method | sigma 25 |\n|---|---|---|\n| BSD68 | BM3D | 28.62 |\n")
    (figures / "04_comparison.png").write_bytes(_png(30, 20))
    index = reproduce.render_pages([path], results / "pages", figures=figures)[-1].read_text()
    headline, findings = index.index("Headline"), index.index("<strong>Result.</strong>")
    assert headline < index.index("<td>28.62</td>") < findings
    assert headline < index.index("<img") < findings
    (image,) = read_visible(index).images
    assert image["src"].startswith("data:image/png;base64,") and (image["width"], image["height"]) == ("30", "20")
    assert image["alt"].startswith("Visual comparison")  # the figure's caption (dncnn.analysis.report.FIGURES)


def test_findings_are_collected_from_tagged_cells_in_order():
    nb = nbformat.v4.new_notebook()
    cells = []
    for k, tags in enumerate([["findings"], [], ["findings", "other"]]):
        cell = nbformat.v4.new_code_cell(f"display(Markdown(f{k}))")
        cell.metadata["tags"] = tags
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": f"Finding {k}.\n", "text/plain": "<Markdown>"})]
        cells.append(cell)
    nb.cells = [nbformat.v4.new_markdown_cell("Finding 9."), *cells]
    assert reproduce.collect_findings(nb) == "Finding 0.\n\nFinding 2."


def test_an_erased_progress_bar_leaves_no_output_on_a_page_and_real_output_stays():
    """A bar in a kernel is redrawn with carriage returns and erased when it closes
    (dncnn.runtime.progress); the blank stream it leaves is dropped, printed text is kept."""
    import nbformat

    erased = "\rBSD68:  50%|#####     | 1/2\rBSD68: 100%|##########| 2/2\r                         \r"
    cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stdout", text=erased),
                                                   nbformat.v4.new_output("stream", name="stdout", text="kept\n")])
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert reproduce.drop_blank_streams(nb) == 1
    assert [o["text"] for o in nb.cells[0].outputs] == ["kept\n"]
    assert reproduce.shown_text("a\rb\nc") == "b\nc"


def test_a_progress_bar_inside_a_kernel_is_erased_when_it_closes(monkeypatch, capsys):
    """In a kernel the bar goes to stdout and leaves nothing once closed, even when asked to stay."""
    from dncnn.runtime import progress

    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    bar = progress.progress_bar(total=2, desc="images", leave=True)
    bar.update(2)
    bar.close()
    assert not reproduce.shown_text(capsys.readouterr().out).strip()


def test_a_bar_erased_in_a_later_stream_message_leaves_nothing():
    """The kernel sends a bar's first draw and its erasure as separate stream messages: they are read
    together, as the browser would show them."""
    import nbformat

    parts = ["\rSet12: 0%|          | 0/12", "\rSet12: 100%|##########| 12/12", "\r" + " " * 30 + "\r"]
    cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stdout", text=t) for t in parts])
    nb = nbformat.v4.new_notebook(cells=[cell])
    reproduce.drop_blank_streams(nb)
    assert nb.cells[0].outputs == []
