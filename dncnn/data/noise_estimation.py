"""Estimating the Gaussian noise level of a single image (no clean reference), for notebook 06 and
``python -m dncnn denoise`` without ``--sigma``.

Two estimators, both ``estimate(noisy) -> sigma`` with ``noisy`` an HxW (grey) or HxWx3 (RGB)
float image on the [0, 1] scale (clipped or not) and sigma on the 0-255 scale:

- :func:`estimate_sigma_wavelet`: scikit-image's ``estimate_sigma``, the median absolute deviation
  of the finest diagonal wavelet coefficients (Donoho and Johnstone 1994);
- :func:`estimate_sigma_pca`: the minimum eigenvalue of the covariance of weakly textured patches,
  chosen iteratively (Liu, Tanaka and Okutomi 2013).

A colour image is estimated channel by channel and the channels' estimates averaged (noise of the
same level in R, G and B, as the protocol adds it); the luminance would see sigma times
sqrt(0.299^2 + 0.587^2 + 0.114^2) = 0.67 sigma instead, so it is not used.
Both are deterministic: no random numbers.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

PATCH = 7  # Liu et al.'s patch side
CONFIDENCE = 1.0 - 1e-6  # Liu et al.'s confidence level for the weak-texture threshold
ITERATIONS = 3  # Liu et al.: one estimate on all patches, then two rounds of weak-texture selection


def estimate_sigma_wavelet(noisy: np.ndarray) -> float:
    """Noise level by the wavelet median (Donoho and Johnstone 1994), via ``skimage.restoration.estimate_sigma``.

    The finest diagonal detail coefficients of a one-level Daubechies-1 wavelet transform are
    mostly noise; their median absolute value divided by 0.6745 estimates sigma.

    Args:
        noisy: HxW or HxWx3 float on the [0, 1] scale.

    Returns:
        sigma on the 0-255 scale (channels averaged for RGB).
    """
    from skimage.restoration import estimate_sigma

    image = _check_image(noisy)
    channels = [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[2])]
    return float(np.mean([estimate_sigma(channel) for channel in channels]) * 255.0)


def estimate_sigma_pca(noisy: np.ndarray, *, patch: int = PATCH, confidence: float = CONFIDENCE,
                       iterations: int = ITERATIONS) -> float:
    """Noise level from the weakly textured patches (Liu, Tanaka and Okutomi, "Single-image noise
    level estimation for blind denoising", IEEE Transactions on Image Processing 22(12), 5226-5237,
    2013; the settings of the authors' NoiseLevel.m, version 20150203).

    The method, written from the paper:

    1. Every overlapping ``patch`` x ``patch`` patch y (as a vector of N = patch^2 values). For
       additive white Gaussian noise of level sigma, the smallest eigenvalue of the patches'
       covariance is sigma^2 when the clean patches span fewer than N dimensions (flat enough).
    2. Texture strength of a patch: xi = tr(G^T G), G = [Dh y, Dv y] its horizontal and vertical
       gradients (central differences [-1/2, 0, 1/2], inside the patch). On a flat patch xi is
       noise only and follows a gamma distribution of shape r/2 and scale 2 sigma^2 tr(D)/r, with
       D = Dh^T Dh + Dv^T Dv and r its rank. Patches with xi below that distribution's
       ``confidence`` quantile are "weakly textured".
    3. Start from sigma^2 = the smallest eigenvalue over all patches; then ``iterations - 1`` times:
       keep the weakly textured patches (threshold from the current sigma) and estimate again from
       them. Stop early when fewer patches than N remain.

    As in the authors' code, the covariance is the second-moment matrix Y Y^T / (n - 1) of the
    selected patches (not centred).

    Args:
        noisy: HxW or HxWx3 float on the [0, 1] scale, each side at least ``patch``.

    Returns:
        sigma on the 0-255 scale (channels estimated separately and averaged for RGB).
    """
    image = _check_image(noisy, patch=patch)
    channels = [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[2])]
    return float(np.mean([_pca_one_channel(c * 255.0, patch, confidence, iterations) for c in channels]))


def _pca_one_channel(image: np.ndarray, patch: int, confidence: float, iterations: int) -> float:
    """Liu et al.'s estimate (see :func:`estimate_sigma_pca`) of one HxW float64 channel, in its own units.

    The patches' second-moment matrix is summed over bands of patch rows, so memory stays bounded
    for any image size (the same sums in the same order on every run)."""
    from numpy.lib.stride_tricks import sliding_window_view

    n = patch * patch
    windows = sliding_window_view(image, (patch, patch))  # (H-p+1, W-p+1, p, p), a view
    texture = _texture_strength(image, patch).reshape(windows.shape[:2])
    threshold = _texture_threshold(patch, confidence)
    keep = np.ones(texture.shape, bool)
    sigma2 = _smallest_eigenvalue(windows, keep)
    for _ in range(iterations - 1):
        keep &= texture < sigma2 * threshold
        if keep.sum() < n:
            break
        sigma2 = _smallest_eigenvalue(windows, keep)
    return float(np.sqrt(max(sigma2, 0.0)))


def _smallest_eigenvalue(windows: np.ndarray, keep: np.ndarray, *, band: int = 64) -> float:
    """Smallest eigenvalue of ``Y^T Y / (n - 1)``, Y the n patches of ``windows`` (H' x W' x p x p)
    where ``keep`` (H' x W') is true, one vector per row; summed ``band`` patch rows at a time."""
    n = windows.shape[2] * windows.shape[3]
    total, count = np.zeros((n, n)), 0
    for top in range(0, windows.shape[0], band):
        rows = windows[top:top + band].reshape(-1, n)[keep[top:top + band].reshape(-1)]
        total += rows.T @ rows
        count += len(rows)
    return float(np.linalg.eigvalsh(total / (count - 1))[0])


def _texture_strength(image: np.ndarray, patch: int) -> np.ndarray:
    """tr(G^T G) of every overlapping patch (row-major order of the patches' top-left corners):
    the sum of the squared central differences whose three pixels lie inside the patch."""
    from numpy.lib.stride_tricks import sliding_window_view

    gh = (0.5 * (image[:, 2:] - image[:, :-2])) ** 2  # horizontal gradient at columns 1 .. W-2
    gv = (0.5 * (image[2:, :] - image[:-2, :])) ** 2  # vertical gradient at rows 1 .. H-2
    # a patch at (i, j) holds the horizontal gradients of rows i..i+p-1, columns j+1..j+p-2
    sh = sliding_window_view(gh, (patch, patch - 2)).sum(axis=(2, 3))
    sv = sliding_window_view(gv, (patch - 2, patch)).sum(axis=(2, 3))
    return (sh + sv).reshape(-1)


@lru_cache(maxsize=8)
def _texture_threshold(patch: int, confidence: float) -> float:
    """The weak-texture threshold for sigma = 1: the ``confidence`` quantile of the gamma
    distribution of shape r/2 and scale 2 tr(D)/r (Liu et al., D = Dh^T Dh + Dv^T Dv, r = rank D)."""
    from scipy.stats import gamma

    d = _gradient_operator(patch)
    rank = np.linalg.matrix_rank(d)
    return float(gamma.ppf(confidence, rank / 2.0, scale=2.0 * np.trace(d) / rank))


def _gradient_operator(patch: int) -> np.ndarray:
    """D = Dh^T Dh + Dv^T Dv for a ``patch`` x ``patch`` patch (row-major vector), with Dh and Dv
    the matrices of the central differences [-1/2, 0, 1/2] that fit inside the patch."""
    index = np.arange(patch * patch).reshape(patch, patch)
    rows = []
    for left, right in ((index[:, :-2], index[:, 2:]), (index[:-2, :], index[2:, :])):
        for a, b in zip(left.ravel(), right.ravel()):
            row = np.zeros(patch * patch)
            row[a], row[b] = -0.5, 0.5
            rows.append(row)
    grad = np.array(rows)
    return grad.T @ grad


def _check_image(noisy: np.ndarray, *, patch: int = 2) -> np.ndarray:
    """``noisy`` as float64 HxW or HxWx3; ``ValueError`` for another shape or a side under ``patch``."""
    image = np.asarray(noisy, dtype=np.float64)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3) or min(image.shape[:2]) < patch:
        raise ValueError(f"expected an HxW or HxWx3 image with sides of at least {patch} pixels. Received: shape {image.shape}")
    return image


# name in tables and figures -> estimator (noisy [0, 1] -> sigma 0-255)
ESTIMATORS = {
    "wavelet median (Donoho-Johnstone)": estimate_sigma_wavelet,
    "weak-texture PCA (Liu et al. 2013)": estimate_sigma_pca,
}
