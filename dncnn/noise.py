"""Gaussian noise, seeded per image as the evaluation protocol requires."""

from __future__ import annotations

import numpy as np


def add_gaussian_noise(image: np.ndarray, sigma: float, *, seed, index: int = 0) -> np.ndarray:
    """Add white Gaussian noise of standard deviation ``sigma`` (on the 0-255 scale).

    Args:
        image: HxW clean image, float in [0, 1] (or uint8 in [0, 255], converted).
        sigma: noise level on the 0-255 scale (the paper's sigma).
        seed, index: the noise is ``numpy.random.default_rng([seed, index]).standard_normal``, so
            image ``index`` of a set gets the same noise pattern at every sigma, and every run the
            same noise (the authors reset MATLAB's ``randn`` seed before each image likewise).

    Returns:
        HxW float32, ``image + sigma/255 * z``, **not** clipped (the authors' protocol).
    """
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0 (0-255 scale). Received: sigma={sigma}")
    clean = to_float(image)
    z = np.random.default_rng([int(seed), int(index)]).standard_normal(clean.shape)
    return (clean + np.float32(sigma / 255.0) * z.astype(np.float32)).astype(np.float32)


def to_float(image: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [0, 1]; float input is returned as float32 unchanged."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / np.float32(255.0)
    return np.asarray(image, dtype=np.float32)
