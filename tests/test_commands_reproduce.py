"""make reproduce: notebooks stored clean, run in order, failures named, tables published only when all pass."""

import json
import re

import nbformat
import pytest

from dncnn import config
from dncnn.commands import reproduce


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
def test_notebook_ends_with_its_findings(path):
    nb = json.loads(path.read_text())
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert any(text.lstrip().startswith("## Findings") for text in markdown), f"{path.name} has no closing '## Findings' cell"
    assert "display(Markdown(" in "".join(nb["cells"][-1]["source"])


def _executed_notebook(tmp_path):
    """A small executed notebook: a title, a progress bar redrawn three times on stdout, an image, findings."""
    import base64

    import cv2
    import numpy as np

    png = base64.b64encode(cv2.imencode(".png", np.full((8, 12), 128, np.uint8))[1].tobytes()).decode()
    nb = nbformat.v4.new_notebook()
    run = nbformat.v4.new_code_cell("evaluate()")
    run.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"\rBSD68: {k}/3") for k in range(1, 4)]
    run.outputs.append(nbformat.v4.new_output("stream", name="stdout", text="\n"))
    plot = nbformat.v4.new_code_cell("plot()")
    plot.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]
    shown = nbformat.v4.new_code_cell("display(Markdown(text))")
    shown.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "**Result.** 29.19 dB", "text/plain": "<Markdown>"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# 09 - A test\n\nWhat it asks."), run, plot,
                nbformat.v4.new_markdown_cell("## Findings"), shown]
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
    assert page.count('<details class="dncnn-code">') == 3 and "0123456789ab" in page
    index = written[1].read_text()
    assert '<a href="09-test.html">09 - A test</a>' in index and "What it asks." in index
    assert "<strong>Result.</strong> 29.19 dB" in index
