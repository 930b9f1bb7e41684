"""The noise-level study's tables: resumable measurement, thresholds and rules derived from the grid."""

import numpy as np
import pandas as pd
import pytest

from dncnn.evaluation import noise_levels as NL
from dncnn.evaluation.denoisers import IdentityDenoiser
from dncnn.model.catalog import AUTHORS_WEIGHTS, get_entry

S15, S25, S50, B = (get_entry(key).name for key in ("dncnn_s_sigma15", "dncnn_s_sigma25", "dncnn_s_sigma50", "dncnn_b_gray_blind"))
SIGMAS = (5.0, 15.0, 25.0, 35.0, 50.0, 65.0)


def _grid(psnr_of, images=("a.png", "b.png")):
    """A per-image table whose PSNR is ``psnr_of(method, sigma, image index)``."""
    rows = []
    for sigma in SIGMAS:
        for method, trained in ((S15, 15.0), (S25, 25.0), (S50, 50.0), (B, np.nan)):
            for k, image in enumerate(images):
                rows.append({"dataset": "BSD68", "sigma": sigma, "method": method, "trained_sigma": trained,
                             "weights": AUTHORS_WEIGHTS, "image": image, "psnr": psnr_of(method, sigma, k),
                             "ssim": 0.5, "seconds": 0.1})
    return pd.DataFrame(rows)


def _peaked(method, sigma, k):
    """Each DnCNN-S peaks at its own sigma (1 dB lost per 10 of sigma away from it); DnCNN-B 0.5 dB below the peak."""
    base = 40.0 - 0.2 * sigma + 0.1 * k
    if method == B:
        return base - 0.5
    trained = float(method.split("S")[1].split(" ")[0])
    return base - abs(sigma - trained) / 10.0


def test_thresholds_are_where_one_dncnn_s_overtakes_the_next():
    thresholds = NL.specific_thresholds(_grid(_peaked))
    # |s - 15| = |s - 25| at 20 and |s - 25| = |s - 50| at 37.5: the grid's straight lines cross there
    assert [round(t["threshold"], 6) for t in thresholds] == [20.0, 37.5]
    assert [(t["lower"], t["upper"]) for t in thresholds] == [(S15, S25), (S25, S50)]
    assert NL.nearest_specific(19.9, thresholds) == S15 and NL.nearest_specific(20.0, thresholds) == S25
    assert NL.nearest_specific(80.0, thresholds) == S50


def test_the_rule_keeps_the_blind_model_unless_another_is_strictly_better():
    grid = _grid(_peaked)
    estimates = grid[grid.method == B][["dataset", "sigma", "image"]].assign(estimator="perfect", estimate=lambda t: t.sigma,
                                                                             seconds=0.0)
    rule = NL.derive_rule(grid, estimates, estimator="perfect")
    # with perfect estimates the DnCNN-S of each grid sigma wins where it is within 0.5 dB of its peak
    chosen = {s: NL.apply_rule(s, rule) for s in SIGMAS}
    assert chosen == {5.0: B, 15.0: S15, 25.0: S25, 35.0: B, 50.0: S50, 65.0: B}
    assert all(r["pairs"] == 2 for r in rule if r["model"] != B)
    tied = _grid(lambda m, s, k: 30.0)  # every model equal: DnCNN-B everywhere, one merged bin
    assert [r["model"] for r in NL.derive_rule(tied, estimates, estimator="perfect")] == [B]


def test_a_row_chosen_by_the_estimate_takes_the_chosen_models_scores():
    grid = _grid(_peaked)
    estimates = grid[grid.method == B][["dataset", "sigma", "image"]].assign(estimator="e", seconds=0.0,
                                                                             estimate=lambda t: t.sigma + 12.0)
    rows = NL.choose_by_estimate(grid, estimates, estimator="e", choose=lambda e: S50 if e > 40 else S15, label="x")
    assert len(rows) == len(estimates)
    for r in rows.itertuples():
        expected = _peaked(S50 if r.sigma + 12 > 40 else S15, r.sigma, ["a.png", "b.png"].index(r.image))
        assert r.psnr == pytest.approx(expected) and r.method == "x"


def test_the_oracle_is_the_best_dncnn_s_at_each_sigma():
    oracle = NL.oracle_rows(_grid(_peaked))
    best = oracle.groupby("sigma").chosen.first().to_dict()
    assert best == {5.0: S15, 15.0: S15, 25.0: S25, 35.0: S25, 50.0: S50, 65.0: S50}


def test_estimator_bias_and_spread_equal_numpy():
    rng = np.random.default_rng(0)
    est = pd.DataFrame([{"dataset": "BSD68", "sigma": s, "estimator": "e", "image": f"{k}", "estimate": s + rng.normal(1, 2),
                         "seconds": 0.0} for s in (15.0, 25.0) for k in range(5)])
    table = NL.summarize_estimators(est).set_index("sigma")
    for sigma in (15.0, 25.0):
        error = est[est.sigma == sigma].estimate.to_numpy() - sigma
        assert table.loc[sigma, "bias"] == pytest.approx(error.mean())
        assert table.loc[sigma, "spread"] == pytest.approx(error.std(ddof=1))
        assert table.loc[sigma, "worst"] == pytest.approx(np.abs(error).max())


class _Halving:
    name, trained_sigma, weights = "halving", 25.0, "test"

    def __init__(self):
        self.calls = 0

    def __call__(self, noisy, sigma):
        self.calls += 1
        return 0.5 + (noisy - 0.5) * 0.5


def test_a_resumed_grid_runs_only_the_missing_settings_and_gives_the_same_table():
    images = [np.full((16, 16), v, np.uint8) for v in (60, 160)]
    names = ["x.png", "y.png"]
    halving = _Halving()
    saved = []
    full = NL.evaluate_noise_levels([IdentityDenoiser(), halving], images, names, sigmas=(15.0, 50.0), progress=False,
                                    on_setting=lambda rows: saved.append(rows))
    assert len(saved) == 4 and halving.calls == 4 and len(full) == 8
    assert (full.trained_sigma[full.method == "halving"] == 25.0).all() and full.trained_sigma[full.method == "noisy input"].isna().all()
    partial = saved[1]  # sigma 15 done, then the run was stopped
    again = _Halving()
    resumed = NL.evaluate_noise_levels([IdentityDenoiser(), again], images, names, sigmas=(15.0, 50.0), progress=False,
                                       done=partial)
    assert again.calls == 2  # only sigma 50
    pd.testing.assert_frame_equal(resumed.drop(columns="seconds"), full.drop(columns="seconds"))


def test_the_check_names_a_row_missing_from_the_table_and_a_difference_beyond_tolerance():
    grid = _grid(_peaked)
    rerun = grid[grid.sigma == 25.0].copy()
    check = NL.check_noise_levels(rerun, grid)
    assert (check.psnr_diff == 0).all()
    rerun.loc[rerun.index[0], "psnr"] += 0.2
    with pytest.raises(AssertionError, match=r"psnr differs from the committed table by \+0\.2"):
        NL.assert_close_to_table(NL.check_noise_levels(rerun, grid), tolerances={"psnr": 0.05})
    with pytest.raises(ValueError, match="not in the committed table"):
        NL.check_noise_levels(rerun.iloc[:1].assign(image="other.png"), grid)


def test_rule_bins_meet_halfway_between_the_grid_sigmas():
    assert NL.rule_bins([25, 5, 15]) == [(0.0, 10.0, 5.0), (10.0, 20.0, 15.0), (20.0, float("inf"), 25.0)]


def test_every_label_maps_to_a_released_model_of_the_cli():
    from dncnn.model.catalog import find_entry
    from dncnn.model.reference import reference_keys

    assert [find_entry(label).key for label in (S15, S25, S50, B)] == [
        "dncnn_s_sigma15", "dncnn_s_sigma25", "dncnn_s_sigma50", "dncnn_b_gray_blind"]
    assert all(find_entry(label).key in reference_keys() for label in (S15, B))
    assert find_entry("BM3D").key == "bm3d" and not find_entry("BM3D").is_network
    assert find_entry("estimated sigma -> nearest DnCNN-S") is None  # a derived row names no model


def test_on_a_compressed_photo_the_pca_estimate_falls_far_below_the_files_error():
    """The estimators measure white Gaussian noise: on the 8-bit file itself the weak-texture PCA
    finds sigma, but a JPEG's quantisation flattens the flat patches it relies on, so at quality 50
    it reports a fraction of the error the file holds (noise and blocks), as the docs say."""
    from dncnn.data.noise_estimation import ESTIMATORS

    pca = "weak-texture PCA (Liu et al. 2013)"
    y, x = np.mgrid[0:96, 0:128] / 128
    clean = np.round(255 * (0.2 + 0.4 * x + 0.2 * np.exp(-((x - 0.5) ** 2 + (y - 0.4) ** 2) / 0.05))).astype(np.uint8)
    table = NL.estimate_jpeg_noise({pca: ESTIMATORS[pca]}, [clean], sigmas=(10.0,), qualities=(None, 50))
    plain, jpeg = (table[table.quality == q].iloc[0] for q in (0, 50))
    assert abs(plain.estimate - 10) < 1.5 and abs(plain.residual - 10) < 1.0
    assert jpeg.estimate < 0.5 * jpeg.residual and jpeg.residual > 5  # the file still holds error; the estimate misses it
