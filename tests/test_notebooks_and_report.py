"""Notebooks are stored clean with a parameters cell; a failing notebook is named; the README is generated."""

import json

import nbformat
import pytest

from dncnn import config, report, reproduce


@pytest.mark.parametrize("path", reproduce.list_notebooks(), ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs_with_a_parameters_cell(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and "profile = " in "".join(tagged[0]["source"])
    assert not any("def " in "".join(c["source"]) or "class " in "".join(c["source"]) for c in code)


def test_the_five_notebooks_in_order():
    assert [p.name for p in reproduce.list_notebooks()] == [
        "01-patches.ipynb", "02-training.ipynb", "03-histograms.ipynb", "04-evaluation.ipynb", "05-three-tasks.ipynb"]


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


def test_update_readme_replaces_only_the_marked_block(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.START}\nold\n{report.END}\noutro\n")
    monkeypatch.setattr(report, "render_results", lambda profile: f"new for {profile}")
    report.update_readme("quick", readme=readme)
    assert readme.read_text() == f"intro\n{report.START}\nnew for quick\n{report.END}\noutro\n"
