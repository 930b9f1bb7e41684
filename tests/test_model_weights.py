"""This project's GPU-trained DnCNN-S in weights/: checksum, safe loading, provenance."""

import shutil
from pathlib import Path

import pytest

keras = pytest.importorskip("keras")

from dncnn import config  # noqa: E402
from dncnn.files.fetch import DataError  # noqa: E402
from dncnn.model import weights as M  # noqa: E402
from dncnn.model.network import count_layers  # noqa: E402
from dncnn.training.runs import read_log  # noqa: E402


def test_shipped_files_carry_their_checksums_in_their_catalogue_entry():
    from dncnn.files.fetch import sha256_file
    from dncnn.model.catalog import SHIPPED, entries

    for entry in entries(source=SHIPPED):
        assert sha256_file(config.PROJECT_ROOT / entry.file) == entry.sha256, entry.file  # the model
        assert {Path(f).name for f, _ in entry.record} == {f"{entry.key}.json", f"{entry.key}.log.csv"}
        for name, digest in entry.record:  # its training record beside it
            assert sha256_file(config.PROJECT_ROOT / name) == digest, name


def test_the_sidecar_names_this_projects_commit_and_the_run(tmp_path):
    sidecar = M.read_shipped_sidecar("dncnn-s-sigma25")
    assert sidecar["git_commit"] == "ba67c2d4b8c6c0f3ce386bd1ef8092c5dc1a7788"
    assert sidecar["complete"] and sidecar["steps"] == 93100 and sidecar["epochs"] == 50
    assert sidecar["profile"]["name"] == "paper" and sidecar["profile"]["sigma"] == 25.0
    assert sidecar["backend"] == "jax" and "H200" in sidecar["device"] and sidecar["precision"] == "mixed_bfloat16"
    log = read_log(M.shipped_run_files("dncnn-s-sigma25")[0])
    assert [r["epoch"] for r in log] == list(range(1, 51)) and log[-1]["steps"] == 93100
    assert log[-1]["wall_seconds"] == pytest.approx(sidecar["wall_seconds"], abs=0.01)
    assert {r["learning_rate"] for r in log[:30]} == {1e-3} and {r["learning_rate"] for r in log[30:]} == {1e-4}


def test_loading_checks_the_checksum_then_loads_in_safe_mode(monkeypatch):
    calls = []
    real = keras.models.load_model
    monkeypatch.setattr(keras.models, "load_model", lambda *a, **k: calls.append(k) or real(*a, **k))
    net = M.load_shipped_model("dncnn-s-sigma25")
    assert calls == [{"compile": False, "safe_mode": True}]
    assert count_layers(net, "conv") == 17 and count_layers(net, "bn") == 15


def test_a_damaged_or_unknown_shipped_model_is_refused(tmp_path, monkeypatch):
    shutil.copytree(config.WEIGHTS_DIR, tmp_path / "weights")
    monkeypatch.setattr(config, "WEIGHTS_DIR", tmp_path / "weights")
    target = tmp_path / "weights" / "dncnn-s-sigma25.keras"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"dncnn-s-sigma25\.keras has SHA-256 .*git checkout"):
        M.load_shipped_model("dncnn-s-sigma25")
    target.unlink()
    with pytest.raises(FileNotFoundError, match=r"dncnn-s-sigma25\.keras is missing"):
        M.load_shipped_model("dncnn-s-sigma25")
    with pytest.raises(ValueError, match="allowed are dncnn-s-sigma25"):
        M.load_shipped_model("dncnn-s-sigma15")
