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


def test_the_pca_estimate_equals_the_whole_matrix_computation():
    """Summing the second-moment matrix band by band gives the eigenvalue of the whole patch matrix."""
    from numpy.lib.stride_tricks import sliding_window_view

    image = np.random.default_rng(1).random((40, 37)) * 255
    windows = sliding_window_view(image, (7, 7))
    keep = np.random.default_rng(2).random(windows.shape[:2]) < 0.7
    patches = windows.reshape(-1, 49)[keep.reshape(-1)]
    whole = np.linalg.eigvalsh(patches.T @ patches / (len(patches) - 1))[0]
    assert NE._smallest_eigenvalue(windows, keep, band=5) == pytest.approx(whole, rel=1e-9)


def test_bad_shapes_are_refused_with_the_shape():
    with pytest.raises(ValueError, match=r"Received: shape \(4, 4, 2\)"):
        NE.estimate_sigma_wavelet(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match="at least 7 pixels"):
        NE.estimate_sigma_pca(np.zeros((5, 40)))
