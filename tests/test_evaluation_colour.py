"""Colour denoising by the colour protocol: the noisy RGB input written out from the formula (independent
per channel, seeded per image, not clipped), PSNR over the three channels, and colour BM3D against
``bm3d.bm3d_rgb`` called directly."""

import numpy as np
import pandas as pd
import pytest

from dncnn.evaluation.colour import ColourBM3DDenoiser, denoise_bm3d_rgb
from dncnn.evaluation.tasks import evaluate_colour


def _colour_images():
    """Three RGB uint8 images: a smooth ramp, seeded texture, and one with saturated black and white
    halves (where clipping the noisy input would show)."""
    rng = np.random.default_rng(7)
    ramp = np.dstack([np.tile(np.linspace(0, 255, 40), (32, 1))] * 3)
    ramp[..., 1] = ramp[..., 1][::-1, ::-1]
    texture = rng.integers(30, 220, (32, 40, 3))
    halves = np.zeros((32, 40, 3))
    halves[:, 20:] = 255
    return [np.round(x).astype(np.uint8) for x in (ramp, texture, halves)]


class _Recorder:
    """A colour 'denoiser' that returns its input and keeps what it was given."""

    name = "recorder"
    trained_sigma = None
    weights = ""

    def __init__(self):
        self.inputs, self.sigmas = [], []

    def __call__(self, noisy, sigma):
        self.inputs.append(np.array(noisy, copy=True))
        self.sigmas.append(sigma)
        return np.asarray(noisy, dtype=np.float32)


def _noisy_by_the_formula(image, sigma, *, seed, index):
    """The grey protocol's formula, on an HxWx3 image: clean / 255 + float32(sigma / 255) * z, z drawn in
    float64 from default_rng([seed, index]) with the image's full shape (one value per pixel and channel)."""
    z = np.random.default_rng([seed, index]).standard_normal(image.shape)
    return image.astype(np.float32) / np.float32(255.0) + np.float32(sigma / 255.0) * z.astype(np.float32)


@pytest.mark.parametrize("seed", [0, 3])
def test_colour_noise_is_the_grey_formula_per_channel_seeded_per_image_and_not_clipped(seed):
    images = _colour_images()
    recorder = _Recorder()
    kwargs = {} if seed == 0 else {"seed": seed}  # seed 0 is the protocol's default
    rows = evaluate_colour([recorder], images, ["a", "b", "c"], dataset="LIVE1", sigma=25.0, **kwargs)
    assert len(recorder.inputs) == 3 and recorder.sigmas == [25.0] * 3  # each denoiser is told the true sigma
    assert {(r["task"], r["dataset"], r["level"]) for r in rows} == {("colour denoising", "LIVE1", 25.0)}
    assert [r["seconds"] for r in rows if r["method"] == "noisy input"] == [0.0] * 3
    for index, (image, noisy) in enumerate(zip(images, recorder.inputs)):
        assert noisy.dtype == np.float32 and noisy.shape == image.shape
        np.testing.assert_array_equal(noisy, _noisy_by_the_formula(image, 25.0, seed=seed, index=index))
        noise = (noisy.astype(np.float64) - image / 255.0).reshape(-1, 3)
        assert np.corrcoef(noise.T)[np.triu_indices(3, 1)].max() < 0.1  # each channel its own draw, not one field
        assert abs(noise.std() * 255 - 25.0) < 1.5
    saturated = recorder.inputs[2]
    assert saturated.min() < -0.1 and saturated.max() > 1.1  # not clipped
    # the rows score the rounded input against the clean image over all three channels (Cal_PSNRSSIM)
    for index, image in enumerate(images):
        rounded = np.clip(np.floor(recorder.inputs[index].astype(np.float64) * 255.0 + 0.5), 0, 255)
        mse = np.mean((image.astype(np.float64) - rounded) ** 2)
        for method in ("noisy input", "recorder"):
            (row,) = [r for r in rows if r["method"] == method and r["image"] == "abc"[index]]
            assert row["psnr"] == pytest.approx(10 * np.log10(255.0 ** 2 / mse), abs=1e-9)


def test_colour_bm3d_equals_bm3d_rgb_called_directly_with_sigma_over_255(tmp_path):
    import bm3d
    from bm3d.profiles import BM3DProfile

    noisy = _noisy_by_the_formula(_colour_images()[1], 25.0, seed=0, index=1)
    profile = BM3DProfile()
    profile.num_threads = 1
    direct = np.asarray(bm3d.bm3d_rgb(noisy, sigma_psd=25.0 / 255.0, profile=profile), dtype=np.float32)
    np.testing.assert_array_equal(denoise_bm3d_rgb(noisy, 25.0), direct)
    np.testing.assert_array_equal(ColourBM3DDenoiser(cache_dir=tmp_path, workers=1)(noisy, 25.0), direct)
    other = np.asarray(bm3d.bm3d_rgb(noisy, sigma_psd=50.0 / 255.0, profile=profile), dtype=np.float32)
    assert np.abs(other - direct).mean() > 1e-3  # told another sigma, colour BM3D gives another image


class _Named(_Recorder):
    def __init__(self, name):
        super().__init__()
        self.name = name


def test_the_colour_table_keeps_finished_settings_and_measures_only_the_missing_ones():
    from dncnn.evaluation.colour import done_colour_settings, evaluate_colour_table

    images = _colour_images()[:2]
    names = ["a.png", "b.png"]
    first = evaluate_colour_table([_Named("net")], images, names, sigmas=(15.0,), dataset="CBSD68")
    assert list(first.method) == ["noisy input", "noisy input", "net", "net"]
    assert done_colour_settings(first, names=names) == {(15.0, "noisy input"), (15.0, "net")}
    assert done_colour_settings(first, names=["a.png"]) == set()  # a setting on other images is not done
    net, slow = _Named("net"), _Named("slow")
    seen = []
    table = evaluate_colour_table([net, slow], images, names, sigmas=(15.0, 50.0), dataset="CBSD68", done=first,
                                  on_setting=lambda rows: seen.append(len(rows)))
    assert len(net.inputs) == 2 and len(slow.inputs) == 4  # net at 50 only; slow at both sigmas
    assert list(zip(table.level, table.method))[::2] == [(15.0, "noisy input"), (15.0, "net"), (15.0, "slow"),
                                                         (50.0, "noisy input"), (50.0, "net"), (50.0, "slow")]
    kept = table[(table.level == 15.0) & (table.method == "net")].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, first[first.method == "net"].reset_index(drop=True))  # the finished rows, as they were
    assert seen == [6, 10, 12]  # the rows so far after each method: an interrupted run keeps every finished one


def test_compare_colour_with_paper_puts_the_papers_rows_beside_the_measured_ones():
    from dncnn.evaluation.colour import compare_colour_with_paper, format_colour_markdown
    from dncnn.evaluation.paper import PAPER_COLOUR, PAPER_COLOUR_COMMENT

    summary = pd.DataFrame([{"task": "colour denoising", "dataset": "CBSD68", "level": s, "method": m, "source": "measured",
                             "images": 68, "psnr": v, "ssim": 0.9}
                            for s in (15.0, 50.0) for m, v in (("noisy input", 20.0), ("CDnCNN-B authors' weights", 33.0 - s / 10),
                                                               ("CBM3D", 32.5 - s / 10))])
    versus = compare_colour_with_paper(summary).set_index(["method", "sigma"])
    (comment,) = PAPER_COLOUR_COMMENT.values()
    assert versus.loc[("CBM3D", 15.0), "paper"] == PAPER_COLOUR["CBSD68", "CBM3D"][15]
    assert versus.loc[("CDnCNN-B authors' weights", 50.0), "delta_psnr"] == pytest.approx(28.0 - PAPER_COLOUR["CBSD68", "CDnCNN-B"][50])
    assert versus.loc[("CDnCNN-B authors' weights", 50.0), "comment"] == comment[50]
    assert np.isnan(versus.loc[("noisy input", 15.0), "paper"]) and np.isnan(versus.loc[("CBM3D", 15.0), "comment"])
    text = format_colour_markdown(versus.reset_index())
    assert text.splitlines()[0] == "| method | sigma 15 | sigma 50 |"
    assert f"| CBM3D | 31.00 (paper {PAPER_COLOUR['CBSD68', 'CBM3D'][15]:.2f}, {31.0 - PAPER_COLOUR['CBSD68', 'CBM3D'][15]:+.2f})" in text
