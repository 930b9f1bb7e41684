import math

import numpy as np
import pytest

from dncnn.metrics import compute_psnr, compute_ssim, to_uint8
from dncnn.noise import add_gaussian_noise


def test_noise_has_the_requested_standard_deviation_and_zero_mean():
    clean = np.full((512, 512), 0.5, np.float32)
    noisy = add_gaussian_noise(clean, 25, seed=0)
    residual = (noisy - clean) * 255
    assert abs(residual.std() - 25) < 0.25  # 262144 samples: std error of the std is about 0.035
    assert abs(residual.mean()) < 0.25


def test_noise_is_seeded_per_image_and_the_same_pattern_at_every_sigma():
    clean = np.zeros((32, 32), np.uint8)
    a = add_gaussian_noise(clean, 15, seed=0, index=3)
    b = add_gaussian_noise(clean, 15, seed=0, index=3)
    c = add_gaussian_noise(clean, 15, seed=0, index=4)
    d = add_gaussian_noise(clean, 50, seed=0, index=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_allclose(d, a * 50 / 15, rtol=1e-5, atol=1e-6)


def test_noisy_input_is_not_clipped():
    noisy = add_gaussian_noise(np.zeros((64, 64), np.uint8), 25, seed=0)
    assert noisy.min() < 0


def test_negative_sigma_is_refused():
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        add_gaussian_noise(np.zeros((4, 4), np.uint8), -1, seed=0)


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
