"""``dncnn.denoise``, the one-line call: its docstring's example runs as written, and it chooses as the command does."""

import doctest

import numpy as np
import pytest

pytest.importorskip("keras")

import dncnn  # noqa: E402
from dncnn.data.noise import add_gaussian_noise  # noqa: E402
from dncnn.restoration.api import to_unit_float  # noqa: E402


def test_the_docstring_example_runs_as_written():
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    (test,) = finder.find(dncnn.denoise, "dncnn.denoise", globs={})
    assert len(test.examples) >= 6
    result = runner.run(test, out=lambda text: pytest.fail(text))
    assert result.failed == 0 and result.attempted == len(test.examples)


def test_a_known_sigma_picks_the_authors_model_for_it_and_uint8_reads_as_float():
    import skimage.data

    clean = skimage.data.camera()[:48, :48]
    noisy = add_gaussian_noise(clean, 50.0, seed=1)
    estimate, facts = dncnn.denoise(noisy, sigma=50, details=True)
    assert facts == {"model": "dncnn_s_sigma50", "sigma_estimate": None, "estimator": None}
    assert estimate.min() >= 0 and estimate.max() <= 1  # clipped
    as_bytes = np.round(np.clip(noisy, 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(to_unit_float(as_bytes), as_bytes / np.float32(255))
    _, facts = dncnn.denoise(noisy, sigma=35, details=True)  # no DnCNN-S for 35: the blind one
    assert facts["model"] == "dncnn_b_gray_blind"
    ours, facts = dncnn.denoise(noisy[:24, :24], model="ours", details=True)  # an alias, reported by its key
    assert facts["model"] == "dncnn-s-sigma25" and ours.shape == (24, 24)


def test_a_colour_image_goes_to_the_colour_model_and_bad_input_is_refused():
    rng = np.random.default_rng(0)
    colour = rng.random((24, 24, 3)).astype(np.float32)
    estimate, facts = dncnn.denoise(colour, details=True)
    assert estimate.shape == (24, 24, 3) and facts["model"] == "cdncnn_b_color_blind" and facts["sigma_estimate"] > 0
    with pytest.raises(ValueError, match=r"HxW \(grey\) or HxWx3"):
        dncnn.denoise(np.zeros((4, 4, 2), np.float32))
    with pytest.raises(ValueError, match="divide 0-255 values by 255"):
        dncnn.denoise(np.full((8, 8), 128.0))
    with pytest.raises(ValueError, match="unknown model"):
        dncnn.denoise(colour[..., 0], model="dncnn_s_sigma35")
