"""Notebook 07's findings: every number in the text read back and checked against the curves."""

import csv
import json
import re

import numpy as np
import pytest

from dncnn import config
from dncnn.analysis import plots, training_claims
from dncnn.files import atomic

SWITCHES = {"adam-rl-bn": ("RL+BN (Adam)", True, True), "adam-rl": ("RL (Adam)", True, False),
            "adam-bn": ("BN (Adam)", False, True), "adam-plain": ("neither (Adam)", False, False)}


def _write_run(folder, run, curve, *, batch=32, status="complete"):
    """A run as `python -m dncnn ablation` publishes it: <run>.log.csv and <run>.json."""
    label, residual, batch_norm = SWITCHES[run]
    rows = [{"epoch": k + 1, "steps": 50 * (k + 1), "loss": 0.01, "learning_rate": 1e-3, "epoch_seconds": 60.0,
             "wall_seconds": 60.0 * (k + 1), "val_psnr": v} for k, v in enumerate(curve)]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{run}.log.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    steps = 50 * len(curve)
    atomic.save_json(folder / f"{run}.json", {
        "run": run, "label": label, "status": status, "steps": steps, "wall_seconds": 60.0 * len(curve), "device": "CPU",
        "profile": {"optimizer": "adam", "residual": residual, "batch_norm": batch_norm},
        "validation": {"set": "Set5", "images": 5, "crop": 224, "sigmas": [25.0]},
        "budget": {"steps_planned": 600, "steps_done": steps, "batch_size": batch, "patches_planned": 600 * batch,
                   "patches_seen": steps * batch, "paper_epochs_planned": 0.08, "max_minutes": None}})


def _numbers(text):
    return [float(x.replace(",", "")) for x in re.findall(r"[-+]?\d[\d,]*\.?\d*", text)]


def test_the_findings_name_the_leader_its_margin_and_since_when_from_the_curves(tmp_path):
    folder = tmp_path / "ablation"
    curves = {"adam-rl-bn": [20.0, 22.0, 24.5, 25.5], "adam-rl": [20.5, 22.5, 24.0, 25.0],
              "adam-bn": [12.0, 15.0, 18.0, 20.0], "adam-plain": [11.0, 14.0, 17.5, 18.8]}
    for run, curve in curves.items():
        _write_run(folder, run, curve, status="partial" if run == "adam-plain" else "complete")
    runs = training_claims.read_ablation_runs(tmp_path)
    assert [r["switches"] for r in runs.values()] == ["RL+BN (Adam)", "RL (Adam)", "BN (Adam)", "neither (Adam)"]
    text = training_claims.describe_ablation(runs)
    group = text.split("\n\n")[0]
    m = re.search(r"at ([\d,]+) patches seen \*\*(.+?)\*\* leads with ([\d.]+) dB, ([\d.]+) dB ahead of (.+?); the others", group)
    assert m, group
    patches, leader, psnr, margin, runner_up = int(m[1].replace(",", "")), m[2], float(m[3]), float(m[4]), m[5]
    # independently: the last common point is 4 x 50 steps x 32; RL+BN leads there by 0.5 dB over RL
    assert (patches, leader, runner_up) == (4 * 50 * 32, "RL+BN (Adam)", "RL (Adam)")
    assert psnr == pytest.approx(25.5, abs=0.005) and margin == pytest.approx(0.5, abs=0.005)
    since = int(re.search(r"since ([\d,]+) patches", group)[1].replace(",", ""))
    assert since == 3 * 50 * 32  # behind RL at the first two validations, ahead from the third on
    assert "ahead of every other run at 2 of 4 validations" in group and "(RL (Adam) was first at 3,200)" in group
    others = dict((name, float(v)) for name, v in re.findall(r"(\w[\w+]* \(Adam\)) ([\d.]+) dB", group.split("the others there: ")[1]))
    assert others == {"RL (Adam)": 25.0, "BN (Adam)": 20.0, "neither (Adam)": 18.8}  # each curve's last common value
    rl, bn = (float(x) for x in re.findall(r"adds ([-+][\d.]+) dB", group))
    assert rl == pytest.approx(((25.5 + 25.0) - (20.0 + 18.8)) / 2, abs=0.005)
    assert bn == pytest.approx(((25.5 + 20.0) - (25.0 + 18.8)) / 2, abs=0.005)
    assert "neither (Adam): partial" in group
    assert "RL+BN, the paper's combination, ranks 1 of 4 here, as in the paper's Fig. 2." in group
    limits = text.split("\n\n")[-1]
    assert f"{4 * 50 * 32:,} patches" in limits and "not show the converged PSNR" in limits and "SGD" in limits
    assert "The batch is 32 where the paper's is 128" in limits
    share = float(re.search(r"([\d.]+) % of the paper", limits)[1])
    assert share == pytest.approx(100 * 6400 / (50 * 238_336), abs=0.005)
    table = training_claims.summarize_ablation(runs)
    assert table.set_index("run").loc["adam-bn", "final_psnr"] == 20.0 and table["best_psnr"].max() == 25.5


def test_the_committed_curves_and_their_findings_agree():
    """Every number of each group's paragraph, read back and recomputed from the committed logs."""
    runs = training_claims.read_ablation_runs(config.ABLATION_DIR)
    if not runs:
        pytest.skip("no committed ablation curves in results/ablation")
    paragraphs = training_claims.describe_ablation(runs).split("\n\n")
    groups = {(r["profile"], r["optimizer"]) for r in runs.values()}
    for profile, optimizer in sorted(groups):
        members = [r for r in runs.values() if r["profile"] == profile and r["optimizer"] == optimizer]
        curves = {r["switches"]: {int(row["steps"]) * r["batch_size"]: row["val_psnr"] for row in r["history"] if "val_psnr" in row}
                  for r in members}
        curves = {sw: c for sw, c in curves.items() if c}
        if len(curves) < 2:
            continue
        name = "Adam" if optimizer == "adam" else "SGD"
        (group,) = [p for p in paragraphs if p.startswith(f"**{profile}, {name}**")]
        common = sorted(set.intersection(*(set(c) for c in curves.values())))
        last = common[-1]
        at_last = {sw: c[last] for sw, c in curves.items()}
        ranked = sorted(at_last, key=at_last.get, reverse=True)
        m = re.search(r"at ([\d,]+) patches seen \*\*(.+?)\*\* leads with ([\d.]+) dB, ([\d.]+) dB ahead of (.+?); the others", group)
        assert int(m[1].replace(",", "")) == last and (m[2], m[5]) == (ranked[0], ranked[1])
        assert float(m[3]) == pytest.approx(at_last[ranked[0]], abs=0.005)
        assert float(m[4]) == pytest.approx(at_last[ranked[0]] - at_last[ranked[1]], abs=0.0051)
        others = dict((sw, float(v)) for sw, v in re.findall(rf"(\w[\w+]* \({name}\)) ([\d.]+) dB", group.split("the others there: ")[1]))
        assert others == pytest.approx({sw: at_last[sw] for sw in ranked[1:]}, abs=0.005)
        since = int(re.search(r"since ([\d,]+) patches", group)[1].replace(",", ""))
        ahead = [all(curves[ranked[0]][p] > curves[sw][p] for sw in curves if sw != ranked[0]) for p in common]
        first = len(ahead) - next(k for k, a in enumerate(reversed(ahead)) if not a) if not all(ahead) else 0
        assert since == common[first]
        assert f"at {sum(ahead)} of {len(common)} validations" in group
        if first > 0:
            point = common[first - 1]
            assert f"({max(curves, key=lambda sw: curves[sw][point])} was first at {point:,})" in group
        if "RL+BN " + f"({name})" in at_last:
            rank = 1 + ranked.index(f"RL+BN ({name})")
            assert f"ranks {rank} of {len(at_last)} here" in group
        if len(at_last) == 4:
            rl, bn = (float(x) for x in re.findall(r"adds ([-+][\d.]+) dB", group))
            v = {(sw.startswith("RL"), "BN" in sw.split(" ")[0]): at_last[sw] for sw in at_last}
            assert rl == pytest.approx((v[True, True] + v[True, False] - v[False, True] - v[False, False]) / 2, abs=0.005)
            assert bn == pytest.approx((v[True, True] + v[False, True] - v[True, False] - v[False, False]) / 2, abs=0.005)


def test_no_curves_say_how_to_make_them_and_the_figure_draws_one_panel_per_budget(tmp_path):
    assert "python -m dncnn ablation" in training_claims.describe_ablation({})
    _write_run(tmp_path / "ablation", "adam-rl-bn", [20.0, 21.0])
    _write_run(tmp_path / "ablation", "adam-plain", [10.0, 12.0])
    _write_run(tmp_path / "ablation-gpu", "adam-rl-bn", [25.0, 27.0], batch=128)
    runs = training_claims.read_ablation_runs(tmp_path)
    fig = plots.plot_ablation_curves(runs)
    assert len(fig.axes) == 2 and "ablation-gpu" in fig.axes[1].get_title()
    assert [line.get_xdata()[-1] for line in fig.axes[1].get_lines()] == [100 * 128]
    assert atomic.save_figure(tmp_path / "fig.png", fig).stat().st_size > 0


def test_a_run_with_validation_gets_a_fourth_panel_in_notebook_02s_figure():
    rows = [{"epoch": e, "steps": 50 * e, "loss": 0.01, "learning_rate": 1e-3, "epoch_seconds": 1.0, "wall_seconds": e,
             **({"val_psnr": 20.0 + e} if e > 1 else {})} for e in (1, 2, 3)]
    fig = plots.plot_training_runs({"new": {"history": rows, "batch_size": 32},
                                    "old": {"history": [{k: v for k, v in r.items() if k != "val_psnr"} for r in rows],
                                            "batch_size": 128}})
    assert len(fig.axes) == 4 and fig.axes[3].get_ylabel() == "validation PSNR (dB)"
    (line,) = fig.axes[3].get_lines()  # the old run, without validation, is left out
    np.testing.assert_array_equal(line.get_ydata(), [22.0, 23.0])
    assert line.get_color() == fig.axes[0].get_lines()[0].get_color()  # the run's colour in every panel
    assert len(plots.plot_training_runs({"old": {"history": rows[:1], "batch_size": 128}}).axes) == 3


def test_the_x_axis_is_said_from_the_runs_logs_not_assumed_to_be_epochs():
    def run(steps, batch=32):
        return {"history": [{"steps": s, "val_psnr": 20.0 + i} for i, s in enumerate(steps)], "batch_size": batch}

    text = training_claims.describe_validation_points({"a": run([50, 100]), "b": run([50, 100])})
    assert text == ("Each curve is the validation PSNR measured every 50 steps of batch 32 (1,600 patches: 0.67 % of one "
                    "epoch of the paper's data), 2 times per run, plotted against the patches seen (not against epochs "
                    "of the paper's data).")
    assert "every 1 step of batch 128 (128 patches" in training_claims.describe_validation_points({"a": run([1], batch=128)})
    assert "1 time per run" in training_claims.describe_validation_points({"a": run([1], batch=128)})
    committed = training_claims.read_ablation_runs(config.ABLATION_DIR)
    if committed:
        text = training_claims.describe_ablation(committed)
        assert "Each curve is the validation PSNR measured every" in text and "after each epoch" not in text
