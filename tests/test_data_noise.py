"""The one Gaussian-noise formula: level, seeding, no clipping."""

import numpy as np
import pytest

from dncnn.data.noise import add_gaussian_noise, gaussian_noise


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


def test_evaluation_and_training_noise_come_from_the_one_formula():
    clean = np.zeros((8, 8), np.float32)
    np.testing.assert_array_equal(add_gaussian_noise(clean, 25, seed=3, index=7), gaussian_noise((8, 8), 25, seed=[3, 7]))
    z = np.random.default_rng([3, 7]).standard_normal((8, 8), dtype=np.float32)
    np.testing.assert_array_equal(gaussian_noise((8, 8), 25, seed=[3, 7], dtype=np.float32), np.float32(25 / 255) * z)
    assert gaussian_noise((8, 8), 25, seed=[3, 7]).dtype == np.float32
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        gaussian_noise((2, 2), -1, seed=[0])


def test_uint8_images_are_put_on_the_unit_scale_by_dividing_by_255_in_float32():
    from dncnn.data.noise import to_float

    levels = np.array([[0, 51, 128, 255]], np.uint8)
    out = to_float(levels)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, levels.astype(np.float32) / np.float32(255))  # 0, 0.2, 0.50196, 1
    assert to_float(np.array([0.25], np.float64)).dtype == np.float32
    noisy = add_gaussian_noise(levels, 25, seed=0)
    assert noisy.dtype == np.float32 and noisy.max() < 2  # on the [0, 1] scale, not 0-255
    np.testing.assert_array_equal(noisy, out + gaussian_noise(levels.shape, 25, seed=[0, 0]))


def test_sigma_zero_adds_nothing_and_the_default_index_is_zero():
    image = np.random.default_rng(0).integers(0, 256, (16, 16), dtype=np.uint8)
    np.testing.assert_array_equal(add_gaussian_noise(image, 0, seed=5), image.astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(add_gaussian_noise(image, 25, seed=5), add_gaussian_noise(image, 25, seed=5, index=0))
    assert add_gaussian_noise(image.astype(np.float64) / 255, 25, seed=5).dtype == np.float32
