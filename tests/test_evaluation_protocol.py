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


def test_table_by_noise_level_puts_the_paper_and_the_difference_beside_each_measured_value():
    from dncnn.evaluation.paper import PAPER_PSNR

    rows = [{"dataset": d, "sigma": s, "method": m, "image": "a.png", "psnr": p, "ssim": 0.5, "seconds": 1.0, "weights": ""}
            for d in ("BSD68", "Set12") for s, m, p in ((25.0, "BM3D", 28.6), (25.0, "DnCNN-S ours (quick)", 25.1),
                                                       (50.0, "BM3D", 25.7), (25.0, "noisy input", 20.5))]
    table = evaluate.tabulate_against_paper(evaluate.summarize(pd.DataFrame(rows)))
    assert list(table.method[table.dataset == "BSD68"]) == ["BM3D", "DnCNN-S ours (quick)", "noisy input"]
    bsd = table[table.dataset == "BSD68"].set_index("method")
    assert bsd.loc["BM3D", "paper_25"] == PAPER_PSNR["BSD68", "BM3D"][25]
    assert bsd.loc["BM3D", "diff_50"] == pytest.approx(25.7 - PAPER_PSNR["BSD68", "BM3D"][50])
    assert bsd.loc["DnCNN-S ours (quick)", "diff_25"] == pytest.approx(25.1 - PAPER_PSNR["BSD68", "DnCNN-S"][25])
    assert np.isnan(bsd.loc["DnCNN-S ours (quick)", "psnr_50"]) and np.isnan(bsd.loc["noisy input", "paper_25"])
    assert table[table.dataset == "Set12"].paper_25.isna().all()  # the paper's Set12 values are not in paper.py
    text = evaluate.format_against_paper_markdown(table, dataset="BSD68")
    assert f"| BM3D | 28.60 (paper {PAPER_PSNR['BSD68', 'BM3D'][25]:.2f}, +0.03) | 25.70 (paper 25.62, +0.08) |" in text

class _Recorder:
    """A denoiser that returns its input and keeps every noisy image it was given."""

    name, trained_sigma = "recorder", None

    def __init__(self):
        self.inputs = []

    def __call__(self, noisy, sigma):
        self.inputs.append(np.array(noisy))
        return noisy


def _reference_psnr(clean, estimate):
    """PSNR written out: estimate clipped to [0, 1], scaled by 255, rounded, against the uint8 image."""
    rounded = np.round(np.clip(np.asarray(estimate, np.float64), 0, 1) * 255)
    mse = np.mean((rounded - clean.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / mse)


def test_every_image_gets_its_own_seeded_noise_and_the_noisy_input_is_not_clipped():
    # three copies of one image whose ramp runs from 0 to 255: the same noise would give the same
    # noisy images, and clipping shows at both ends
    ramp = np.tile(np.linspace(0, 255, 32).round().astype(np.uint8), (32, 1))
    images = [ramp, ramp.copy(), ramp.copy()]
    recorder = _Recorder()
    rows = evaluate.evaluate_denoisers([IdentityDenoiser(), recorder], images, ["a", "b", "c"], dataset="t", sigma=25,
                                       seed=7, progress=False)
    for index, (clean, noisy) in enumerate(zip(images, recorder.inputs)):
        # the protocol written out: clean on [0, 1] plus float32(25/255) * default_rng([seed, index]) normals (float64 draw)
        z = np.random.default_rng([7, index]).standard_normal(clean.shape).astype(np.float32)
        expected = clean.astype(np.float32) / np.float32(255) + np.float32(25 / 255) * z
        np.testing.assert_array_equal(noisy, expected)
        assert noisy.dtype == np.float32 and noisy.min() < 0 and noisy.max() > 1  # not clipped
    assert not np.array_equal(recorder.inputs[0], recorder.inputs[1])
    noisy_rows = [row for row in rows if row["method"] == "noisy input"]
    assert [row["image"] for row in noisy_rows] == ["a", "b", "c"]
    for row, clean, noisy in zip(noisy_rows, images, recorder.inputs):
        assert row["psnr"] == pytest.approx(_reference_psnr(clean, noisy), abs=1e-9)


def test_summary_is_the_mean_over_the_images_not_their_median_or_first():
    psnrs, ssims = [20.0, 23.0, 35.5], [0.2, 0.5, 0.95]
    rows = [{"dataset": d, "sigma": 25.0, "method": m, "weights": "", "image": f"{i}.png", "psnr": p + shift, "ssim": s}
            for d in ("BSD68", "Set12") for i, (p, s) in enumerate(zip(psnrs, ssims))
            for m, shift in (("noisy input", 0.0), ("BM3D", 7.25))]
    summary = evaluate.summarize(pd.DataFrame(rows), reference=False).set_index(["dataset", "method"])
    for dataset in ("BSD68", "Set12"):
        for method, shift in (("noisy input", 0.0), ("BM3D", 7.25)):
            row = summary.loc[(dataset, method)]
            assert row.images == 3
            assert row.psnr == pytest.approx(sum(psnrs) / 3 + shift, abs=1e-12)  # 26.1667 + shift; median 23, first 20
            assert row.ssim == pytest.approx(sum(ssims) / 3, abs=1e-12)
    evaluate.check_summary_means(pd.DataFrame(rows), summary.reset_index())


def test_check_summary_means_refuses_a_summary_that_is_not_the_mean():
    rows = pd.DataFrame([{"dataset": "BSD68", "sigma": 25.0, "method": "BM3D", "image": f"{i}", "psnr": p, "ssim": 0.5}
                         for i, p in enumerate([20.0, 21.0, 30.0])])
    summary = evaluate.summarize(rows, reference=True)
    assert evaluate.check_summary_means(rows, summary) == 1  # the paper's rows are not checked
    median = summary.assign(psnr=np.where(summary.source == "measured", 21.0, summary.psnr))
    with pytest.raises(ValueError, match="psnr is 21.0, the mean of its 3 images"):
        evaluate.check_summary_means(rows, median)
    with pytest.raises(ValueError, match="2 images, the per-image table has 3"):
        evaluate.check_summary_means(rows, summary.assign(images=2.0))
    with pytest.raises(ValueError, match="no summary row"):
        evaluate.check_summary_means(pd.concat([rows, rows.assign(method="other")]), summary)


def test_check_authors_weights_compares_whole_set_rows_with_the_paper():
    def summary(psnr):
        return pd.DataFrame([{"dataset": "BSD68", "sigma": 25.0, "method": "DnCNN-S authors' weights", "source": "measured",
                              "images": 68, "psnr": psnr, "ssim": 0.8},
                             {"dataset": "BSD68", "sigma": 25.0, "method": "BM3D", "source": "measured", "images": 68,
                              "psnr": 20.0, "ssim": 0.8}])

    assert evaluate.check_authors_weights(summary(29.23 - 0.02)) == 1  # the paper: 29.23 dB; BM3D is not compared
    with pytest.raises(ValueError, match="DnCNN-S authors' weights on BSD68 at sigma 25: 29.130 dB, the paper 29.23 dB"):
        evaluate.check_authors_weights(summary(29.13))


class _Batch:
    """A denoiser with ``denoise_many`` (as BM3D): gets every noisy image at once, returns zeros."""

    name, trained_sigma, weights = "batch", None, "loaded: somewhere"

    def __init__(self):
        self.calls = []

    def denoise_many(self, noisies, sigma, progress=None):
        self.calls.append((len(noisies), sigma, progress))
        for noisy in noisies:
            if progress is not None:
                progress(1)
            yield np.zeros_like(noisy), 0.5


def test_rows_name_their_set_level_method_and_weights_and_every_denoiser_gets_the_sigma():
    images = [np.full((16, 16), v, np.uint8) for v in (60, 200)]
    batch, calls = _Batch(), []

    class SigmaRecorder(_Recorder):
        def __call__(self, noisy, sigma):
            calls.append(sigma)
            return super().__call__(noisy, sigma)

    rows = evaluate.evaluate_denoisers([SigmaRecorder(), batch], images, ["x.png", "y.png"], dataset="Set12", sigma=15,
                                       progress=True)
    assert calls == [15, 15] and batch.calls[0][:2] == (2, 15) and callable(batch.calls[0][2])
    assert [set(row) for row in rows] == [{"dataset", "sigma", "method", "weights", "image", "psnr", "ssim", "seconds"}] * 4
    assert [(r["dataset"], r["sigma"], r["method"], r["weights"], r["image"]) for r in rows] == [
        ("Set12", 15.0, "recorder", "", "x.png"), ("Set12", 15.0, "batch", "loaded: somewhere", "x.png"),
        ("Set12", 15.0, "recorder", "", "y.png"), ("Set12", 15.0, "batch", "loaded: somewhere", "y.png")]
    zero = rows[1]  # the all-zero estimate of a flat 60 image: PSNR and SSIM written out
    assert zero["psnr"] == pytest.approx(10 * np.log10(255 ** 2 / 60 ** 2)) and zero["ssim"] == pytest.approx(
        (0.01 * 255) ** 2 / (60 ** 2 + (0.01 * 255) ** 2))
    assert zero["seconds"] == 0.5 and all(0 <= r["seconds"] < 60 for r in rows)
    default = evaluate.evaluate_denoisers([_Recorder()], images, ["x.png", "y.png"], dataset="t", sigma=15, progress=False)
    seeded = evaluate.evaluate_denoisers([_Recorder()], images, ["x.png", "y.png"], dataset="t", sigma=15, seed=0, progress=False)
    assert [r["psnr"] for r in default] == [r["psnr"] for r in seeded]  # the default seed is 0


def test_check_authors_weights_looks_at_every_row_whatever_comes_first():
    rows = [{"dataset": "BSD68", "sigma": 25.0, "method": m, "source": "measured", "images": 68, "psnr": p, "ssim": 0.8}
            for m, p in (("BM3D", 28.6), ("DnCNN-B authors' weights", 29.16), ("DnCNN-S authors' weights", 28.9))]
    with pytest.raises(ValueError, match="DnCNN-S authors' weights on BSD68 at sigma 25: 28.900 dB"):
        evaluate.check_authors_weights(pd.DataFrame(rows))


def test_summary_columns_weights_and_paper_rows():
    rows = pd.DataFrame([{"dataset": d, "sigma": 25.0, "method": m, "weights": w, "image": "x", "psnr": 30.0, "ssim": 0.8}
                         for d in ("Set12", "BSD68") for m, w in (("noisy input", np.nan), ("ours", "trained in this run"))])
    summary = evaluate.summarize(rows)
    assert list(summary.columns) == ["dataset", "sigma", "method", "weights", "source", "images", "psnr", "ssim"]
    assert summary.weights.tolist()[:2] == ["", "trained in this run"]  # NaN read back from a CSV becomes ""
    papers = summary[summary.source == "paper (reference)"]
    assert set(papers.dataset) == {"BSD68"}  # the paper's Table II is BSD68's: Set12 gets no reference rows
    assert papers.method.tolist() == ["BM3D (paper)", "DnCNN-S (paper)", "DnCNN-B (paper)"]
    assert papers.psnr.tolist() == [28.57, 29.23, 29.16] and papers.weights.tolist() == [""] * 3
    assert papers.images.isna().all() and papers.ssim.isna().all() and (papers.sigma == 25.0).all()
    no_column = evaluate.summarize(rows.drop(columns="weights"), reference=False)  # tables written before the column
    assert no_column.weights.tolist() == [""] * 4
    unled = evaluate.summarize(rows, reference=False, lead=None)
    assert unled.dataset.tolist() == ["BSD68", "BSD68", "Set12", "Set12"] and unled.method.tolist()[:2] == ["noisy input", "ours"]


def test_check_summary_means_is_tight_reads_csv_types_and_names_rows_without_images():
    rows = pd.DataFrame([{"dataset": "BSD68", "sigma": 25, "method": "BM3D", "image": f"{i}", "psnr": p, "ssim": 0.5}
                         for i, p in enumerate([20.0, 21.0, 30.0])])  # sigma an int, as a CSV of whole numbers reads back
    summary = evaluate.summarize(rows.assign(sigma=25.0), reference=False)
    assert evaluate.check_summary_means(rows, summary) == 1  # 25 and 25.0 are one sigma
    with pytest.raises(ValueError, match="psnr is"):
        evaluate.check_summary_means(rows, summary.assign(psnr=summary.psnr + 1e-6))
    with pytest.raises(ValueError, match="ssim is"):
        evaluate.check_summary_means(rows, summary.assign(ssim=summary.ssim + 1e-6))
    with pytest.raises(ValueError, match=r"summary row \{'dataset': 'BSD68', 'sigma': 25.0, 'method': 'other'\} has no per-image rows"):
        evaluate.check_summary_means(rows, pd.concat([summary, summary.assign(method="other")]))
    authors = pd.DataFrame([{"dataset": d, "sigma": 25.0, "method": "DnCNN-S authors' weights", "source": "measured",
                             "images": 1, "psnr": p, "ssim": 0.8} for d, p in (("Set12", 30.4), ("BSD68", 28.0))])
    with pytest.raises(ValueError, match="on BSD68"):  # a row without a paper value (Set12) does not end the check
        evaluate.check_authors_weights(authors)


def test_check_image_counts_refuses_a_setting_with_an_image_missing_extra_repeated_or_out_of_order():
    from dncnn.data.datasets import list_files

    set12 = [rel.split("/")[1] for rel in list_files(["Set12"])]
    assert len(set12) == 12
    rows = [{"dataset": "Set12", "sigma": 25.0, "method": m, "image": n} for m in ("noisy input", "BM3D") for n in set12]
    full = pd.DataFrame(rows)
    assert evaluate.check_image_counts(full) == 2
    assert evaluate.check_image_counts(full[full.image.isin(set12[:3])], images=3) == 2  # the first 3, as asked
    broken = {
        "11 of 12": full.drop(index=5),
        "not the first N": full[full.image.isin(set12[1:4])],
        "repeated": pd.concat([full, full.iloc[[0]]]),
        "out of order": full.iloc[::-1],
        "another set's image": pd.concat([full, pd.DataFrame([{**rows[0], "image": "test001.png"}])]),
    }
    for what, table in broken.items():
        with pytest.raises(ValueError, match="setting"):
            evaluate.check_image_counts(table, images=3 if what == "not the first N" else None)


def test_a_whole_set_evaluation_scores_every_image_of_bsd68_and_set12(raw_dir, mirror):
    from dncnn.evaluation.denoisers import IdentityDenoiser

    per_image = evaluate.evaluate_sets([IdentityDenoiser()], sets=("BSD68", "Set12"), sigmas=(50.0,), raw_dir=raw_dir,
                                       progress=False)
    counts = per_image.groupby("dataset").image.nunique().to_dict()
    assert counts == {"BSD68": 68, "Set12": 12} and len(per_image) == 80
    for name in ("BSD68", "Set12"):
        assert list(per_image[per_image.dataset == name].image) == sorted(p.name for p in (mirror / name).glob("*.png"))
    assert evaluate.check_image_counts(per_image) == 2


def _set12_rows(sigmas=(15.0, 25.0)):
    """Per-image rows on three images: BM3D 30 dB everywhere but 31.5 on c.png; DnCNN-S 31 and DnCNN-B 30.8
    (30.6 on c.png); a noisy input row."""
    rows = []
    for sigma in sigmas:
        for image in ("a.png", "b.png", "c.png"):
            for method, psnr in (("noisy input", 20.0), ("BM3D", 31.5 if image == "c.png" else 30.0 - sigma / 100),
                                 ("DnCNN-S authors' weights", 31.0), ("DnCNN-B authors' weights", 30.6 if image == "c.png" else 30.8)):
                rows.append({"dataset": "Set12", "sigma": sigma, "method": method, "image": image, "psnr": psnr, "ssim": 0.8})
    return pd.DataFrame(rows)


def test_tabulate_images_puts_images_as_columns_with_the_mean_and_the_papers_averages():
    from dncnn.evaluation.paper import PAPER_SET12

    table = evaluate.tabulate_images(_set12_rows())
    assert list(table.columns) == ["sigma", "method", "source", "a.png", "b.png", "c.png", "average"]
    measured = table[table.source == "measured"].set_index(["sigma", "method"])
    assert "noisy input" not in set(table.method)
    assert measured.loc[(15.0, "BM3D"), "c.png"] == 31.5
    assert measured.loc[(25.0, "BM3D"), "average"] == pytest.approx((29.75 * 2 + 31.5) / 3)
    paper = table[table.source == "paper (reference)"].set_index(["sigma", "method"])
    assert paper.loc[(25.0, "DnCNN-S (paper)"), "average"] == PAPER_SET12["Set12", "DnCNN-S"][25]
    assert paper[["a.png", "b.png", "c.png"]].isna().all().all()
