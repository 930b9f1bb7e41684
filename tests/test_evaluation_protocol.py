"""The evaluation protocol and its tables."""

import numpy as np
import pandas as pd
import pytest

from dncnn.evaluation import protocol as evaluate
from dncnn.evaluation.denoisers import BM3DDenoiser, IdentityDenoiser


def test_evaluate_rows_and_summary_with_reference_rows(crops, tmp_path):
    names, images = crops
    bm3d = BM3DDenoiser(cache_dir=tmp_path, workers=1)  # in this process: the parallel one has its own test
    rows = evaluate.evaluate_denoisers([IdentityDenoiser(), bm3d], images, names,
                                       dataset="BSD68", sigma=25, seed=0, progress=False)
    per_image = pd.DataFrame(rows)
    assert len(per_image) == 4 and set(per_image["method"]) == {"noisy input", "BM3D"}
    noisy_psnr = per_image.loc[per_image.method == "noisy input", "psnr"]
    assert noisy_psnr.between(19, 22).all()  # sigma 25 noise: about 20.2 dB
    summary = evaluate.summarize(per_image)
    measured = summary[summary.source == "measured"].set_index("method")
    assert measured.loc["BM3D", "psnr"] > measured.loc["noisy input", "psnr"] + 3
    reference = summary[summary.source == "paper (reference)"].set_index("method")
    assert reference.loc["DnCNN-S (paper)", "psnr"] == 29.23 and reference.loc["BM3D (paper)", "psnr"] == 28.57
    paths = evaluate.write_tables(per_image, summary, out_dir=tmp_path / "out")
    text = paths["summary_md"].read_text()
    assert "| BSD68 | 25 | BM3D | - | measured | 2 |" in text and "not clipped" in text
    assert set(per_image.weights) == {""}  # neither has weights; a network's row names where its weights come from


def test_a_denoiser_returning_the_wrong_shape_is_caught():
    class Bad:
        name = "bad"

        def __call__(self, noisy, sigma):
            return noisy[1:]

    with pytest.raises(ValueError, match="bad returned shape"):
        evaluate.evaluate_denoisers([Bad()], [np.zeros((8, 8), np.uint8)], ["x"], dataset="t", sigma=25, progress=False)


def test_summary_leads_with_bsd68_sigma_25_and_keeps_the_denoiser_order():
    rows = [{"dataset": d, "sigma": s, "method": m, "image": "x", "psnr": p, "ssim": 0.5}
            for d in ("BSD68", "Set12") for s in (15.0, 25.0, 50.0) for m, p in (("noisy input", 20.0), ("BM3D", 28.0))]
    summary = evaluate.summarize(pd.DataFrame(rows))
    head = summary.head(5)
    assert list(zip(head.dataset, head.sigma)) == [("BSD68", 25.0)] * 5
    assert list(head.method) == ["noisy input", "BM3D", "BM3D (paper)", "DnCNN-S (paper)", "DnCNN-B (paper)"]
    rest = summary.iloc[5:]
    assert list(dict.fromkeys(zip(rest.dataset, rest.sigma))) == [("BSD68", 15.0), ("BSD68", 50.0), ("Set12", 15.0),
                                                                   ("Set12", 25.0), ("Set12", 50.0)]


def test_denoise_example_leaves_out_the_noisy_row_and_networks_of_another_sigma():
    class Fixed:
        def __init__(self, name, sigma):
            self.name, self.trained_sigma = name, sigma

        def __call__(self, noisy, sigma):
            return np.zeros_like(noisy)

    clean = np.full((16, 16), 128, np.uint8)
    example = evaluate.denoise_example([IdentityDenoiser(), Fixed("s15", 15.0), Fixed("s25", 25.0), Fixed("blind", None)],
                                       clean, sigma=25)
    assert list(example) == ["clean", "noisy", "s25", "blind"]
    assert example["s25"][1] == pytest.approx(10 * np.log10(255 ** 2 / 128 ** 2))  # PSNR of all-zero against 128


def test_central_box_is_centred_and_at_most_the_image():
    assert evaluate.central_box((321, 481), size=160) == (80, 160, 160)
    assert evaluate.central_box((64, 100), size=160) == (0, 18, 64)
