"""Noise-level estimators: they recover a known sigma, and Liu et al.'s pieces equal direct computations."""

import numpy as np
import pytest

pytest.importorskip("pywt", reason="skimage.restoration.estimate_sigma needs PyWavelets")

from dncnn.data import noise_estimation as NE  # noqa: E402
from dncnn.data.noise import gaussian_noise  # noqa: E402


def _smooth(shape=(96, 128)):
    """A smooth ramp with a soft bump, float64 in [0.2, 0.8]."""
    y, x = np.mgrid[0:shape[0], 0:shape[1]] / max(shape)
    return 0.2 + 0.4 * x + 0.2 * np.exp(-((x - 0.5) ** 2 + (y - 0.4) ** 2) / 0.05)


@pytest.mark.parametrize("name", list(NE.ESTIMATORS))
@pytest.mark.parametrize("sigma", [10.0, 40.0])
def test_each_estimator_recovers_sigma_on_a_smooth_image(name, sigma):
    noisy = _smooth() + gaussian_noise((96, 128), sigma, seed=[3, 1])
    estimate = NE.ESTIMATORS[name](noisy)
    assert abs(estimate - sigma) < 0.08 * sigma  # a smooth image: only the noise is left to measure
    assert NE.ESTIMATORS[name](noisy) == estimate  # no randomness


def test_colour_is_the_mean_of_the_channels_estimates():
    rgb = np.stack([_smooth() + gaussian_noise((96, 128), s, seed=[0, k]) for k, s in enumerate((5.0, 15.0, 25.0))], axis=-1)
    for estimate in NE.ESTIMATORS.values():
        assert estimate(rgb) == pytest.approx(np.mean([estimate(rgb[..., c]) for c in range(3)]))


def test_texture_strength_equals_numpy_gradient_patch_by_patch():
    image = np.random.default_rng(0).random((11, 13))
    patch = 5
    fast = NE._texture_strength(image, patch)
    slow = []
    for i in range(image.shape[0] - patch + 1):
        for j in range(image.shape[1] - patch + 1):
            p = image[i:i + patch, j:j + patch]  # np.gradient: central differences (x[k+1] - x[k-1]) / 2 inside
            slow.append((np.gradient(p, axis=1)[:, 1:-1] ** 2).sum() + (np.gradient(p, axis=0)[1:-1, :] ** 2).sum())
    assert np.allclose(fast, slow)


def test_the_gradient_operator_has_the_trace_counted_by_hand():
    # 2 directions x p rows x (p - 2) differences, each adding 2 x (1/2)^2 to the trace
    for patch in (5, 7):
        assert np.trace(NE._gradient_operator(patch)) == pytest.approx(2 * patch * (patch - 2) * 0.5)


def test_the_banded_moments_equal_the_whole_matrix_computation():
    """Summing the second-moment matrix band by band (each band's texture computed on its own rows)
    gives the whole patch matrix of the patches below the texture limit."""
    from numpy.lib.stride_tricks import sliding_window_view

    image = np.random.default_rng(1).random((40, 37))
    windows = sliding_window_view(image * 255, (7, 7))
    texture = NE._texture_strength(image * 255, 7).reshape(windows.shape[:2])
    for limit in (None, float(np.median(texture))):
        keep = np.ones(texture.shape, bool) if limit is None else texture < limit
        patches = windows.reshape(-1, 49)[keep.reshape(-1)]
        total, count = NE.sum_patch_moments(image, patch=7, limit=limit, band_patches=70)  # bands of 2 patch rows
        assert count == len(patches) and 0 < count
        assert np.allclose(total, patches.T @ patches, rtol=1e-12, atol=0)


def _whole_image_pca(image: np.ndarray, patch: int = 7) -> float:
    """Liu et al.'s estimate on one channel computed on whole arrays (every patch at once), as
    dncnn/data/noise_estimation.py computed it before it went band by band."""
    from numpy.lib.stride_tricks import sliding_window_view

    image = image.astype(np.float64) * 255.0
    n = patch * patch
    patches = sliding_window_view(image, (patch, patch)).reshape(-1, n)
    texture = NE._texture_strength(image, patch)
    threshold = NE._texture_threshold(patch, NE.CONFIDENCE)
    keep = np.ones(len(patches), bool)
    sigma2 = np.linalg.eigvalsh(patches.T @ patches / (len(patches) - 1))[0]
    for _ in range(NE.ITERATIONS - 1):
        keep &= texture < sigma2 * threshold
        if keep.sum() < n:
            break
        chosen = patches[keep]
        sigma2 = np.linalg.eigvalsh(chosen.T @ chosen / (len(chosen) - 1))[0]
    return float(np.sqrt(max(sigma2, 0.0)))


def test_the_banded_pca_estimate_equals_the_whole_image_computation(monkeypatch):
    rgb = np.clip(np.stack([_smooth((70, 90)) + gaussian_noise((70, 90), s, seed=[4, k]) for k, s in enumerate((3.0, 12.0, 30.0))],
                           axis=-1), 0, 1).astype(np.float32)
    whole = np.mean([_whole_image_pca(rgb[..., c]) for c in range(3)])
    monkeypatch.setattr(NE, "BAND_PATCHES", 200)  # bands of 2 patch rows: many bands on a small image

    class Bar:
        def __init__(self, total):
            self.total, self.done, self.closed = total, 0, False

        def update(self, n=1):
            self.done += n

        def close(self):
            self.closed = True

    bars = []
    assert NE.estimate_sigma_pca(rgb, progress=lambda total: bars.append(Bar(total)) or bars[-1]) == pytest.approx(whole, rel=1e-9)
    assert bars[0].total == 3 * NE.ITERATIONS * 32 and 3 * 32 <= bars[0].done <= bars[0].total and bars[0].closed  # 64 patch rows, 2 a band
    assert NE.estimate_sigma_pca(rgb[..., 1]) == pytest.approx(_whole_image_pca(rgb[..., 1]), rel=1e-9)


def test_the_pca_estimate_takes_no_copy_of_the_image(monkeypatch):
    """The estimator holds bands, not a float64 copy (of the image, or of one channel: 2/3 of the
    float32 image's size): its peak allocation stays a small part of the image's size."""
    import tracemalloc

    rgb = np.clip(_smooth((600, 500))[..., None] + gaussian_noise((600, 500, 3), 10.0, seed=[5]), 0, 1).astype(np.float32)
    monkeypatch.setattr(NE, "BAND_PATCHES", 2000)  # bands of 4 patch rows (the default's bands are 13 MB)
    NE.estimate_sigma_pca(rgb[:50, :50])  # scipy.stats imported and the threshold cached: not the image's memory
    tracemalloc.start()
    try:
        NE.estimate_sigma_pca(rgb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * rgb.nbytes, f"{peak / 1e6:.1f} MB for a {rgb.nbytes / 1e6:.1f} MB image"


def test_bad_shapes_are_refused_with_the_shape():
    with pytest.raises(ValueError, match=r"Received: shape \(4, 4, 2\)"):
        NE.estimate_sigma_wavelet(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match="at least 7 pixels"):
        NE.estimate_sigma_pca(np.zeros((5, 40)))
