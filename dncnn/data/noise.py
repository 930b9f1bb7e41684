"""Gaussian noise: the one formula that training, evaluation and the benchmark all use."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def gaussian_noise(shape: tuple[int, ...], sigma: float, *, seed: Sequence[int], dtype=np.float64) -> np.ndarray:
    """White Gaussian noise of standard deviation ``sigma`` on the 0-255 scale, expressed on the [0, 1] scale.

    Args:
        shape: the array's shape.
        sigma: noise level on the 0-255 scale (the paper's sigma), >= 0.
        seed: seeds ``numpy.random.default_rng`` (a sequence of ints, e.g. ``[seed, image index]``).
        dtype: precision in which the standard normal values are drawn: ``float64`` for evaluation
            (each test image), ``float32`` for training batches (twice as fast). The two give
            different values for the same seed.

    Returns:
        float32 array of ``shape``: ``float32(sigma / 255) * z``, z standard normal.
    """
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0 (0-255 scale). Received: sigma={sigma}")
    z = np.random.default_rng([int(s) for s in seed]).standard_normal(shape, dtype=dtype)
    return np.float32(sigma / 255.0) * z.astype(np.float32, copy=False)


def add_gaussian_noise(image: np.ndarray, sigma: float, *, seed: int, index: int = 0) -> np.ndarray:
    """Add the evaluation protocol's noise to a clean test image.

    Args:
        image: HxW clean image, float in [0, 1] (or uint8 in [0, 255], converted).
        sigma: noise level on the 0-255 scale (the paper's sigma).
        seed, index: the noise is :func:`gaussian_noise` seeded with ``[seed, index]`` (drawn in
            float64), so image ``index`` of a set gets the same noise pattern at every sigma, and
            every run the same noise (the authors reset MATLAB's ``randn`` seed before each image
            likewise).

    Returns:
        HxW float32, ``image + sigma/255 * z``, **not** clipped (the authors' protocol).
    """
    clean = to_float(image)
    return (clean + gaussian_noise(clean.shape, sigma, seed=[seed, index])).astype(np.float32)


def to_float(image: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [0, 1]; float input is returned as float32 unchanged."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / np.float32(255.0)
    return np.asarray(image, dtype=np.float32)
