"""DnCNN-3's rows scored as the authors' Demo_test_DnCNN3.m scores them, with the demo's definitions
written out here (its Cal_PSNRSSIM: crop ``row``/``col`` pixels from every border, PSNR peak 255 on
double values; MATLAB's im2uint8 for the rounded rows):

- denoising: ``Cal_PSNRSSIM(label, im2uint8(output), 0, 0)``
- super-resolution: ``Cal_PSNRSSIM(label*255, output*255, ceil(scale), ceil(scale))`` (unrounded Y)
- JPEG: ``Cal_PSNRSSIM(label, im2uint8(output), 0, 0)``

A fake model puts a large error in a band of ``ceil(scale)`` pixels along every border, a seeded
pattern inside and an offset that rounding removes, so a wrong shave or a missing (or extra) rounding
each moves the score. No data or weights are needed: the images are made here.
"""

import math

import numpy as np
import pandas as pd
import pytest

from dncnn.data.matlab import matlab_ssim
from dncnn.evaluation.tasks import evaluate_denoising, evaluate_jpeg, evaluate_super_resolution, prepare_super_resolution


def cal_psnr(label, output, border):
    """The demo's Cal_PSNRSSIM, PSNR part: both on the 0-255 scale as doubles, ``border`` pixels cut."""
    a, b = np.asarray(label, np.float64), np.asarray(output, np.float64)
    n, m = a.shape[:2]
    a, b = a[border:n - border, border:m - border], b[border:n - border, border:m - border]
    return 10 * math.log10(255.0 ** 2 / np.mean((a - b) ** 2))


def im2uint8(x):
    """MATLAB's im2uint8 of a single/double image in [0, 1]: x*255, rounded half away from zero, saturated."""
    return np.clip(np.floor(np.asarray(x, np.float64) * 255.0 + 0.5), 0, 255)


class FakeModel:
    """``model(x, sigma)``: x plus an offset of 0.3 grey levels, a seeded pattern of about 2 grey levels,
    an error of 60 grey levels in a band of ``band`` pixels along every border and of 20 grey levels on
    the one-pixel ring just inside it."""

    name = "DnCNN-3"

    def __init__(self, band):
        self.band = band

    def __call__(self, x, sigma=None):
        x = np.asarray(x, np.float64)
        out = x + (0.3 + np.random.default_rng(1).normal(0, 2, x.shape)) / 255.0
        b = self.band
        mask = np.ones(x.shape, bool)
        mask[b:-b, b:-b] = False
        out[mask] += 60 / 255.0
        ring = np.zeros(x.shape, bool)  # the first pixels inside the band: what one pixel more of shave drops
        ring[b:-b, b:-b] = True
        ring[b + 1:-b - 1, b + 1:-b - 1] = False
        out[ring] += 20 / 255.0
        return out.astype(np.float32)


def _images():
    rng = np.random.default_rng(0)
    grey = np.round(np.clip(np.add.outer(np.arange(72), np.arange(72)) * 1.6 + rng.normal(0, 6, (72, 72)), 0, 255))
    rgb = np.round(np.clip(rng.normal(128, 40, (72, 72, 3)), 0, 255))
    return [grey.astype(np.uint8), rgb.astype(np.uint8)], ["grey.png", "rgb.png"]


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_super_resolution_is_scored_on_the_unrounded_y_with_ceil_scale_shaved(scale):
    images, names = _images()
    model = FakeModel(band=math.ceil(scale))
    rows = evaluate_super_resolution(model, images, names, dataset="Set5", scale=scale)
    for image, name in zip(images, names):
        pair = prepare_super_resolution(image, scale)
        label = pair["target"].astype(np.float64) * 255.0
        output = np.asarray(model(pair["input"]), np.float64) * 255.0
        by_method = {r["method"]: r for r in rows if r["image"] == name}
        assert by_method["DnCNN-3"]["psnr"] == pytest.approx(cal_psnr(label, output, math.ceil(scale)), abs=1e-4)
        assert by_method["bicubic"]["psnr"] == pytest.approx(
            cal_psnr(label, pair["input"].astype(np.float64) * 255.0, math.ceil(scale)), abs=1e-4)
        s = math.ceil(scale)
        assert by_method["DnCNN-3"]["ssim"] == pytest.approx(matlab_ssim(label[s:-s, s:-s], output[s:-s, s:-s]), abs=1e-6)
        # the band is what the shave removes: any other shave gives another score
        for other in (0, s - 1, s + 1):
            assert abs(cal_psnr(label, output, other) - by_method["DnCNN-3"]["psnr"]) > 0.01


@pytest.mark.parametrize("quality", [10, 30])
def test_jpeg_rows_are_scored_on_the_rounded_estimate_with_no_shave(quality):
    from dncnn.data.matlab import jpeg_roundtrip, rgb2y

    images, names = _images()
    model = FakeModel(band=2)
    rows = evaluate_jpeg(model, images, names, dataset="classic5", quality=quality)
    for image, name in zip(images, names):
        label = rgb2y(image) if image.ndim == 3 else image  # uint8 Y of rgb2ycbcr, or the grey image
        jpeg = jpeg_roundtrip(label, quality)
        output = model(jpeg.astype(np.float32) / np.float32(255.0))
        by_method = {r["method"]: r for r in rows if r["image"] == name}
        expected = cal_psnr(label, im2uint8(output), 0)
        assert by_method["DnCNN-3"]["psnr"] == pytest.approx(expected, abs=1e-9)
        assert by_method["JPEG"]["psnr"] == pytest.approx(cal_psnr(label, jpeg, 0), abs=1e-9)
        assert abs(cal_psnr(label, np.asarray(output, np.float64) * 255.0, 0) - expected) > 1e-4  # rounding matters here
        assert abs(cal_psnr(label, im2uint8(output), 2) - expected) > 0.01  # and so would a shave


def test_denoising_rows_are_scored_on_the_rounded_estimate_with_no_shave():
    images, names = _images()
    grey = [images[0], images[0][::-1].copy()]
    model = FakeModel(band=2)
    rows = evaluate_denoising(model, grey, ["a.png", "b.png"], dataset="BSD68", sigma=25.0)  # the default seed: 0
    assert [r["method"] for r in rows] == ["noisy input", "DnCNN-3"] * 2
    for index, clean in enumerate(grey):
        z = np.random.default_rng([0, index]).standard_normal(clean.shape)  # image i's own noise, seed 0
        noisy = clean.astype(np.float32) / np.float32(255.0) + np.float32(25.0 / 255.0) * z.astype(np.float32)
        noisy_row, net_row = rows[2 * index:2 * index + 2]
        assert net_row["psnr"] == pytest.approx(cal_psnr(clean, im2uint8(model(noisy)), 0), abs=1e-9)
        assert noisy_row["psnr"] == pytest.approx(cal_psnr(clean, im2uint8(noisy), 0), abs=1e-9)
        assert (noisy_row["task"], noisy_row["dataset"], noisy_row["level"], noisy_row["seconds"]) == ("denoising", "BSD68", 25.0, 0.0)

def test_the_three_tasks_score_every_image_of_their_sets(raw_dir, mirror):
    from dncnn.evaluation.tasks import check_task_image_counts, evaluate_colour, evaluate_three_tasks, load_task_images

    identity = FakeModel(band=1)
    per_image = evaluate_three_tasks(identity, sigmas=(25.0,), scales=(4,), qualities=(40,), crop=48, raw_dir=raw_dir,
                                     progress=False)  # central crops: the count is the point, not the score
    counts = per_image.groupby(["task", "dataset"]).image.nunique().to_dict()
    assert counts == {("denoising", "BSD68"): 68, ("super-resolution", "Set5"): 5, ("super-resolution", "Set14"): 14,
                      ("super-resolution", "BSD100"): 100, ("super-resolution", "Urban100"): 100,
                      ("jpeg", "classic5"): 5, ("jpeg", "LIVE1"): 29}
    for (task, name), _ in counts.items():
        rows = per_image[(per_image.task == task) & (per_image.dataset == name) & (per_image.method == "DnCNN-3")]
        assert list(rows.image) == sorted(p.name for p in (mirror / name).iterdir()), name
    names, images = load_task_images("LIVE1", crop=24, raw_dir=raw_dir)
    colour = evaluate_colour([], images, names)
    assert len(colour) == 29
    assert check_task_image_counts(per_image, images=None) == 14  # 7 sets x (network, baseline)
    assert check_task_image_counts(pd.DataFrame(colour), colour_images=None) == 1
