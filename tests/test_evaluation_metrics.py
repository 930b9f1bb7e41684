"""PSNR and SSIM by the authors' protocol, against independent values."""

import math

import numpy as np
import pytest

from dncnn.data.noise import add_gaussian_noise
from dncnn.evaluation.metrics import compute_psnr, compute_ssim, to_uint8


def test_psnr_of_unit_mse_is_20_log10_255():
    # Independent reference: MSE = 1 on the 0-255 scale gives PSNR = 10 log10(255^2 / 1) = 48.1308 dB.
    clean = np.full((8, 8), 100, np.uint8)
    estimate = np.full((8, 8), 101 / 255, np.float32)
    assert compute_psnr(clean, estimate) == pytest.approx(20 * math.log10(255), abs=1e-9)
    assert compute_psnr(clean, estimate) == pytest.approx(48.1308036, abs=1e-6)


def test_estimates_are_clipped_and_rounded_before_psnr():
    assert to_uint8(np.array([-0.2, 0.5 / 255, 1.5 / 255, 1.3])).tolist() == [0, 0, 2, 255]
    clean = np.array([[0, 255]], np.uint8)
    with np.errstate(divide="ignore"):
        assert compute_psnr(clean, np.array([[-5.0, 7.0]])) == math.inf


def test_ssim_of_identical_images_is_one_and_drops_with_noise():
    clean = np.tile(np.linspace(40, 200, 64), (64, 1)).astype(np.uint8)  # a smooth ramp
    assert compute_ssim(clean, clean / 255) == pytest.approx(1.0)
    assert compute_ssim(clean, add_gaussian_noise(clean, 25, seed=0)) < 0.5


def _reference_psnr(clean, estimate):
    """PSNR written out (the authors' im2uint8 then 10 log10(255^2 / MSE)): clip to [0, 1], scale by 255,
    round half to even, against the uint8 image, all in float64."""
    rounded = np.round(np.clip(np.asarray(estimate, np.float64), 0, 1) * 255)
    return 10 * math.log10(255.0 ** 2 / np.mean((rounded - clean.astype(np.float64)) ** 2))


def test_psnr_rounds_the_estimate_to_uint8_first():
    rng = np.random.default_rng(0)
    clean = rng.integers(0, 256, (48, 48), dtype=np.uint8)
    # within 0.45 grey levels of the clean image, except every 50th pixel, 2 levels off: rounding
    # brings most pixels back exactly, so the rounded PSNR is far above the unrounded one
    offset = rng.uniform(-0.45, 0.45, clean.shape)
    offset.flat[::50] = 2.0
    estimate = (clean + offset) / 255
    reference = _reference_psnr(clean, estimate)
    assert compute_psnr(clean, estimate) == pytest.approx(reference, abs=1e-9)
    unrounded = 10 * math.log10(255.0 ** 2 / np.mean((estimate * 255 - clean) ** 2))
    assert reference > unrounded + 1  # the case where the rounding matters
    # values outside [0, 1] are clipped before rounding, as the authors' im2uint8
    beyond = np.where(clean > 250, 1.3, np.where(clean < 5, -0.3, estimate))
    assert compute_psnr(clean, beyond) == pytest.approx(_reference_psnr(clean, beyond), abs=1e-9)


def test_ssim_is_computed_on_the_rounded_estimate():
    clean = np.tile(np.linspace(40, 200, 48), (48, 1)).astype(np.uint8)
    levels = np.clip(clean + np.random.default_rng(1).normal(0, 5, clean.shape).round(), 0, 255)  # whole grey levels
    jitter = np.random.default_rng(2).uniform(-0.4, 0.4, clean.shape)  # rounds back to them
    assert compute_ssim(clean, (levels + jitter) / 255) == compute_ssim(clean, levels / 255)
    assert compute_ssim(clean, levels / 255) < 0.99


def test_ssim_equals_wang_et_al_ssim_index_on_the_rounded_estimate():
    # Independent reference: Wang et al.'s ssim_index.m (11x11 Gaussian window, sigma 1.5, K = (0.01, 0.03),
    # L = 255, valid region), as ported for DnCNN-3 in dncnn.data.matlab; skimage's Gaussian SSIM with
    # population covariance, averaged 5 pixels in from the border, is the same number
    from dncnn.data.matlab import matlab_ssim

    rng = np.random.default_rng(0)
    clean = np.clip(np.tile(np.linspace(20, 230, 40), (40, 1)) + rng.normal(0, 20, (40, 40)), 0, 255).astype(np.uint8)
    estimate = clean / 255 + rng.normal(0, 12 / 255, clean.shape)
    assert compute_ssim(clean, estimate) == pytest.approx(matlab_ssim(clean, to_uint8(estimate)), abs=1e-12)


def test_to_uint8_scales_float32_estimates_in_float64():
    # a network's float32 output (k + 0.5) / 255 lies just above the half in float64 and exactly on it in
    # float32: the study scales in float64 (half to even applies only to exact halves)
    halves = (np.arange(256, dtype=np.float32) + np.float32(0.5)) / np.float32(255)
    out = to_uint8(halves)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.clip(np.round(halves.astype(np.float64) * 255), 0, 255))
    assert out[0] == 1 and out[2] == 3  # float32 scaling would give 0 and 2
