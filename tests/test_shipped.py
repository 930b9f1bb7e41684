"""This project's GPU-trained DnCNN-S in weights/: checksum, safe loading, provenance, and that it denoises."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn import config, model as M  # noqa: E402
from dncnn.denoise import load_denoiser  # noqa: E402
from dncnn.denoisers import shipped_denoiser  # noqa: E402
from dncnn.metrics import compute_psnr  # noqa: E402
from dncnn.noise import add_gaussian_noise  # noqa: E402
from dncnn.train import read_log  # noqa: E402


def test_shipped_files_are_listed_in_the_manifest_with_their_checksums():
    from dncnn.data import read_manifest, sha256_file

    manifest = read_manifest("ours")
    assert set(manifest) == {"dncnn-s-sigma25.keras", "dncnn-s-sigma25.json", "dncnn-s-sigma25.log.csv"}
    for name, digest in manifest.items():
        assert sha256_file(config.WEIGHTS_DIR / name) == digest, name


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
    assert M.count_layers(net, "conv") == 17 and M.count_layers(net, "bn") == 15


def test_a_damaged_or_unknown_shipped_model_is_refused(tmp_path, monkeypatch):
    shutil.copytree(config.WEIGHTS_DIR, tmp_path / "weights")
    monkeypatch.setattr(config, "WEIGHTS_DIR", tmp_path / "weights")
    target = tmp_path / "weights" / "dncnn-s-sigma25.keras"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-100])
    with pytest.raises(RuntimeError, match=r"dncnn-s-sigma25\.keras has SHA-256 .*git checkout"):
        M.load_shipped_model("dncnn-s-sigma25")
    target.unlink()
    with pytest.raises(FileNotFoundError, match=r"dncnn-s-sigma25\.keras is missing"):
        M.load_shipped_model("dncnn-s-sigma25")
    with pytest.raises(ValueError, match="allowed are dncnn-s-sigma25"):
        M.load_shipped_model("dncnn-s-sigma15")


@pytest.fixture(scope="module")
def bsd68_crops(raw_dir):
    from dncnn import data, evaluate

    _, images = data.load_dataset("BSD68", root=raw_dir, limit=2)
    return [evaluate.crop_center(image, 128) for image in images]


@pytest.mark.slow
def test_the_shipped_model_denoises_like_its_unfolded_self(bsd68_crops):
    denoiser = shipped_denoiser("dncnn-s-sigma25")
    assert denoiser.name == "DnCNN-S ours, paper recipe (GPU)" and denoiser.sigma == 25.0
    trained = M.load_shipped_model("dncnn-s-sigma25")
    for index, clean in enumerate(bsd68_crops):
        noisy = add_gaussian_noise(clean, 25, seed=0, index=index)
        estimate = denoiser(noisy, 25)
        direct = keras.ops.convert_to_numpy(trained(noisy[None, :, :, None], training=False))[0, :, :, 0]
        assert np.abs(estimate - direct).max() < 1e-4  # batch norm folded: same outputs up to rounding
        # a converged sigma-25 model gains about 9 dB on BSD68 on average, less on these textured crops
        assert compute_psnr(clean, estimate) > compute_psnr(clean, noisy) + 5


def test_model_ours_of_the_cli_is_the_shipped_model_and_only_for_sigma_25():
    denoiser, field = load_denoiser(model="ours")
    assert denoiser.name == "DnCNN-S ours, paper recipe (GPU)" and field == 35
    assert M.count_layers(denoiser.model, "bn") == 0
    with pytest.raises(ValueError, match="trained for sigma 25 only"):
        load_denoiser(model="ours", sigma=15)


@pytest.mark.slow
def test_cli_denoises_with_model_ours(bsd68_crops, tmp_path):
    import cv2

    clean = bsd68_crops[0]
    noisy = np.clip(add_gaussian_noise(clean, 25, seed=0), 0, 1)
    cv2.imwrite(str(tmp_path / "noisy.png"), np.round(noisy * 255).astype(np.uint8))
    result = subprocess.run([sys.executable, "-m", "dncnn", "denoise", str(tmp_path / "noisy.png"), str(tmp_path / "out.png"),
                             "--model", "ours"], capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "DnCNN-S ours, paper recipe (GPU)" in result.stdout
    out = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    assert compute_psnr(clean, out / 255) > compute_psnr(clean, cv2.imread(str(tmp_path / "noisy.png"), 0) / 255) + 4
    assert json.loads((config.WEIGHTS_DIR / "dncnn-s-sigma25.json").read_text())["git_commit"].startswith("ba67c2d")
