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
                       iterations: int = ITERATIONS, progress=None) -> float:
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

    The image is read in bands of patch rows (:func:`sum_patch_moments`), so the memory it takes
    beyond ``noisy`` itself is a few megabytes whatever the image's size (no float64 copy of it).

    Args:
        noisy: HxW or HxWx3 float (or integer) on the [0, 1] scale, each side at least ``patch``.
        progress: ``progress(total) -> bar`` (``update(n)``, ``close()``), updated after each band of
            each round (at most ``total`` of them), e.g. :func:`dncnn.runtime.progress.step_progress`.

    Returns:
        sigma on the 0-255 scale (channels estimated separately and averaged for RGB).
    """
    image = _check_image(noisy, patch=patch, copy=False)
    channels = [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[2])]
    rows, cols = image.shape[0] - patch + 1, image.shape[1] - patch + 1
    bar = None if progress is None else progress(len(channels) * iterations * -(-rows // max(1, BAND_PATCHES // cols)))
    try:
        on_band = None if bar is None else bar.update
        return float(np.mean([_pca_one_channel(c, patch, confidence, iterations, on_band) for c in channels]))
    finally:
        if bar is not None:
            bar.close()


def _pca_one_channel(channel: np.ndarray, patch: int, confidence: float, iterations: int, on_band=None) -> float:
    """Liu et al.'s estimate (see :func:`estimate_sigma_pca`) of one HxW channel on the [0, 1] scale,
    on the 0-255 scale. A patch stays weakly textured only while its texture is below every threshold
    so far (the selections are nested), that is below the one of the smallest sigma so far; each
    round is one pass over the bands."""
    n = patch * patch
    threshold = _texture_threshold(patch, confidence)
    smallest = sigma2 = _smallest_eigenvalue(*sum_patch_moments(channel, patch=patch, on_band=on_band))
    for _ in range(iterations - 1):
        total, count = sum_patch_moments(channel, patch=patch, limit=smallest * threshold, on_band=on_band)
        if count < n:
            break
        sigma2 = _smallest_eigenvalue(total, count)
        smallest = min(smallest, sigma2)
    return float(np.sqrt(max(sigma2, 0.0)))


def _smallest_eigenvalue(total: np.ndarray, count: int) -> float:
    """Smallest eigenvalue of the second-moment matrix ``total / (count - 1)``."""
    return float(np.linalg.eigvalsh(total / (count - 1))[0])


BAND_PATCHES = 1 << 15  # patches per band of sum_patch_moments: 13 MB of float64 patch vectors at most
# patch vectors per BLAS product: numpy's OpenBLAS runs a product this small (128 x 49) on one
# thread, 192 rows already on all cores; on a busy 2-core machine the estimate of a 1.2-megapixel
# grey image took 1.1 s so, as with OPENBLAS_NUM_THREADS=1, and 19 s with one product per band
# (threads waiting for each other)
GRAM_ROWS = 128


def sum_patch_moments(channel: np.ndarray, *, patch: int = PATCH, limit: float | None = None,
                      band_patches: int | None = None, on_band=None) -> tuple[np.ndarray, int]:
    """The second-moment sum Y^T Y of the overlapping ``patch`` x ``patch`` patches of ``channel``
    (HxW, any real dtype, [0, 1] scale; taken on the 0-255 scale in float64), one patch vector per
    row of Y, over the patches whose texture strength (:func:`_texture_strength`, 0-255 scale) is
    below ``limit`` (all patches when ``limit`` is None).

    The channel is read a band of patch rows at a time (about ``band_patches`` patches, default
    :data:`BAND_PATCHES`), each band
    converted to float64 on its own, so memory stays bounded for any image size; the bands are
    summed in order (the same sums on every run). ``on_band(1)`` is called after each band.

    Returns:
        ``(total, count)``: the N x N float64 sum (N = ``patch``^2) and the number of patches in it.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    n = patch * patch
    rows, cols = channel.shape[0] - patch + 1, channel.shape[1] - patch + 1
    band = max(1, (band_patches or BAND_PATCHES) // cols)
    total, count = np.zeros((n, n)), 0
    for top in range(0, rows, band):
        pixels = np.asarray(channel[top:top + band + patch - 1], dtype=np.float64) * 255.0
        windows = sliding_window_view(pixels, (patch, patch))  # (band, W-p+1, p, p), a view
        if limit is None:
            vectors = windows.reshape(-1, n)
        else:
            keep = _texture_strength(pixels, patch).reshape(windows.shape[:2]) < limit
            vectors = windows[keep].reshape(-1, n)  # one copy, of the kept patches only
        for start in range(0, len(vectors), GRAM_ROWS):
            chunk = vectors[start:start + GRAM_ROWS]
            total += np.dot(chunk.T, chunk)  # numpy's dot takes A^T A as one symmetric product (BLAS syrk)
        count += len(vectors)
        del vectors, windows, pixels  # before the next band's are made
        if on_band is not None:
            on_band(1)
    return total, count


def _texture_strength(image: np.ndarray, patch: int) -> np.ndarray:
    """tr(G^T G) of every overlapping patch (row-major order of the patches' top-left corners):
    the sum of the squared central differences whose three pixels lie inside the patch."""
    gh = (0.5 * (image[:, 2:] - image[:, :-2])) ** 2  # horizontal gradient at columns 1 .. W-2
    gv = (0.5 * (image[2:, :] - image[:-2, :])) ** 2  # vertical gradient at rows 1 .. H-2
    # a patch at (i, j) holds the horizontal gradients of rows i..i+p-1, columns j+1..j+p-2
    return (_box_sum(gh, patch, patch - 2) + _box_sum(gv, patch - 2, patch)).reshape(-1)


def _box_sum(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """The sum of every ``height`` x ``width`` window of the 2-D ``values`` (top-left corners in
    row-major order), by shifted whole-array additions: across the columns, then down the rows."""
    rows = values[:, : values.shape[1] - width + 1].copy()
    for dj in range(1, width):
        rows += values[:, dj: dj + rows.shape[1]]
    out = rows[: rows.shape[0] - height + 1].copy()
    for di in range(1, height):
        out += rows[di: di + out.shape[0]]
    return out


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


def _check_image(noisy: np.ndarray, *, patch: int = 2, copy: bool = True) -> np.ndarray:
    """``noisy`` as float64 HxW or HxWx3 (as given, without a copy, when ``copy`` is false);
    ``ValueError`` for another shape or a side under ``patch``."""
    image = np.asarray(noisy, dtype=np.float64) if copy else np.asarray(noisy)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3) or min(image.shape[:2]) < patch:
        raise ValueError(f"expected an HxW or HxWx3 image with sides of at least {patch} pixels. Received: shape {image.shape}")
    return image


# name in tables and figures -> estimator (noisy [0, 1] -> sigma 0-255)
ESTIMATORS = {
    "wavelet median (Donoho-Johnstone)": estimate_sigma_wavelet,
    "weak-texture PCA (Liu et al. 2013)": estimate_sigma_pca,
}
