"""The authors' released weights, batch-norm folding, and the denoise command on good and bad inputs."""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import h5py
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn import config, reference  # noqa: E402
from dncnn.denoise import denoise_file, denoise_tiled  # noqa: E402
from dncnn.denoisers import KerasDenoiser  # noqa: E402
from dncnn.images import ImageError, read_noisy_image  # noqa: E402
from dncnn.metrics import compute_psnr  # noqa: E402
from dncnn.model import build_dncnn, fold_batchnorm  # noqa: E402
from dncnn.noise import add_gaussian_noise  # noqa: E402

WEIGHTS = config.PROJECT_ROOT.parent / "shared" / "reference-weights"


@pytest.fixture(scope="module")
def weights_dir():
    path = Path(os.environ.get(reference.WEIGHTS_MIRROR_ENV) or WEIGHTS)
    if not (path / "dncnn_s_sigma25.mat").is_file():
        pytest.skip(f"the authors' weights are absent: set {reference.WEIGHTS_MIRROR_ENV} to a folder holding dncnn_s_sigma25.mat")
    return path


@pytest.mark.parametrize("name,depth", [("dncnn_s_sigma25", 17), ("dncnn_b_gray_blind", 20)])
def test_released_models_read_as_conv_stacks(weights_dir, name, depth):
    pairs = reference.read_matconvnet(weights_dir / f"{name}.mat")
    assert len(pairs) == depth
    assert pairs[0][0].shape == (3, 3, 1, 64) and pairs[-1][0].shape == (3, 3, 64, 1)
    assert all(k.shape == (3, 3, 64, 64) and b.shape == (64,) for k, b in pairs[1:-1])


def test_fetch_checks_the_weights_checksum(weights_dir, tmp_path):
    path = reference.fetch_reference_weights("dncnn_s_sigma25", dest=tmp_path, mirror=weights_dir)
    assert path.read_bytes() == (weights_dir / "dncnn_s_sigma25.mat").read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "dncnn_s_sigma15.mat").write_bytes(b"not the file")
    with pytest.raises(Exception, match="dncnn_s_sigma15.mat .*SHA-256"):
        reference.fetch_reference_weights("dncnn_s_sigma15", dest=tmp_path / "out", mirror=bad)
    assert not (tmp_path / "out" / "dncnn_s_sigma15.mat").exists()


@pytest.mark.slow
def test_sigma25_weights_denoise_bsd68_images(weights_dir, raw_dir, monkeypatch):
    from dncnn import data

    monkeypatch.setenv(reference.WEIGHTS_MIRROR_ENV, str(weights_dir))
    denoiser = KerasDenoiser(reference.load_reference_model(weights_dir / "dncnn_s_sigma25.mat"))
    _, images = data.load_dataset("BSD68", root=raw_dir, limit=3)
    gains = []
    for index, clean in enumerate(images):
        noisy = add_gaussian_noise(clean, 25, seed=0, index=index)
        gains.append(compute_psnr(clean, denoiser(noisy, 25)) - compute_psnr(clean, noisy))
    # the released model gains about 9 dB on BSD68 on average at sigma 25, less on textured images
    assert min(gains) > 4 and np.mean(gains) > 6, gains


def test_wrong_files_are_refused_with_the_file_named(tmp_path):
    text = tmp_path / "notes.mat"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.mat is not a MATLAB v7.3"):
        reference.read_matconvnet(text)
    other = tmp_path / "other.mat"
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ValueError, match="other.mat has no net.layers"):
        reference.read_matconvnet(other)
    with pytest.raises(ValueError, match="unknown reference model 'dncnn_s_sigma30'"):
        reference.fetch_reference_weights("dncnn_s_sigma30")


def _trained_like(depth=6, filters=8):
    model = build_dncnn(depth, filters, seed=0)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 2, filters), rng.normal(0, 0.1, filters),
                               rng.normal(0, 0.2, filters), rng.uniform(0.2, 3, filters)])
    return model


def test_fold_batchnorm_keeps_the_outputs_and_drops_the_bn_layers():
    model = _trained_like()
    deploy = fold_batchnorm(model)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in deploy.layers)
    x = np.random.default_rng(1).random((1, 45, 37, 1)).astype("float32")
    diff = np.abs(keras.ops.convert_to_numpy(model(x, training=False)) - keras.ops.convert_to_numpy(deploy(x, training=False)))
    assert diff.max() < 1e-5


def test_tiled_inference_equals_whole_image_inference():
    denoiser = KerasDenoiser(fold_batchnorm(_trained_like(depth=6)))
    image = np.random.default_rng(2).random((100, 77)).astype("float32")
    whole = denoiser(image, None)
    tiled = denoise_tiled(denoiser, image, tile=32, margin=13)
    assert np.abs(whole - tiled).max() < 1e-5
    cut = denoise_tiled(denoiser, image, tile=32, margin=0)  # too little context: tiles show seams
    assert np.abs(whole - cut).max() > 1e-3


@pytest.fixture
def user_images(tmp_path, raw_dir):
    clean = cv2.imread(str(raw_dir / "Set12" / "01.png"), cv2.IMREAD_UNCHANGED)
    noisy = np.clip(add_gaussian_noise(clean, 25, seed=0), 0, 1)
    paths = {"grey": tmp_path / "grey.png", "rgba": tmp_path / "rgba.png", "deep": tmp_path / "deep.tif",
             "empty": tmp_path / "empty.png", "junk": tmp_path / "junk.png", "tiny": tmp_path / "tiny.png"}
    cv2.imwrite(str(paths["grey"]), np.round(noisy * 255).astype(np.uint8))
    grey8 = np.round(noisy * 255).astype(np.uint8)
    cv2.imwrite(str(paths["rgba"]), np.dstack([grey8, grey8, grey8, np.full_like(grey8, 255)]))
    cv2.imwrite(str(paths["deep"]), np.round(noisy * 65535).astype(np.uint16))
    paths["empty"].write_bytes(b"")
    paths["junk"].write_bytes(os.urandom(300))
    cv2.imwrite(str(paths["tiny"]), np.zeros((2, 2), np.uint8))
    return clean, paths


@pytest.mark.slow
def test_denoise_file_on_grey_colour_and_16_bit_images(user_images, tmp_path, weights_dir, monkeypatch):
    monkeypatch.setenv(reference.WEIGHTS_MIRROR_ENV, str(weights_dir))
    monkeypatch.setattr(reference, "WEIGHTS_DIR", tmp_path / "weights")
    clean, paths = user_images
    done = denoise_file(paths["grey"], tmp_path / "out.png", sigma=25, tile=128)
    assert done["model"] == "dncnn_s_sigma25" and done["converted"] is None
    out = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    assert out.dtype == np.uint8 and out.shape == clean.shape
    assert compute_psnr(clean, out / 255) > compute_psnr(clean, cv2.imread(str(paths["grey"]), 0) / 255) + 5
    done = denoise_file(paths["rgba"], tmp_path / "rgba-out.png", sigma=25)
    assert "converted to grey" in done["converted"] and "alpha dropped" in done["converted"]
    done = denoise_file(paths["deep"], tmp_path / "deep-out.tif", sigma=25)
    assert done["bits"] == 16 and cv2.imread(str(tmp_path / "deep-out.tif"), cv2.IMREAD_UNCHANGED).dtype == np.uint16


@pytest.mark.parametrize("kind,message", [("empty", "is empty"), ("junk", "not an image"), ("tiny", "is 2x2; at least 8x8")])
def test_bad_inputs_get_a_clear_error(user_images, kind, message):
    _, paths = user_images
    with pytest.raises(ImageError, match=message):
        read_noisy_image(paths[kind])


@pytest.mark.parametrize("kind", ["empty", "junk", "tiny"])
def test_cli_refuses_bad_inputs_and_writes_nothing(user_images, tmp_path, kind):
    _, paths = user_images
    out = tmp_path / f"{kind}-out.png"
    result = subprocess.run([sys.executable, "-m", "dncnn", "denoise", str(paths[kind]), str(out)],
                            capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 1 and result.stderr.startswith("error: ") and paths[kind].name in result.stderr
    assert not out.exists() and not list(tmp_path.glob(f".{kind}-out*"))
