"""Notebook 06's findings: every number in the text is read back and compared with the tables."""

import re

import numpy as np
import pandas as pd
import pytest

from dncnn import config
from dncnn.analysis import noise_levels as F
from dncnn.evaluation import noise_levels as NL
from dncnn.model.catalog import AUTHORS_WEIGHTS, get_entry

SIGMAS = (5.0, 15.0, 25.0, 35.0, 45.0, 50.0, 55.0, 65.0, 75.0)
NUMBER = r"([+-]?\d+\.\d+)"


def _grid():
    """A synthetic grid: each DnCNN-S peaks at its sigma, DnCNN-B follows 0.1 dB below the best up to 55 and
    drops past it, BM3D 0.4 dB below the best; two estimators, one biased."""
    rows, est = [], []
    methods = [("noisy input", np.nan, ""), ("BM3D", np.nan, ""), (get_entry("dncnn_s_sigma15").name, 15.0, AUTHORS_WEIGHTS),
               (get_entry("dncnn_s_sigma25").name, 25.0, AUTHORS_WEIGHTS), (get_entry("dncnn_s_sigma50").name, 50.0, AUTHORS_WEIGHTS),
               (get_entry("ours").name, 25.0, "loaded: weights/dncnn-s-sigma25.keras"),
               (NL.BLIND_LABEL, np.nan, AUTHORS_WEIGHTS)]
    for sigma in SIGMAS:
        for k, image in enumerate(("a.png", "b.png", "c.png")):
            best = 40.0 - 0.2 * sigma + 0.3 * k
            for method, trained, weights in methods:
                if method == "noisy input":
                    psnr = 20 * np.log10(255 / sigma)
                elif method == "BM3D":
                    psnr = best - 0.4
                elif method == NL.BLIND_LABEL:
                    psnr = best - 0.1 - (0.15 * (sigma - 55) if sigma > 55 else 0.0)
                else:
                    psnr = best - abs(sigma - trained) / 8.0 - (0.05 if "ours" in method else 0.0)
                rows.append({"dataset": "BSD68", "sigma": sigma, "method": method, "trained_sigma": trained,
                             "weights": weights, "image": image, "psnr": psnr, "ssim": psnr / 50, "seconds": 1.0})
            for name, bias in (("plain", 0.0), ("biased", 3.0)):
                est.append({"dataset": "BSD68", "sigma": sigma, "estimator": name, "image": image,
                            "estimate": sigma + bias + 0.5 * (k - 1), "seconds": 0.01})
    return pd.DataFrame(rows), pd.DataFrame(est)


@pytest.fixture(scope="module")
def study():
    per_image, estimates = _grid()
    derived = NL.derived_rows(per_image, estimates)
    return per_image, estimates, derived, NL.summarize_noise_levels(per_image, derived)


def _psnr(summary, method, sigma):
    return float(summary[(summary.method == method) & (summary.sigma == sigma)].psnr.iloc[0])


def test_where_each_dncnn_s_falls_behind_bm3d(study):
    per_image, _, _, summary = study
    text = F.describe_specific_vs_bm3d(summary, per_image)
    for trained in (15, 25, 50):
        label = get_entry(f"dncnn_s_sigma{int(trained)}").name
        sentence = re.search(re.escape(label) + r"[^.]*?\d\.\d\d dB[^.]*\.\d\d dB[^.]*\.", text).group(0)
        ahead = [s for s in SIGMAS if _psnr(summary, label, s) > _psnr(summary, "BM3D", s)]
        span = re.search(r"from sigma (\d+) to (\d+)|at sigma (\d+) only", sentence).groups()
        low, high = (span[2], span[2]) if span[2] else span[:2]
        assert (float(low), float(high)) == (min(ahead), max(ahead))
        if max(ahead) < SIGMAS[-1]:
            after = min(s for s in SIGMAS if s > max(ahead))
            there = float(re.search(rf"falls behind from sigma {after:g} \({NUMBER} dB there", sentence).group(1))
            assert there == pytest.approx(_psnr(summary, label, after) - _psnr(summary, "BM3D", after), abs=0.006)


def test_the_blind_gap_inside_and_past_55(study):
    per_image, _, _, summary = study
    text = F.describe_blind_gap(summary, per_image)
    for trained in (15, 25, 50):
        gap = float(re.search(rf"{NUMBER} dB from DnCNN-S{trained} at sigma {trained}", text).group(1))
        assert gap == pytest.approx(_psnr(summary, NL.BLIND_LABEL, trained) - _psnr(summary, get_entry(f"dncnn_s_sigma{int(trained)}").name, trained), abs=0.006)
    for sigma in (65, 75):
        to_bm3d = float(re.search(rf"at sigma {sigma} it is {NUMBER} dB from BM3D", text).group(1))
        assert to_bm3d == pytest.approx(_psnr(summary, NL.BLIND_LABEL, sigma) - _psnr(summary, "BM3D", sigma), abs=0.006)


def test_the_choice_without_sigma_quotes_the_default_path_and_the_told_dncnn_s(study):
    _, _, derived, summary = study
    rule = derived["rules"][derived["estimator"]]
    text = F.describe_choice(summary, rule, estimator=derived["estimator"], thresholds=derived["thresholds"])
    assert f"with the {derived['estimator']} estimator" in text and derived["estimator"] == "plain"  # the unbiased one wins
    for sigma in (15, 25, 50):
        default, oracle = map(float, re.search(rf"{NUMBER} against {NUMBER} dB at sigma {sigma}\b", text).groups())
        assert default == pytest.approx(_psnr(summary, NL.DEFAULT_LABEL, sigma), abs=0.006)
        assert oracle == pytest.approx(_psnr(summary, NL.ORACLE_LABEL, sigma), abs=0.006)
    blind = float(re.search(rf"DnCNN-B alone {NUMBER} dB", text).group(1))
    assert blind == pytest.approx(summary[summary.method == NL.BLIND_LABEL].psnr.mean(), abs=0.006)
    for r in rule:
        assert f"estimates in [{r['low']:g}," in text and f"-> {r['model']}" in text


def test_the_estimator_paragraph_quotes_the_bias_at_15_25_and_50(study):
    _, estimates, _, _ = study
    table = NL.summarize_estimators(estimates)
    text = F.describe_estimators(table)
    for name in ("plain", "biased"):
        part = text.split(f"{name}: ")[1]
        for sigma in (15, 25, 50):
            bias = float(re.search(rf"{NUMBER} at sigma {sigma}\b", part).group(1))
            assert bias == pytest.approx(table[(table.estimator == name) & (table.sigma == sigma)].bias.iloc[0], abs=0.006)


def test_the_clean_photo_paragraph_quotes_the_worst_photo_and_the_margin():
    table = pd.DataFrame({"photo": ["a", "b"], "sigma_estimate": [0.5, 2.0], "model": ["dncnn_b_gray_blind"] * 2,
                          "psnr": [48.0, 36.5], "margin_db": [34.15] * 2})
    text = F.describe_clean_photos(table)
    assert "worst: b, 36.50 dB" in text and "margin is 34.15 dB" in text and "sigma 5 would" in text
    assert "Every photo clears it" in text
    assert "the default path chose DnCNN-B authors' weights (2 photos)" in text  # the model's name, not its key
    assert "1 photo falls below it: b 30.00 dB" in F.describe_clean_photos(table.assign(psnr=[48.0, 30.0]))
    assert "2 photos fall below it" in F.describe_clean_photos(table.assign(psnr=[30.0, 30.0]))
    assert "(1 photo)" in F.describe_clean_photos(table.assign(model=["dncnn_b_gray_blind", "cdncnn_b_color_blind"]))


@pytest.mark.skipif(not (config.NOISE_LEVELS_TABLE_DIR / "noise_levels_per_image.csv").exists(),
                    reason="the committed noise-level grid is absent")
def test_the_documented_block_is_generated_from_the_committed_tables():
    doc = (config.PROJECT_ROOT / "docs" / "noise-levels.md").read_text()
    block = doc.split(F.DOC_START)[1].split(F.DOC_END)[0].strip()
    assert block == F.render_noise_levels().strip()


def test_past_55_a_best_row_that_is_bm3d_is_named_once(study):
    per_image, _, _, summary = study
    text = F.describe_blind_gap(summary, per_image)  # past 55 the synthetic DnCNN-B falls below BM3D, the best row there
    assert "it is -1.60 dB from BM3D, the best row there" in text or "from BM3D, the best row there" in text
    assert "from the best row (BM3D)" not in text
    assert text.count("from BM3D") == 2  # sigma 65 and 75, once each


def test_a_shortfall_of_zero_is_no_shortfall_and_a_real_one_has_no_sign():
    import pandas as pd

    oracle = pd.Series({"15": 31.7, "25": 29.2})
    same = F._recommend({"a": oracle.copy()}, oracle)
    assert "never falls short" in same and "+0.00" not in same and "shortfall" not in same
    short = F._recommend({"a": oracle - pd.Series({"15": 0.0, "25": 0.41})}, oracle)
    assert "its largest shortfall from the DnCNN-S told the true sigma is 0.41 dB (sigma 25)" in short


def test_the_nearest_dncnn_s_that_equals_the_told_one_is_one_result_not_two(study):
    _, _, derived, summary = study
    rule = derived["rules"][derived["estimator"]]
    text = F.describe_choice(summary, rule, estimator=derived["estimator"], thresholds=derived["thresholds"])
    table = NL.pivot_summary(summary)
    same = bool(((table.loc[NL.NEAREST_LABEL] - table.loc[NL.ORACLE_LABEL]).abs() < 0.005).all())
    assert ("here the two rows are one result" in text) == same
    if not same:
        assert re.search(rf"nearest DnCNN-S \(thresholds [^)]*\) {NUMBER} dB and the DnCNN-S told the true sigma", text)
    shifted = summary.assign(psnr=[p - 0.3 if m == NL.NEAREST_LABEL else p for m, p in zip(summary.method, summary.psnr)])
    text = F.describe_choice(shifted, rule, estimator=derived["estimator"], thresholds=derived["thresholds"])
    assert "one result" not in text and "nearest DnCNN-S (thresholds" in text


@pytest.mark.skipif(not (config.NOISE_LEVELS_TABLE_DIR / "noise_levels_per_image.csv").exists(),
                    reason="the committed noise-level grid is absent")
def test_the_committed_grid_says_no_minus_zero_no_repeated_best_row_and_no_zero_shortfall():
    text = F.render_noise_levels()
    assert "-0.00" not in text and "+0.00" not in text
    assert "from the best row (BM3D)" not in text and "range(s)" not in text and "photo(s)" not in text
    assert "shortfall from the DnCNN-S told the true sigma is 0.00" not in text
