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
