"""PSNR and SSIM by the authors' protocol: the estimate is clipped and rounded to uint8 first."""

from __future__ import annotations

import numpy as np


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float [0, 1] HxW -> uint8 [0, 255]: scaled by 255, clipped, rounded half to even (numpy).

    The study's protocol. DnCNN-3's MATLAB protocol rounds half away from zero instead
    (:func:`dncnn.data.matlab.im2uint8`); the two differ only on exact halves."""
    return np.clip(np.round(np.asarray(image, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def compute_psnr(clean: np.ndarray, estimate: np.ndarray) -> float:
    """PSNR in dB with peak 255 between a uint8 clean image and a float [0, 1] estimate.

    The estimate is converted with :func:`to_uint8` first (the authors' ``im2uint8``).
    """
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(_check_clean(clean), to_uint8(estimate), data_range=255))


def compute_ssim(clean: np.ndarray, estimate: np.ndarray) -> float:
    """SSIM configured as Wang et al. 2004: Gaussian window sigma 1.5, no sample covariance, peak 255."""
    from skimage.metrics import structural_similarity

    return float(
        structural_similarity(
            _check_clean(clean), to_uint8(estimate), data_range=255,
            gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        )
    )


def _check_clean(clean: np.ndarray) -> np.ndarray:
    if clean.dtype != np.uint8:
        raise ValueError(f"the clean image must be uint8 in [0, 255]. Received: dtype {clean.dtype}")
    return clean
