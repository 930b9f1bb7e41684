"""Provenance: the commit comes from this project's own repository, never from one that encloses a copy."""

import os
import shutil
import subprocess
import sys

import pytest

from dncnn import config
from dncnn.files import provenance

GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def _copy_project(dest):
    shutil.copytree(config.PROJECT_ROOT / "dncnn", dest / "dncnn", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(config.PROJECT_ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _commit_of_copy(root):
    """``git_commit()`` as the copy's own code computes it, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import dncnn.files.provenance as p, dncnn.config as c; print(c.PROJECT_ROOT); print(p.git_commit())"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    project_root, commit = out.stdout.split()
    assert project_root == str(root.resolve())
    return commit


@pytest.fixture
def git_available():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")


def test_a_copy_inside_another_repository_reports_unknown(tmp_path, git_available):
    outer = tmp_path / "outer"
    outer.mkdir()
    subprocess.run(GIT + ["init", "-q"], cwd=outer, check=True)
    (outer / "notes.txt").write_text("another project\n")
    copy = _copy_project(outer / "sub" / "dncnn-study")
    subprocess.run(GIT + ["add", "-A"], cwd=outer, check=True)  # the enclosing repository even tracks the copy
    subprocess.run(GIT + ["commit", "-qm", "outer"], cwd=outer, check=True)
    assert _commit_of_copy(copy) == "unknown"


def test_a_copy_in_its_own_repository_reports_its_head_and_dirty_only_for_tracked_changes(tmp_path, git_available):
    copy = _copy_project(tmp_path / "dncnn-study")
    subprocess.run(GIT + ["init", "-q"], cwd=copy, check=True)
    subprocess.run(GIT + ["add", "-A"], cwd=copy, check=True)
    subprocess.run(GIT + ["commit", "-qm", "own"], cwd=copy, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=copy, capture_output=True, text=True, check=True).stdout.strip()
    assert _commit_of_copy(copy) == head
    (copy / "scratch.txt").write_text("untracked\n")
    assert _commit_of_copy(copy) == head
    with open(copy / "pyproject.toml", "a") as f:
        f.write("# edited\n")
    assert _commit_of_copy(copy) == head + "+dirty"


def test_a_copy_outside_any_repository_reports_unknown(tmp_path, git_available):
    copy = _copy_project(tmp_path / "plain")
    if subprocess.run(["git", "rev-parse"], cwd=copy, capture_output=True).returncode == 0:
        pytest.skip("the temporary folder lies inside a git repository here")
    assert _commit_of_copy(copy) == "unknown"


def test_provenance_names_backend_device_versions_and_time():
    pytest.importorskip("keras")
    record = provenance.provenance()
    assert set(record) >= {"backend", "device", "versions", "git_commit", "created"}
    assert record["versions"]["numpy"] and record["device"]
