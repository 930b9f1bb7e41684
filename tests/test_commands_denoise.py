"""Denoising a user's image files: tiling, bit depths, colour, the shipped model."""

import cv2
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn import config  # noqa: E402
from dncnn.evaluation.denoisers import KerasDenoiser  # noqa: E402
from dncnn.evaluation.metrics import compute_psnr  # noqa: E402
from dncnn.restoration.files import denoise_file  # noqa: E402
from dncnn.restoration.models import load_denoiser  # noqa: E402
from dncnn.restoration.tiling import denoise_tiled  # noqa: E402
from dncnn.model import reference  # noqa: E402
from dncnn.model.network import count_layers, fold_batchnorm  # noqa: E402
from dncnn.model.catalog import get_entry
from helpers import trained_like  # noqa: E402


def test_tiled_inference_equals_whole_image_inference():
    denoiser = KerasDenoiser(fold_batchnorm(trained_like(depth=6)))
    image = np.random.default_rng(2).random((100, 77)).astype("float32")
    whole = denoiser(image, None)
    tiled = denoise_tiled(denoiser, image, tile=32, margin=13)
    assert np.abs(whole - tiled).max() < 1e-5
    cut = denoise_tiled(denoiser, image, tile=32, margin=0)  # too little context: tiles show seams
    assert np.abs(whole - cut).max() > 1e-3


@pytest.mark.slow
def test_denoise_file_on_grey_colour_and_16_bit_images(user_images, tmp_path, weights_dir, monkeypatch):
    monkeypatch.setenv(reference.WEIGHTS_MIRROR_ENV, str(weights_dir))
    monkeypatch.setattr(config, "REFERENCE_WEIGHTS_DIR", tmp_path / "weights")
    clean, paths = user_images
    done = denoise_file(paths["grey"], tmp_path / "out.png", sigma=25, tile=64)  # 4 tiles
    assert done["model"] == "dncnn_s_sigma25" and done["converted"] is None
    out = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    assert out.dtype == np.uint8 and out.shape == clean.shape
    assert compute_psnr(clean, out / 255) > compute_psnr(clean, cv2.imread(str(paths["grey"]), 0) / 255) + 5
    done = denoise_file(paths["rgba"], tmp_path / "rgba-out.png", sigma=25)  # colour stays colour (CDnCNN-B)
    assert done["converted"] == "alpha dropped" and cv2.imread(str(tmp_path / "rgba-out.png"), cv2.IMREAD_UNCHANGED).shape[2] == 3
    done = denoise_file(paths["rgba"], tmp_path / "rgba-grey.png", sigma=25, grey=True)
    assert "converted to grey" in done["converted"] and "alpha dropped" in done["converted"]
    assert cv2.imread(str(tmp_path / "rgba-grey.png"), cv2.IMREAD_UNCHANGED).ndim == 2
    done = denoise_file(paths["deep"], tmp_path / "deep-out.tif", sigma=25)
    assert done["bits"] == 16 and cv2.imread(str(tmp_path / "deep-out.tif"), cv2.IMREAD_UNCHANGED).dtype == np.uint16


def test_model_ours_of_the_cli_is_the_shipped_model_and_only_for_sigma_25():
    denoiser, field = load_denoiser(model="ours")
    assert denoiser.name == get_entry("ours").name and field == 35
    assert count_layers(denoiser.model, "bn") == 0
    with pytest.raises(ValueError, match="trained for sigma 25 only"):
        load_denoiser(model="ours", sigma=15)


def test_the_library_speaks_in_parameters_and_the_command_in_flags(tmp_path):
    from dncnn.commands.denoise import explain_error
    from dncnn.files.images import OutputError

    (tmp_path / "clean.png").write_bytes(b"taken")
    with pytest.raises(OutputError, match="pass `overwrite=True` to replace it") as caught:
        denoise_file(tmp_path / "noisy.png", tmp_path / "clean.png", sigma=25)
    assert explain_error(caught.value).endswith("clean.png already exists; pass --overwrite to replace it")
    with pytest.raises(ValueError, match="give `weights` or `model`, not both") as caught:
        load_denoiser(weights=tmp_path / "w.keras", model="ours")
    assert explain_error(caught.value) == "give --weights or --model, not both"


class _Halve:
    """A stand-in network for the memory test (numpy, no TensorFlow): (x, sigma) -> float32 x / 2."""

    name = "halve"

    def __call__(self, x, sigma):
        return (x * 0.5).astype(np.float32)


def test_a_large_photo_is_denoised_in_a_small_multiple_of_its_size_with_tile_progress(tmp_path, monkeypatch, capsys):
    """The default path (sigma estimated, model chosen) on a 1.2-megapixel grey JPEG: every array the
    command makes (reading, the estimate, the tiles' output, writing; the network's own memory aside)
    peaks below 3x the float32 image plus the estimator's and the writer's fixed bands, and a bar of
    tiles done and time left goes to stderr (and one of the estimate's bands before it). (The estimate
    once took 6 float64 copies of the image.)"""
    import tracemalloc

    from dncnn.data import noise_estimation
    from dncnn.files import images
    from dncnn.restoration import models
    from dncnn.runtime import progress

    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.linspace(40, 200, 1000), np.linspace(0, 30, 1200))
    photo = np.clip(ramp + rng.normal(0, 10, ramp.shape), 0, 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "big.jpg"), photo)
    cv2.imwrite(str(tmp_path / "small.jpg"), photo[:64, :64])
    monkeypatch.setattr(models, "load_named_model", lambda name: (_Halve(), 35))
    monkeypatch.setattr(progress, "TILE_BAR_DELAY", 0.0)
    denoise_file(tmp_path / "small.jpg", tmp_path / "warm.png")  # imports and caches: not the image's memory
    capsys.readouterr()
    tracemalloc.start()
    try:
        done = denoise_file(tmp_path / "big.jpg", tmp_path / "out.png", tile=256)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    image_bytes = photo.size * 4
    bands = noise_estimation.BAND_PATCHES * 49 * 8 + images.QUANTIZE_BAND * 8 * 2  # fixed, whatever the image's size
    assert done["shape"] == photo.shape and done["model"] == "halve" and done["sigma_estimate"] > 5
    assert peak < 3 * image_bytes + bands, f"peak {peak / 1e6:.0f} MB for a {image_bytes / 1e6:.0f} MB float32 image"
    err = capsys.readouterr().err
    assert "denoising big.jpg" in err and "/20 [" in err and "<" in err, err[-500:]  # 4 x 5 tiles, time left
    assert "estimating the noise level" in err  # the estimate's own bar, before the tiles
    assert cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED).shape == photo.shape
