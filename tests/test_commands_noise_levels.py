"""The noise-level study's command and the denoise command without --sigma: the rule comes from the
committed grid, a clean photo survives the default path, the estimate is printed."""

import math

import numpy as np
import pandas as pd
import pytest

from dncnn import config
from dncnn.evaluation.noise_levels import apply_rule
from dncnn.restoration import files as denoise_files
from dncnn.restoration import rule as denoise
from dncnn.commands import noise_levels as C
from dncnn.restoration import clean_photos as P
from dncnn.model.catalog import find_entry

COMMITTED = config.NOISE_LEVELS_TABLE_DIR
needs_grid = pytest.mark.skipif(not (COMMITTED / "noise_levels_rule.csv").exists(), reason="the committed noise-level grid is absent")


@needs_grid
def test_the_rule_the_command_reads_is_derived_from_the_committed_grid():
    from dncnn.evaluation import noise_levels as NL

    tables = NL.load_noise_level_tables()
    estimator = NL.choose_default_estimator(tables["per_image"], tables["estimates"])
    derived = NL.derive_rule(tables["per_image"], tables["estimates"], estimator=estimator)
    rule = denoise.read_sigma_rule()
    assert rule["estimator"] == estimator
    assert [(r["low"], r["high"], r["reference_model"]) for r in rule["rule"]] == [
        (pytest.approx(d["low"]), pytest.approx(d["high"]) if math.isfinite(d["high"]) else d["high"], find_entry(d["model"]).key)
        for d in derived]


@needs_grid
def test_every_committed_clean_photo_clears_the_margin():
    table = pd.read_csv(COMMITTED / "noise_levels_clean_photos.csv")
    assert list(table.photo) == list(P.CLEAN_PHOTOS)
    margin = 10 * math.log10(255 ** 2 / 5 ** 2)  # the PSNR of Gaussian noise of sigma 5 (MSE 25)
    assert P.clean_margin_db() == pytest.approx(margin)
    assert (table.psnr > margin).all(), table[["photo", "model", "psnr"]].to_string()


@needs_grid
@pytest.mark.slow  # a network on a small photo
def test_a_clean_photo_through_the_default_path_stays_above_the_margin(tmp_path):
    import cv2
    import skimage.data

    from dncnn.evaluation.metrics import compute_psnr

    clean = skimage.data.coins()[64:192, 128:256]  # 8-bit, outside the test sets, sigma near 0
    cv2.imwrite(str(tmp_path / "clean.png"), clean)
    done = denoise_files.denoise_file(tmp_path / "clean.png", tmp_path / "out.png")
    assert done["sigma_estimate"] < 5 and done["chosen"] == find_entry(apply_rule(done["sigma_estimate"], denoise.read_sigma_rule()["rule"])).key
    assert compute_psnr(clean, cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED) / 255) > P.clean_margin_db()


@needs_grid
@pytest.mark.slow  # a network on a small photo
def test_denoise_without_sigma_prints_its_estimate_and_uses_the_rules_model(tmp_path, capsys):
    import cv2
    import skimage.data

    from dncnn import cli
    from dncnn.data.noise import add_gaussian_noise
    from dncnn.evaluation.metrics import compute_psnr

    clean = skimage.data.moon()[128:256, 128:256]  # a photo outside the test sets
    noisy = np.round(np.clip(add_gaussian_noise(clean, 25, seed=0), 0, 1) * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "noisy.png"), noisy)
    assert cli.main(["denoise", str(tmp_path / "noisy.png"), str(tmp_path / "out.png")]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("estimated sigma"))
    estimate = float(line.split()[2])
    assert abs(estimate - 25) < 4 and line.endswith(find_entry(apply_rule(estimate, denoise.read_sigma_rule()["rule"])).key)
    out = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    assert compute_psnr(clean, out / 255) > compute_psnr(clean, noisy / 255) + 5


def test_sigma_auto_leaves_the_model_to_the_estimate():
    assert denoise.wants_estimate() and denoise.wants_estimate(sigma="auto")
    assert not denoise.wants_estimate(sigma=25.0) and not denoise.wants_estimate(model="dncnn_b_gray_blind")
    with pytest.raises(ValueError, match='`sigma="auto"` picks the model'):
        denoise.wants_estimate(sigma="auto", model="dncnn_s_sigma25")
    rule = [{"low": 0.0, "high": 10.0, "model": "a"}, {"low": 10.0, "high": float("inf"), "model": "b"}]
    assert [apply_rule(e, rule) for e in (-1.0, 0.0, 9.99, 10.0, 300.0)] == ["a", "a", "a", "b", "b"]  # the one rule function


def test_the_cli_reads_auto_or_a_number_for_sigma():
    import argparse

    from dncnn.cli import parse_sigma

    assert parse_sigma("auto") == parse_sigma(" AUTO ") == "auto" and parse_sigma("12.5") == 12.5
    with pytest.raises(argparse.ArgumentTypeError, match="a number .* or auto"):
        parse_sigma("loud")


def test_a_missing_rule_names_the_file_and_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"noise_levels_rule.csv is missing.*python -m dncnn noise-levels"):
        denoise.read_sigma_rule(tmp_path)


def test_the_estimators_alone_fill_their_partial_table_and_a_rerun_keeps_it(tmp_path, mirror):
    out = C.measure_noise_levels(out_dir=tmp_path, images=1, crop=32, sigmas=(15.0, 50.0), networks=False, progress=False)
    partial = pd.read_csv(tmp_path / "noise_levels_estimates.partial.csv")
    assert out["paths"] == {} and len(partial) == 4 and set(partial.sigma) == {15.0, 50.0}
    again = C.measure_noise_levels(out_dir=tmp_path, images=1, crop=32, sigmas=(15.0, 50.0), networks=False, progress=False)
    pd.testing.assert_frame_equal(again["estimates"].drop(columns="seconds"), out["estimates"].drop(columns="seconds"))
    assert (again["estimates"].seconds.to_numpy() == out["estimates"].seconds.to_numpy()).all()  # kept, not measured again
