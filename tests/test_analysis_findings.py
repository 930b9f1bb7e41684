"""The findings paragraphs: every number read back out of the text equals the one computed from the tables.

The tables are the committed results of real runs (results/paper, results/quick, results/dncnn3) and
a log of the shipped model; each expected value is computed here again with pandas, independently of
dncnn.analysis.findings.
"""

import math
import re

import numpy as np
import pandas as pd
import pytest

from dncnn import config
from dncnn.analysis import findings
from dncnn.training.runs import read_run, runs_table

RESULTS = config.PROJECT_ROOT / "results"
NUMBER = r"([+-]?[\d,]+\.?\d*)"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _table(profile: str, name: str) -> pd.DataFrame:
    path = RESULTS / profile / name
    if not path.exists():
        pytest.skip(f"{path} is not committed")
    return pd.read_csv(path)


@pytest.mark.parametrize("profile", ["paper", "quick"])
def test_evaluation_headline_authors_rows_and_every_noise_level(profile):
    summary = _table(profile, "summary.csv")
    text = findings.describe_evaluation(summary)
    measured = summary[summary.source == "measured"]
    paper = summary[summary.source == "paper (reference)"].set_index(["dataset", "sigma", "method"]).psnr

    def row(dataset, sigma, method):
        return float(measured[(measured.dataset == dataset) & (measured.sigma == sigma) & (measured.method == method)].psnr.iloc[0])

    m = re.search(r"\*\*BSD68, sigma 25 \((\d+) images\)\.\*\* (.+?) scores (\d+\.\d\d) dB: ([+-]\d+\.\d\d) dB from the paper's "
                  r"DnCNN-S \((\d+\.\d\d) dB\) and ([+-]\d+\.\d\d) dB over BM3D run here \((\d+\.\d\d) dB; the paper's BM3D: "
                  r"(\d+\.\d\d) dB\)", text)
    assert m, text
    images, model, psnr, to_paper, paper_s, to_bm3d, bm3d, paper_bm3d = m.groups()
    from dncnn.model.catalog import find_entry, get_entry

    assert find_entry(model) is get_entry("ours") and int(images) == 68  # by its name or, in older tables, its former one
    ours, measured_bm3d = row("BSD68", 25.0, model), row("BSD68", 25.0, "BM3D")
    assert float(psnr) == round(ours, 2) and float(bm3d) == round(measured_bm3d, 2)
    assert float(paper_s) == paper["BSD68", 25.0, "DnCNN-S (paper)"] and float(paper_bm3d) == paper["BSD68", 25.0, "BM3D (paper)"]
    assert float(to_paper) == pytest.approx(ours - paper["BSD68", 25.0, "DnCNN-S (paper)"], abs=0.006)
    assert float(to_bm3d) == pytest.approx(ours - measured_bm3d, abs=0.006)

    diffs = [(r.method, r.sigma, r.psnr - paper[r.dataset, r.sigma, r.method.split(" ")[0] + " (paper)"])
             for r in measured.itertuples() if "authors'" in r.method and (r.dataset, r.sigma, r.method.split(" ")[0] + " (paper)") in paper.index]
    m = re.search(r"at most (\d+\.\d\d) dB from the paper's Table II in the (\d+) rows? that ha(?:s|ve) a paper value "
                  r"\((?:largest: )?(.+?) at sigma (\d+), ([+-]?\d+\.\d\d) dB\): within the study's tolerance of 0\.05 dB", text)
    assert m, text
    worst = max(diffs, key=lambda d: abs(d[2]))
    assert int(m.group(2)) == len(diffs) and float(m.group(1)) == round(abs(worst[2]), 2)
    assert (m.group(3), float(m.group(4))) == (worst[0], worst[1]) and float(m.group(5)) == pytest.approx(worst[2], abs=0.006)

    bsd68 = text.split("On BSD68 (the paper's Table II)")[1].split(". ")[0]
    levels = re.findall(r"([+-]?\d+\.\d\d) dB at sigma (\d+) \((.+?)\)", bsd68)
    assert [int(s) for _, s, _ in levels] == sorted(int(s) for s in measured[measured.dataset == "BSD68"].sigma.unique())
    for gain, sigma, method in levels:
        rows = measured[(measured.dataset == "BSD68") & (measured.sigma == float(sigma))]
        best = rows[rows.method.str.startswith("DnCNN-S")].psnr.max()
        assert float(gain) == pytest.approx(best - row("BSD68", float(sigma), "BM3D"), abs=0.006)
        assert row("BSD68", float(sigma), method) == best
    assert bool(re.search(r"beats BM3D on average at (every noise level|sigma \d+, the one)", bsd68)) == all(float(g) > 0 for g, _, _ in levels)
    assert "Not tested here" in text
    if "Set12" in set(measured.dataset):  # the paper's Table III: the Set12 averages are a finding too
        assert "On Set12 (the paper's Table III) a DnCNN-S beats BM3D on average" in text


@pytest.mark.parametrize("profile", ["paper", "quick"])
def test_gains_name_the_count_the_extremes_and_their_images(profile):
    per_image = _table(profile, "per_image.csv")
    text = findings.describe_gains(per_image)
    sentences = re.findall(r"(DnCNN[^.]*?(?:\.\w+)*?) beats BM3D on (\d+) of (\d+) images \(gain ([+-]\d+\.\d\d) dB on (\S+) to "
                           r"([+-]\d+\.\d\d) dB on (\S+), median ([+-]\d+\.\d\d) dB\)", text)
    part = per_image[(per_image.dataset == "BSD68") & (per_image.sigma == 25.0)]
    wide = part.pivot(index="image", columns="method", values="psnr")
    dncnn = [m for m in dict.fromkeys(part.method) if m.startswith("DnCNN")]
    assert sorted(s[0] for s in sentences) == sorted(dncnn)
    for method, wins, total, top, top_image, bottom, bottom_image, median in sentences:
        gain = wide[method] - wide["BM3D"]
        assert (int(wins), int(total)) == (int((gain > 0).sum()), len(gain))
        assert (float(top), top_image) == (round(gain.max(), 2), gain.idxmax())
        assert (float(bottom), bottom_image) == (round(gain.min(), 2), gain.idxmin())
        assert float(median) == pytest.approx(gain.median(), abs=0.006)


def test_gains_table_is_sorted_largest_first_within_each_method():
    per_image = _table("quick", "per_image.csv")
    gains = findings.gains_over(per_image)
    assert set(gains.method) == {m for m in per_image.method if m.startswith("DnCNN")}
    for _, part in gains.groupby(["dataset", "sigma", "method"]):
        assert np.all(np.diff(part.gain.to_numpy()) <= 0)


def test_tasks_against_table_v_baselines_and_colour():
    versus, summary = _table("dncnn3", "tasks_vs_paper.csv"), _table("dncnn3", "tasks_summary.csv")
    text = findings.describe_tasks(versus, summary)
    m = re.search(r"Its (\d+) rows that have a Table V value land, measured minus paper, at ([+-]?\d+\.\d\d) to ([+-]?\d+\.\d\d) dB", text)
    assert m, text
    assert int(m.group(1)) == len(versus)
    assert (m.group(2), m.group(3)) == (findings.signed(versus.delta_psnr.min()), findings.signed(versus.delta_psnr.max()))
    assert f"All {len(versus)} rows lie within the study's tolerance of 0.05 dB of Table V" in text
    measured = summary[summary.source == "measured"]
    for task, baseline in (("super-resolution", "bicubic"), ("JPEG deblocking", "JPEG")):
        m = re.search(rf"In {task} DnCNN-3 beats {baseline} in (\d+) of (\d+) settings \(by ([+-]\d+\.\d\d) to ([+-]\d+\.\d\d) dB\)", text)
        part = measured[measured.task == ("jpeg" if task.startswith("JPEG") else task)]
        wide = part.pivot_table(index=["dataset", "level"], columns="method", values="psnr")
        gain = wide["DnCNN-3"] - wide[baseline]
        assert (int(m.group(1)), int(m.group(2))) == (int((gain > 0).sum()), len(gain))
        assert (float(m.group(3)), float(m.group(4))) == (round(gain.min(), 2), round(gain.max(), 2))
    m = re.search(r"\((\w+), sigma 25, (\d+) images\): (.+?) (\d+\.\d\d) dB against CBM3D (\d+\.\d\d) dB", text)
    colour = measured[measured.task == "colour denoising"].set_index("method")
    assert int(m.group(2)) == int(colour.loc["CBM3D", "images"])
    assert (float(m.group(4)), float(m.group(5))) == (round(colour.loc[m.group(3), "psnr"], 2), round(colour.loc["CBM3D", "psnr"], 2))
    assert "not tested" in text.lower()


def test_patches_counts_per_scale_dropped_and_kept():
    counts = _table("paper", "patch_counts.csv")
    text = findings.describe_patches(counts, images=400, batch_size=128)
    scales = counts[pd.to_numeric(counts.scale, errors="coerce").notna()]
    for scale, n in zip(scales.scale, scales.patches):
        assert f"{float(scale):g}: {int(n):,}" in text
    m = re.search(rf"give {NUMBER} patches .*? The first {NUMBER} are dropped .*?: {NUMBER} patches are kept, {NUMBER} batches", text)
    total, dropped, kept, batches = (_num(g) for g in m.groups())
    assert total == scales.patches.sum() and kept == total - dropped and kept % 128 == 0 and batches == kept // 128
    text = findings.describe_patches(_table("quick", "patch_counts.csv"), images=400, batch_size=32)
    assert "None is dropped" in text and "238,400 patches are kept, 7,450 batches" in text


def test_training_time_throughput_and_final_loss():
    shipped = read_run(config.WEIGHTS_DIR / "dncnn-s-sigma25.log.csv", config.WEIGHTS_DIR / "dncnn-s-sigma25.json")
    table = runs_table({"paper recipe, shipped": shipped})
    text = findings.describe_training(table, plan={"train": False, "reason": "no GPU", "estimate": {
        "estimated_seconds": 416403.9, "device": "CPU: AMD EPYC, 2 cores", "seconds_per_step": 4.4727}})
    m = re.search(rf"{NUMBER} epochs, {NUMBER} steps of batch (\d+) \({NUMBER} patches seen\) in {NUMBER} min, {NUMBER} patches per "
                  rf"second; final training loss (\d\.\d+) \(MSE on the \[0, 1\] scale, a training PSNR of (\d+\.\d\d) dB\)", text)
    epochs, steps, batch, seen, minutes, rate, loss, psnr = (_num(g) for g in m.groups())
    history = shipped["history"]
    assert (epochs, steps, batch) == (len(history), shipped["steps"], shipped["batch_size"]) and seen == steps * batch
    assert minutes == round(shipped["wall_seconds"] / 60, 2) and rate == pytest.approx(seen / shipped["wall_seconds"], abs=0.06)
    assert loss == pytest.approx(history[-1]["loss"], abs=5e-7) and psnr == round(-10 * math.log10(history[-1]["loss"]), 2)
    assert "4.8 days" in text and "not trained on this machine" in text and "Fig. 2" in text and "not tested" in text


def test_batch_norm_inputs_in_numbers():
    stats = _table("paper", "bn_statistics.csv")
    text = findings.describe_bn_statistics(stats)
    for model, part in stats.groupby("model"):
        m = re.search(re.escape(f"**{model}**") + r" \((\d+) batches, (\d+) batch-norm layers\): .*? lies (\d\.\d+) moving standard "
                      r"deviations .*? at the median \(95th percentile (\d\.\d+), largest (\d\.\d+) at layer (\d+)\); .*? by "
                      r"(\d+\.\d) % \(layer (\d+)\) to (\d+\.\d) % \(layer (\d+)\)", text)
        assert m, text
        batches, layers, median, p95, largest, layer, low, low_layer, high, high_layer = m.groups()
        assert (int(batches), int(layers)) == (part.batch.nunique(), part.layer.nunique())
        assert float(median) == round(part.mean_shift.median(), 3) and float(p95) == round(part.mean_shift.quantile(0.95), 3)
        assert float(largest) == round(part.mean_shift.max(), 3)
        assert int(layer) == int(part.loc[part.mean_shift.idxmax(), "layer"])
        cv = {k: g["std"].std(ddof=1) / g["std"].mean() for k, g in part.groupby("layer")}
        assert (float(low), int(low_layer)) == (round(100 * min(cv.values()), 1), min(cv, key=cv.get))
        assert (float(high), int(high_layer)) == (round(100 * max(cv.values()), 1), max(cv, key=cv.get))


def test_batches_clean_statistics_vary_and_the_residual_is_the_noise():
    stats = _table("paper", "batch_statistics.csv")
    text = findings.describe_batches(stats, sigma=25)
    for kind in ("clean", "residual"):
        m = re.search(rf"{'clean patches have' if kind == 'clean' else 'noisy minus clean. has'} mean (-?[\d.]+(?:, -?[\d.]+)*) and standard "
                      rf"deviation ([\d.]+(?:, [\d.]+)*)", text)
        assert m, text
        rows = stats[stats.kind == kind]
        assert [float(v) for v in m.group(1).split(", ")] == [round(v, 4) + 0.0 for v in rows["mean"]]
        assert [float(v) for v in m.group(2).split(", ")] == [round(v, 4) for v in rows["std"]]
    assert f"sigma/255 = {25 / 255:.4f}" in text


def test_signed_gives_a_sign_only_to_a_difference_that_is_not_zero():
    assert findings.signed(0.567) == "+0.57" and findings.signed(-0.04) == "-0.04" and findings.signed(0.005001) == "+0.01"
    # a difference that rounds to zero is not positive or negative (06 printed "-0.00" where the README said "+0.00")
    assert findings.signed(-0.001) == findings.signed(0.004) == findings.signed(0.0) == findings.signed(-0.0) == "0.00"
    assert findings.signed(-0.0004, digits=3) == "0.000" and findings.signed(-0.0004, digits=4) == "-0.0004"
    assert findings.short_device("NVIDIA H200 (gpu, 1 device(s))") == "NVIDIA H200"
    assert findings.short_device("CPU: AMD EPYC, 2 cores") == "CPU, 2 cores"


def test_describe_set_images_names_the_images_bm3d_wins_and_by_how_much():
    from dncnn.analysis.findings import describe_set_images

    rows = []
    for sigma in (15.0, 50.0):
        for image, bm3d in (("a.png", 30.0), ("b.png", 30.1), ("c.png", 31.7)):
            rows += [{"dataset": "Set12", "sigma": sigma, "method": m, "image": image, "psnr": v}
                     for m, v in (("noisy input", 20.0), ("BM3D", bm3d), ("DnCNN-S authors' weights", 31.0),
                                  ("DnCNN-B authors' weights", 31.2 if image == "c.png" else 30.5))]
    text = describe_set_images(pd.DataFrame(rows))
    assert "At sigma 15 and 50 the best DnCNN beats BM3D on 2 of the 3 images each time." in text
    assert ("BM3D beats every DnCNN on c.png at every sigma: by 0.50 dB at sigma 15 (over DnCNN-B authors' weights) and "
            "0.50 dB at sigma 50 (over DnCNN-B authors' weights)") in text
    assert "a.png" not in text and "b.png" not in text
    rows = [r for r in rows if r["image"] != "c.png"]
    assert "BM3D wins on no image." in describe_set_images(pd.DataFrame(rows))


def test_describe_colour_table_gives_the_verdict_per_sigma_and_the_row_the_weights_reproduce():
    from dncnn.analysis.findings import describe_colour_table
    from helpers import colour_versus_table
    from dncnn.evaluation.paper import PAPER_COLOUR

    paper_gain = {s: PAPER_COLOUR["CBSD68", "CDnCNN-B"][s] - PAPER_COLOUR["CBSD68", "CBM3D"][s] for s in (15, 25, 35, 50)}
    text = describe_colour_table(colour_versus_table(paper_gain))
    assert "CDnCNN-B authors' weights beats CBM3D at every sigma" in text
    assert f"{paper_gain[15]:+.2f} dB at sigma 15 (paper {paper_gain[15]:+.2f})" in text
    assert "the released weights reproduce the FFDNet repository's table" in text
    text = describe_colour_table(colour_versus_table({15: 0.3, 25: -0.1}, offset=0.5))
    assert "beats CBM3D at sigma 15 only: +0.30 dB at sigma 15" in text and "-0.10 dB at sigma 25" in text
    assert "neither is reproduced within the study's tolerance of 0.05 dB" in text


@pytest.mark.parametrize("profile", ["paper", "quick"])
def test_the_super_resolution_residual_in_numbers(profile):
    from dncnn.analysis.statistics import summarize_residual_spread

    stats = _table(profile, "residual_statistics.csv")
    text = findings.describe_residuals(summarize_residual_spread(stats), sigma=25.0, batch_size=int(stats.patches.iloc[0]))
    assert f"Over {stats.batch.nunique()} training batches of {int(stats.patches.iloc[0])} patches" in text
    for kind in ("noise", "x2", "x3", "x4"):
        part = stats[stats.kind == kind]
        cv = part["std"].std() / part["std"].mean()
        expected = (f"std {part['std'].min():.2f} to {part['std'].max():.2f} (coefficient of variation {cv:.1%}), excess "
                    f"kurtosis {part['kurtosis'].min():.2f} to {part['kurtosis'].max():.2f}")
        assert expected in text, kind
    noise_cv = stats[stats.kind == "noise"]["std"].std() / stats[stats.kind == "noise"]["std"].mean()
    ratios = re.search(r"by a factor of x2 (\d+), x3 (\d+), x4 (\d+)", text).groups()
    for kind, ratio in zip(("x2", "x3", "x4"), ratios):
        part = stats[stats.kind == kind]["std"]
        assert int(ratio) == round(part.std() / part.mean() / noise_cv)
    holds = all(int(r) >= 5 for r in ratios) and stats[stats.kind != "noise"]["kurtosis"].min() > 1
    assert ("does not have this property\" holds" in text) == holds


def test_count_of_puts_the_noun_in_the_number_its_count_asks_for():
    assert findings.count_of(1, "row") == "1 row" and findings.count_of(6, "row") == "6 rows"
    assert findings.count_of(0, "image") == "0 images" and findings.count_of(1862, "batch", plural="batches") == "1,862 batches"
    assert findings.count_of(1, "batch", plural="batches") == "1 batch" and findings.count_of(1.0, "image") == "1 image"


def test_one_authors_row_is_one_row_and_the_tolerance_is_quoted_from_its_constant(monkeypatch):
    from dncnn.evaluation import protocol

    text = findings.describe_authors_rows([("DnCNN-S authors' weights", 25.0, -0.012)])
    assert "in the 1 row that has a paper value (DnCNN-S authors' weights at sigma 25, -0.01 dB)" in text
    assert "all 1 rows" not in text and "1 rows" not in text and "largest" not in text
    assert "within the study's tolerance of 0.05 dB, so the protocol reproduces" in text
    text = findings.describe_authors_rows([("a", 15.0, 0.01), ("b", 50.0, -0.07)])
    assert "in the 2 rows that have a paper value (largest: b at sigma 50, -0.07 dB): beyond the study's tolerance" in text
    monkeypatch.setattr(findings, "AUTHORS_TOLERANCE_DB", 0.1)  # the sentence quotes the one constant, never a typed number
    assert "within the study's tolerance of 0.10 dB" in findings.describe_authors_rows([("b", 50.0, -0.07)])
    assert findings.AUTHORS_TOLERANCE_DB is not protocol.AUTHORS_TOLERANCE_DB


def test_the_tolerance_is_one_constant_named_once_in_the_package():
    from dncnn import config

    named = []
    for path in (config.PROJECT_ROOT / "dncnn").rglob("*.py"):
        for line in path.read_text().splitlines():
            if re.match(r"\s*[A-Z_]*(?:TOLERANCE|REPRODUCED|TABLE_V)[A-Z_]*\s*=\s*[\d.]+", line):
                named.append((path.name, line.strip()))
    authors = [n for n in named if "AUTHORS_TOLERANCE_DB" in n[1]]
    assert len(authors) == 1 and authors[0][0] == "protocol.py", named
    assert not [n for n in named if "REPRODUCED" in n[1] or "TABLE_V" in n[1]], named  # the old second and third bars


def test_table_v_rows_beyond_the_tolerance_are_named_and_a_zero_rerun_difference_is_exact():
    versus = pd.DataFrame({"task": ["denoising", "super-resolution"], "dataset": ["BSD68", "Urban100"],
                           "level": [50.0, 2.0], "delta_psnr": [-0.02, -0.06]})
    text = findings.describe_table_v_bar(versus)
    assert text == "1 of 2 rows lies within the study's tolerance of 0.05 dB of Table V (beyond it: Urban100 x2 -0.06 dB)"
    assert findings.describe_table_v_bar(versus.iloc[:1]).startswith("1 of 1 row lies within")
    assert findings.describe_agreement(0.0) == "exactly" and findings.describe_agreement(3.2e-6) == "to 3.2e-06 dB"


def test_a_recorded_device_reads_without_a_plural_placeholder():
    assert findings.format_device_text("NVIDIA H200 (gpu, 1 device(s))") == "NVIDIA H200 (gpu, 1 device)"
    assert findings.format_device_text("A100 (2 GPU(s))") == "A100 (2 GPUs)"
    assert findings.format_device_text("CPU: AMD EPYC, 2 cores") == "CPU: AMD EPYC, 2 cores"
