"""The generated blocks of the front page and of docs/."""

import re

import pandas as pd
import pytest

from dncnn import config
from dncnn.analysis import report
from dncnn.model.catalog import get_entry

COMMITTED = config.PROJECT_ROOT / "results"  # the committed tables (DNCNN_OUTPUT_ROOT moves config.RESULTS_DIR in tests)


@pytest.fixture
def committed(monkeypatch):
    """Point config at the committed results and figures, as the documents quote them."""
    monkeypatch.setattr(config, "RESULTS_DIR", COMMITTED)
    monkeypatch.setattr(config, "FIGURES_DIR", config.PROJECT_ROOT / "figures")


def test_update_readme_replaces_only_the_marked_block(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.START}\nold\n{report.END}\noutro\n")
    monkeypatch.setattr(report, "render_results", lambda profile: f"new for {profile}")
    monkeypatch.setattr(report, "README_PROFILES", ())
    report.update_readme("quick", readme=readme, front=None)
    assert readme.read_text() == f"intro\n{report.START}\nnew for quick\n{report.END}\noutro\n"


def test_update_readme_shows_the_paper_run_before_the_quick_run(tmp_path, monkeypatch):
    from dncnn import config

    readme = tmp_path / "README.md"
    readme.write_text(f"{report.START}\n{report.END}\n")
    for name in ("quick", "paper"):
        (tmp_path / "results" / name).mkdir(parents=True)
        (tmp_path / "results" / name / "summary.md").write_text("table")
    monkeypatch.setattr(config, "results_dir", lambda profile, stage=None: tmp_path / "results" / profile)
    monkeypatch.setattr(report, "render_results", lambda profile: f"[{profile}]")
    report.update_readme("quick", readme=readme, front=None)
    assert readme.read_text() == f"{report.START}\n[paper]\n\n[quick]\n{report.END}\n"
    report.update_readme("smoke", readme=readme, front=None)  # a profile asked for is shown even without results
    assert "[paper]\n\n[quick]\n\n[smoke]" in readme.read_text()


def test_render_results_says_what_was_loaded_and_what_the_estimate_was(tmp_path, monkeypatch):
    from dncnn import config
    from dncnn.files import atomic

    results = tmp_path / "results" / "paper"
    estimate = {"device": "CPU: X, 2 cores", "steps_total": 93100, "seconds_per_step": 6.1, "estimated_seconds": 567910.0,
                "steps_timed": 3, "warmup_steps": 2}
    atomic.save_json(results / "training.json", {"train": False, "reason": "not trained here: no GPU", "estimate": estimate})
    atomic.save_text(results / "tasks_check.csv", "psnr_diff,ssim_diff\n0.0,0.0\n-2e-06,0.0\n")
    monkeypatch.setattr(config, "results_dir", lambda profile, stage=None: tmp_path / "results" / profile)
    monkeypatch.setattr(config, "figures_dir", lambda profile, stage=None: tmp_path / "figures" / profile)
    text = report.render_results("paper")
    assert text.startswith("### `PROFILE=paper`")
    assert "93,100 steps x 6.1 s = 6.6 days" in text and "training: not trained here: no GPU" in text
    assert "2 DnCNN-3 and colour rows rerun here" in text and "within 2.0e-06 dB" in text


def test_every_generated_block_has_its_markers_in_the_file_it_is_written_to():
    for path, names in ((config.README, ("headline", "findings", "claims")), (report.RESULTS_PAGE, ("results",)),
                        (report.TASKS_PAGE, ("tasks",)), (report.BENCH_PAGE, ("bench",)), (report.DENOISING_PAGE, ("bench-cli",))):
        text = path.read_text()
        for name in names:
            assert text.count(f"<!-- {name}:start -->") == 1 and text.count(f"<!-- {name}:end -->") == 1, (path, name)


def test_the_front_page_stays_short_and_links_guides_that_exist():
    text = config.README.read_text()
    assert len(text.splitlines()) < 150
    for link in re.findall(r"\]\((docs/[^)#]+)\)", text):
        if link not in ("docs/noise-levels.md", "docs/training-claims.md"):  # written by the helpers of issues 20 and 21
            assert (config.PROJECT_ROOT / link).exists(), link


def test_claims_verdicts_and_numbers_come_from_the_committed_tables(committed):
    summary_path = config.PROJECT_ROOT / "results" / "paper" / "summary.csv"
    if not summary_path.exists():
        pytest.skip("results/paper is not committed")
    summary = pd.read_csv(summary_path)
    text = report.render_claims("paper")
    m = summary[(summary.source == "measured") & (summary.dataset == "BSD68")]
    row = next(line for line in text.splitlines() if line.startswith("| DnCNN-S beats BM3D at every noise level"))
    found = {int(s): float(g) for g, s in re.findall(r"([+-]\d+\.\d\d) dB at sigma (\d+)", row)}
    for sigma, gain in found.items():
        part = m[m.sigma == sigma]
        expected = part[part.method.str.startswith("DnCNN-S")].psnr.max() - part[part.method == "BM3D"].psnr.iloc[0]
        assert gain == pytest.approx(expected, abs=0.006)
    assert sorted(found) == sorted(int(s) for s in m.sigma.unique())
    assert ("**holds**" in row) == all(g > 0 for g in found.values())
    ours = next(line for line in text.splitlines() if line.startswith("| Our own training"))
    measured, paper = (float(x) for x in re.search(r"(\d+\.\d\d) dB against the paper's (\d+\.\d\d)", ours).groups())
    from dncnn.model.catalog import find_entry

    ours_rows = m[[find_entry(x) is get_entry("ours") for x in m.method]]  # its name, or its former one in older tables
    assert measured == round(ours_rows[ours_rows.sigma == 25].psnr.iloc[0], 2)
    assert "the authors' released code's recipe (Adam, mixed_bfloat16)" in ours and "paper's recipe" not in ours
    assert paper == summary[(summary.method == "DnCNN-S (paper)") & (summary.sigma == 25)].psnr.iloc[0]
    versus = pd.read_csv(config.TASKS_TABLE_DIR / "tasks_vs_paper.csv")
    dncnn3 = next(line for line in text.splitlines() if "DnCNN-3" in line)
    rows, within = re.search(r"All (\d+) rows lie within the study's tolerance of 0\.05 dB of Table V \(at most (\d\.\d\d) dB", dncnn3).groups()
    assert int(rows) == len(versus) and float(within) == round(versus.delta_psnr.abs().max(), 2)
    authors = next(line for line in text.splitlines() if line.startswith("| The authors' released DnCNN-S and DnCNN-B"))
    assert re.search(r"\d+ rows, at most \d\.\d\d dB from the paper \(.+?, sigma \d+\); the study's tolerance of 0\.05 dB", authors)


def test_the_training_claim_reads_each_runs_last_validation_psnr_and_names_the_leader(tmp_path, monkeypatch):
    import json

    for run, switches, psnr in (("adam-rl-bn", "RL+BN (Adam)", 27.0), ("adam-rl", "RL (Adam)", 29.5), ("adam-bn", "BN (Adam)", 28.0)):
        folder = tmp_path / "ablation"
        folder.mkdir(exist_ok=True)
        (folder / f"{run}.log.csv").write_text(f"epoch,steps,loss,learning_rate,epoch_seconds,wall_seconds,val_psnr\n"
                                              f"1,10,0.1,0.001,1,1,20.0\n2,20,0.05,0.001,1,2,{psnr}\n")
        (folder / f"{run}.json").write_text(json.dumps({
            "run": run, "label": switches, "status": "complete", "steps": 20, "wall_seconds": 2.0, "device": "CPU: test",
            "profile": {"optimizer": "adam"}, "budget": {"batch_size": 4, "patches_planned": 80, "steps_planned": 20}}))
    monkeypatch.setattr(config, "ABLATION_DIR", tmp_path)
    [(claim, verdict, numbers)] = report.training_claims()
    assert verdict == "not shown at 80 patches"
    assert numbers.startswith("RL 29.50 dB, BN 28.00 dB, RL+BN 27.00 dB") and "RL+BN ranks 3 of 3" in numbers
    assert "no GPU run" in numbers


def test_the_noise_level_claim_is_computed_from_the_grid_summary(tmp_path, monkeypatch):
    from dncnn.evaluation import noise_levels as NL

    psnr = {"BM3D": (30.0, 28.0, 24.0), get_entry("dncnn_s_sigma15").name: (31.0, 23.0, 15.0),
            get_entry("dncnn_s_sigma25").name: (28.0, 28.6, 17.0), NL.BLIND_LABEL: (30.8, 28.5, 23.0)}
    rows = [{"dataset": "BSD68", "sigma": s, "method": m, "source": "measured", "images": 3, "psnr": v[k], "ssim": 0.5}
            for m, v in psnr.items() for k, s in enumerate((15.0, 25.0, 65.0))]
    pd.DataFrame(rows).to_csv(tmp_path / "noise_levels_summary.csv", index=False)
    monkeypatch.setattr(config, "NOISE_LEVELS_TABLE_DIR", tmp_path)
    [(claim, verdict, numbers)] = report.noise_level_claims()
    assert verdict == "holds to 0.20 dB inside [0, 55] (authors' weights)"  # 30.8 - 31.0 at 15 beats 28.5 - 28.6 at 25
    assert "at worst -0.20 dB from the best DnCNN-S from sigma 15 to 25 (sigma 15)" in numbers
    assert "S15 at sigma 25: -5.00 dB" in numbers and "S25 at sigma 65: -7.00 dB" in numbers
    assert "past 55, DnCNN-B against BM3D: -1.00 dB at sigma 65" in numbers and "(BSD68, 3 images)" in numbers


def test_headline_table_puts_the_paper_and_the_difference_beside_each_measured_value(committed):
    if not (config.PROJECT_ROOT / "results" / "paper" / "summary.csv").exists():
        pytest.skip("results/paper is not committed")
    text = report.render_headline("paper")
    cell = re.search(r"\| BSD68 \| BM3D \| .*?(\d+\.\d\d) \(paper (\d+\.\d\d), ([+-]\d+\.\d\d)\)", text)
    measured, paper, diff = (float(x) for x in cell.groups())
    assert diff == pytest.approx(measured - paper, abs=0.011)


def test_the_set12_claim_counts_the_images_each_sigma_and_names_those_bm3d_wins(tmp_path, monkeypatch):
    rows = []
    for sigma in (15.0, 25.0):
        for k in range(12):
            image = f"{k + 1:02d}.png"
            rows += [{"dataset": "Set12", "sigma": sigma, "method": "BM3D", "image": image, "psnr": 31.0 if k == 8 else 29.0},
                     {"dataset": "Set12", "sigma": sigma, "method": "DnCNN-S authors' weights", "image": image, "psnr": 30.0},
                     {"dataset": "BSD68", "sigma": sigma, "method": "BM3D", "image": image, "psnr": 40.0}]
    (tmp_path / "results" / "paper").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(tmp_path / "results" / "paper" / "per_image.csv", index=False)
    monkeypatch.setattr(config, "results_dir", lambda profile, stage=None: tmp_path / "results" / profile)
    ((claim, verdict, numbers),) = report.set_image_claims("paper")
    assert claim == "DnCNN beats BM3D on every Set12 image (Table III)" and verdict == "holds on 11 of 12 images"
    assert numbers.startswith("11 of 12 at sigma 15, 11 of 12 at sigma 25")
    assert "BM3D wins on 09.png (by 1.00 dB at 15, 1.00 dB at 25)" in numbers


def test_the_colour_claim_reads_the_committed_colour_table(tmp_path, monkeypatch):
    from helpers import colour_versus_table

    colour_versus_table({15: 0.4, 25: 0.5, 35: -0.2, 50: 0.6}).to_csv(tmp_path / "colour_vs_paper.csv", index=False)
    monkeypatch.setattr(config, "COLOUR_TABLE_DIR", tmp_path)
    ((claim, verdict, numbers),) = report.colour_claims()
    assert claim.startswith("Colour: CDnCNN-B beats colour BM3D on CBSD68") and verdict == "holds at sigma 15, 25, 50 only"
    assert numbers.startswith("+0.40 dB at sigma 15, +0.50 dB at sigma 25, -0.20 dB at sigma 35, +0.60 dB at sigma 50")
    monkeypatch.setattr(config, "COLOUR_TABLE_DIR", tmp_path / "absent")
    assert report.colour_claims() == []


def test_the_residual_claim_reads_the_spread_of_each_kind_and_judges_it(tmp_path, monkeypatch):
    rows = []
    for batch, (noise, sr, kurtosis) in enumerate([(25.0, 10.0, 8.0), (25.1, 14.0, 6.0), (24.9, 12.0, 9.5)]):
        rows += [{"batch": batch, "kind": "noise", "patches": 128, "mean": 0.0, "std": noise, "kurtosis": 0.01 * batch},
                 {"batch": batch, "kind": "x2", "patches": 128, "mean": 0.0, "std": sr, "kurtosis": kurtosis}]
    (tmp_path / "paper").mkdir()
    monkeypatch.setattr(config, "results_dir", lambda profile, stage=None: tmp_path / profile)
    assert report.residual_claims("paper") == []  # no table, no row
    pd.DataFrame(rows).to_csv(tmp_path / "paper" / "residual_statistics.csv", index=False)
    ((claim, verdict, numbers),) = report.residual_claims("paper")
    assert "super-resolution does not have this property" in claim and verdict == "holds"
    assert numbers.startswith("over 3 training batches of 128 patches")
    assert "noise std 24.9 to 25.1 (CV 0.4%), kurtosis 0.00 to 0.02" in numbers
    assert "x2 std 10.0 to 14.0 (CV 16.7%), kurtosis 6.00 to 9.50" in numbers and "varies 42x as much" in numbers
    pd.DataFrame([{**r, "std": 12.0 + 0.01 * r["batch"]} if r["kind"] == "x2" else r for r in rows]).to_csv(
        tmp_path / "paper" / "residual_statistics.csv", index=False)
    assert report.residual_claims("paper")[0][1] == "not shown"  # a spread as steady as the noise's


def test_the_tasks_block_lists_each_run_its_settings_and_its_time():
    runs = [{"argv": ["tasks", "--colour-images", "-1"], "settings": [["denoising", "BSD68", 15.0], ["jpeg", "LIVE1", 10.0]],
             "seconds": None, "device": "CPU: AMD EPYC, 2 cores", "created": "2026-11-28T16:39:07+00:00", "git_commit": "8300f6e32b7d"},
            {"argv": ["tasks", "--tasks", "super-resolution"], "seconds": 2400.0, "device": "CPU: AMD EPYC, 2 cores",
             "settings": [["super-resolution", "BSD100", 2.0], ["super-resolution", "BSD100", 3.0], ["super-resolution", "Urban100", 2.0]],
             "created": "2026-12-04T20:00:00+00:00", "git_commit": "8d8b842abcdef"}]
    first, second = report.describe_task_runs(runs).splitlines()
    assert first.startswith("- `python -m dncnn tasks --colour-images -1`: 2 settings (denoising BSD68 (1); jpeg LIVE1 (1);")
    assert "time not recorded on CPU: AMD EPYC, 2 cores, 2026-11-28, commit `8300f6e`" in first
    assert second.startswith("- `python -m dncnn tasks --tasks super-resolution`: 3 settings (super-resolution BSD100 (2), Urban100 (1);")
    assert "40.0 min on CPU: AMD EPYC, 2 cores, 2026-12-04" in second


def _sentences_of_the_committed_tables() -> dict:
    """The output of every describe_* function (and the claims) on the committed tables that exist."""
    from dncnn.analysis import findings, noise_levels, training_claims
    from dncnn.analysis.statistics import summarize_residual_spread

    root, out = config.PROJECT_ROOT / "results", {}

    def table(path):
        return pd.read_csv(root / path) if (root / path).exists() else None

    for profile in ("paper", "quick"):
        summary, per_image = table(f"{profile}/summary.csv"), table(f"{profile}/per_image.csv")
        if summary is not None:
            out[f"{profile} evaluation"] = findings.describe_evaluation(summary)
        if per_image is not None:
            out[f"{profile} gains"] = findings.describe_gains(per_image)
            out[f"{profile} set12"] = findings.describe_set_images(per_image)
        if (bn := table(f"{profile}/bn_statistics.csv")) is not None:
            out[f"{profile} bn"] = findings.describe_bn_statistics(bn)
        if (stats := table(f"{profile}/residual_statistics.csv")) is not None:
            out[f"{profile} residual"] = findings.describe_residuals(summarize_residual_spread(stats), sigma=25.0,
                                                                     batch_size=int(stats.patches.iloc[0]))
        if (photos := table(f"{profile}/noise_levels_clean_photos.csv")) is not None:
            out[f"{profile} clean photos"] = noise_levels.describe_clean_photos(photos)
    if (versus := table("dncnn3/tasks_vs_paper.csv")) is not None:
        out["tasks"] = findings.describe_tasks(versus, table("dncnn3/tasks_summary.csv"))
    if (colour := table("colour/colour_vs_paper.csv")) is not None:
        out["colour"] = findings.describe_colour_table(colour)
    if (root / "noise-levels" / "noise_levels_per_image.csv").exists():
        out["noise levels"] = noise_levels.render_noise_levels()
    runs = training_claims.read_ablation_runs(config.ABLATION_DIR)
    out["ablation"] = training_claims.describe_ablation(runs) + " " + training_claims.describe_shipped_runs({})
    out["claims"] = report.render_claims("paper")
    return out


def _keys_in(text: str) -> list[str]:
    """The catalogue keys (and aliases) a text names outside code spans; keys that are English words of a
    display name ("noisy", "ours") do not count. Case-sensitive: ``bm3d`` is a key, ``BM3D`` a name."""
    from dncnn.model.catalog import MODELS

    names = " ".join(e.name for e in MODELS)
    keys = [k for e in MODELS for k in (e.key, *e.aliases) if not re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", names)]
    prose = re.sub(r"`[^`]*`", "", text)
    return [k for k in keys if re.search(rf"(?<![\w/.-]){re.escape(k)}(?![\w.-])", prose)]


def test_no_sentence_names_a_model_by_its_catalogue_key():
    sentences = _sentences_of_the_committed_tables()
    assert sentences, "no committed table to describe"
    for where, text in sentences.items():
        assert not _keys_in(text), (where, _keys_in(text))
    # the check fails where a key is in the prose, and not where it is a file or command in a code span
    assert _keys_in("the default path chose cdncnn_b_color_blind (4)") == ["cdncnn_b_color_blind"]
    assert _keys_in("BM3D and bm3d") == ["bm3d"] and not _keys_in("see `weights/dncnn-s-sigma25.keras` and `--model dncnn3`")


def test_no_generated_sentence_has_a_plural_placeholder_or_a_signed_zero():
    for where, text in _sentences_of_the_committed_tables().items():
        assert not re.search(r"\w\(s\)", text), where  # "range(s)", "image(s)", "device(s)"
        assert not re.search(r"(?<![\d.])[+-]0\.0+(?!\d*[1-9])\b", text), where  # "+0.00", "-0.00"
        assert not re.search(r"\b1 (rows|images|photos|ranges|settings|batches)\b", text), where
