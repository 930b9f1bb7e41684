"""Validation during training: a fixed seeded Set5 batch, scored as the evaluation protocol scores."""

from dataclasses import replace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn.evaluation.metrics import compute_psnr  # noqa: E402
from dncnn.profiles import get_profile  # noqa: E402
from dncnn.training import validation  # noqa: E402


def test_the_validation_psnr_is_the_protocols_psnr_averaged():
    rng = np.random.default_rng(0)
    clean = rng.integers(0, 256, (3, 20, 20), dtype=np.uint8)
    estimates = clean / 255 + rng.normal(0, 0.05, clean.shape)  # some values outside [0, 1]: clipped first
    expected = np.mean([compute_psnr(c, e) for c, e in zip(clean, estimates)])
    assert validation.validation_psnr(clean, estimates) == pytest.approx(expected, abs=1e-9)


def test_the_validation_set_is_seeded_set5_crops_at_each_sigma_and_not_the_results_table(mirror):
    profile = replace(get_profile("smoke"), validation_images=2, validation_crop=48, validation_sigmas=(15.0, 50.0))
    batch = validation.load_validation_set(profile)
    assert batch["clean"].shape == (4, 48, 48) and batch["clean"].dtype == np.uint8
    assert batch["noisy"].shape == (4, 48, 48, 1) and batch["noisy"].dtype == np.float32
    assert batch["names"] == ["baby_GT.bmp", "bird_GT.bmp"] * 2 and batch["sigmas"] == [15.0, 15.0, 50.0, 50.0]
    noise = (batch["noisy"][..., 0] - batch["clean"] / np.float32(255)) * 255
    np.testing.assert_allclose(noise[2:] / 50, noise[:2] / 15, atol=1e-3)  # the protocol: one pattern per image at every sigma
    again = validation.load_validation_set(profile)
    np.testing.assert_array_equal(again["noisy"], batch["noisy"])
    assert validation.load_validation_set(replace(profile, validation_images=0)) is None


def test_a_perfect_denoiser_scores_its_rounding_and_the_batch_pads_to_the_devices(mirror):
    batch = validation.load_validation_set(replace(get_profile("smoke"), validation_images=3, validation_crop=32))
    identity = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Identity()])
    psnr, seconds = validation.measure_validation(identity, batch, devices=2)  # 3 entries padded to 4, then dropped
    noisy_psnr = np.mean([compute_psnr(c, n[..., 0]) for c, n in zip(batch["clean"], batch["noisy"])])
    assert psnr == pytest.approx(noisy_psnr, abs=1e-9) and seconds >= 0
