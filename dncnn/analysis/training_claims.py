"""Notebook 07: the paper's training claims measured on this project's own runs.

The paper's Fig. 2 claims that residual learning (RL) and batch normalization (BN) speed up training
and improve the result, with SGD and with Adam. The runs of ``python -m dncnn ablation``
(:mod:`dncnn.commands.ablation`) are committed as ``results/ablation/<profile>/<run>.log.csv`` with a
JSON sidecar; :func:`read_ablation_runs` reads them, :func:`summarize_ablation` tabulates them and
:func:`describe_ablation` states what the curves show, every number taken from them.
"""

from __future__ import annotations

import json
from pathlib import Path

PAPER_EPOCHS = 50  # the paper's Fig. 2 trains 50 epochs
PAPER_EPOCH_PATCHES = 238_336  # one pass of the paper profile's patches (128 x 1,862)
PAPER_BATCH = 128


def read_ablation_runs(folder: str | Path) -> dict:
    """Every committed ablation run under ``folder`` (``<profile>/<run>.json`` with ``<run>.log.csv``).

    Returns:
        ``{label: run}`` ordered by profile, optimizer (Adam first) and the paper's legend order
        (RL+BN, RL, BN, neither); ``label`` is ``"<switches> (<optimizer>), <profile>"``; each run holds
        ``history`` (log rows, :func:`dncnn.training.runs.read_log`), ``batch_size``, ``device``,
        ``profile``, ``run``, ``switches`` (``"RL+BN (Adam)"``), ``optimizer``, ``residual``,
        ``batch_norm``, ``status``, ``steps``, ``wall_seconds``, ``budget`` and ``budget_label``.
    """
    from ..training.runs import read_log

    found = []
    for sidecar in sorted(Path(folder).glob("*/*.json")):
        facts = json.loads(sidecar.read_text())
        log = sidecar.with_suffix(".log.csv")
        if "run" not in facts or not log.exists():
            continue
        profile = facts.get("profile") or {}
        run = {
            "run": facts["run"], "profile": sidecar.parent.name, "switches": facts["label"],
            "optimizer": profile.get("optimizer", "adam"), "residual": profile.get("residual", True),
            "batch_norm": profile.get("batch_norm", True), "status": facts["status"],
            "history": read_log(log), "batch_size": int(facts["budget"]["batch_size"]),
            "device": facts.get("device", ""), "steps": int(facts.get("steps", 0)),
            "wall_seconds": float(facts.get("wall_seconds", 0.0)), "budget": facts["budget"],
            "validation": facts.get("validation"),
        }
        run["budget_label"] = describe_budget(run["budget"], device=run["device"])
        found.append(run)
    # the paper's legend order from the run's own switches: RL+BN, RL, BN, neither
    found.sort(key=lambda r: (r["profile"], r["optimizer"] != "adam", 2 * (not r["residual"]) + (not r["batch_norm"])))
    return {f"{r['switches']}, {r['profile']}": r for r in found}


def describe_budget(budget: dict, *, device: str = "") -> str:
    """``"12,800 patches (batch 32, 400 steps: 5.4 % of one epoch of the paper's data) on <device>"``."""
    patches = budget["patches_planned"]
    where = f" on {device}" if device else ""
    return (f"{patches:,} patches (batch {budget['batch_size']}, {budget['steps_planned']:,} steps: "
            f"{100 * patches / PAPER_EPOCH_PATCHES:.1f} % of one epoch of the paper's data){where}")


def summarize_ablation(runs: dict):
    """One row per run: profile, optimizer, switches, status, patches seen, last and best validation
    PSNR (dB), patches seen at the best, training minutes and device (a pandas DataFrame)."""
    import pandas as pd

    rows = []
    for label, run in runs.items():
        points = _points(run)
        best = max(points, key=lambda p: p[1]) if points else (None, None)
        rows.append({"profile": run["profile"], "optimizer": run["optimizer"], "run": run["run"], "switches": run["switches"],
                     "status": run["status"], "patches_seen": run["steps"] * run["batch_size"],
                     "patches_planned": run["budget"]["patches_planned"],
                     "final_psnr": points[-1][1] if points else None, "best_psnr": best[1], "best_at_patches": best[0],
                     "training_minutes": round(run["wall_seconds"] / 60, 2), "device": run["device"]})
    return pd.DataFrame(rows)


def compare_curves(runs: dict) -> list[dict]:
    """For each group of runs (one base profile, one optimizer) with at least two measured curves:
    the comparison at the validation points every run of the group reached.

    Returns:
        One dict per group: ``profile``, ``optimizer``, ``budget_label``, ``patches`` (the last common
        point), ``psnr`` ({switches: dB there}), ``leader``, ``runner_up``, ``margin`` (dB),
        ``leads_from`` (patches seen from which the leader is ahead of every other run at every common
        point up to the last), ``lead_count`` (at how many of the ``points`` common points it is ahead
        of all), ``before`` (``(switches, patches)``: who was first at the point before that streak,
        or None), ``rl_gain`` and ``bn_gain`` (dB at the last point, RL on minus off
        averaged over BN on and off, and vice versa; None unless all four ran), ``missing`` (the
        combinations without a curve) and ``statuses``.
    """
    groups = {}
    for run in runs.values():
        groups.setdefault((run["profile"], run["optimizer"]), []).append(run)
    out = []
    for (profile, optimizer), members in groups.items():
        curves = {run["switches"]: dict(_points(run)) for run in members if _points(run)}
        if len(curves) < 2:
            continue
        common = sorted(set.intersection(*(set(c) for c in curves.values())))
        if not common:
            continue
        last = common[-1]
        ranked = sorted(curves, key=lambda s: curves[s][last], reverse=True)
        leader = ranked[0]
        ahead = [all(curves[leader][point] > curves[s][point] for s in curves if s != leader) for point in common]
        start = len(common) - 1
        while start > 0 and ahead[start - 1]:
            start -= 1
        leads_from = common[start]
        before = None
        if start > 0:  # who was first at the validation before the leader's last streak began
            point = common[start - 1]
            before = (max(curves, key=lambda s: curves[s][point]), point)
        by_switch = {(run["residual"], run["batch_norm"]): curves[run["switches"]][last]
                     for run in members if run["switches"] in curves}
        four = len(by_switch) == 4
        out.append({
            "profile": profile, "optimizer": optimizer, "budget_label": members[0]["budget_label"], "patches": last,
            "psnr": {s: curves[s][last] for s in ranked}, "leader": leader, "runner_up": ranked[1],
            "margin": curves[leader][last] - curves[ranked[1]][last], "leads_from": leads_from,
            "lead_count": sum(ahead), "points": len(common), "before": before,
            "rl_gain": (by_switch[True, True] + by_switch[True, False] - by_switch[False, True] - by_switch[False, False]) / 2
            if four else None,
            "bn_gain": (by_switch[True, True] + by_switch[False, True] - by_switch[True, False] - by_switch[False, False]) / 2
            if four else None,
            "missing": [f"{s} ({'Adam' if optimizer == 'adam' else 'SGD'})" for s in ("RL+BN", "RL", "BN", "neither")
                        if not any(k.startswith(s + " ") for k in curves)],
            "statuses": {run["switches"]: run["status"] for run in members},
        })
    return out


def describe_ablation(runs: dict) -> str:
    """Findings of notebook 07 (Markdown): for each group of runs which combination leads at the
    last common validation point, by how much, from how many patches on, the average gains of RL
    and of BN, and what the budget can and cannot show. Every number is formatted from the curves."""
    from .findings import signed

    comparisons = compare_curves(runs)
    if not comparisons:
        return ("No two ablation runs of one profile and optimizer have validation curves yet: run "
                "`python -m dncnn ablation` (CPU) or `scripts/gpu_train_claims.sh` (GPU).")
    parts = []
    for c in comparisons:
        optimizer = "Adam" if c["optimizer"] == "adam" else "SGD"
        others = ", ".join(f"{s} {v:.2f} dB" for s, v in list(c["psnr"].items())[1:])
        text = (f"**{c['profile']}, {optimizer}** ({c['budget_label']}): at {c['patches']:,} patches seen "
                f"**{c['leader']}** leads with {c['psnr'][c['leader']]:.2f} dB, {c['margin']:.2f} dB ahead of "
                f"{c['runner_up']}; the others there: {others}. It is ahead of every other run at {c['lead_count']} of "
                f"{c['points']} validations, without a break since {c['leads_from']:,} patches")
        text += f" ({c['before'][0]} was first at {c['before'][1]:,})." if c["before"] else "."
        paper_choice = next((sw for sw in c["psnr"] if sw.startswith("RL+BN ")), None)
        if paper_choice is not None:
            rank = list(c["psnr"]).index(paper_choice) + 1
            text += (f" RL+BN, the paper's combination, ranks {rank} of {len(c['psnr'])} here"
                     + (", as in the paper's Fig. 2." if rank == 1 else ": the paper's Fig. 2, where it leads, is not "
                        "reproduced at this budget."))
        if c["rl_gain"] is not None:
            text += (f" Averaged over batch norm on and off, residual learning adds {signed(c['rl_gain'])} dB; averaged "
                     f"over residual learning on and off, batch norm adds {signed(c['bn_gain'])} dB.")
        unfinished = {s: st for s, st in c["statuses"].items() if st != "complete"}
        if unfinished:
            text += " Not complete: " + "; ".join(f"{s}: {st}" for s, st in unfinished.items()) + "."
        if c["missing"]:
            text += " No curve yet: " + ", ".join(c["missing"]) + "."
        parts.append(text)
    parts.append(describe_validation_points(runs) + " " + describe_limits(comparisons, runs))
    return "\n\n".join(parts)


def describe_validation_points(runs: dict) -> str:
    """What the curves' x-axis is, from the runs' own logs: ``"Each curve is the validation PSNR measured
    every 50 steps (1,600 patches: 0.67 % of one epoch of the paper's data), 8 times per run, plotted
    against the patches seen"`` (one clause per distinct spacing)."""
    from .findings import count_of

    spacings = {}
    for run in runs.values():
        steps = [int(r["steps"]) for r in run["history"] if "val_psnr" in r]
        if steps:
            gaps = {b - a for a, b in zip([0, *steps], steps)}
            key = (min(gaps), max(gaps), run["batch_size"])
            spacings.setdefault(key, set()).add(len(steps))
    if not spacings:
        return "No run has a validation curve yet."
    parts = []
    for (low, high, batch), counts in spacings.items():
        every = f"every {count_of(low, 'step')}" if low == high else f"every {low:,} to {high:,} steps"
        patches = low * batch
        times = " or ".join(str(n) for n in sorted(counts))
        parts.append(f"{every} of batch {batch} ({patches:,} patches: {100 * patches / PAPER_EPOCH_PATCHES:.2f} % of one "
                     f"epoch of the paper's data), {times} {'time' if counts == {1} else 'times'} per run")
    return ("Each curve is the validation PSNR measured " + "; ".join(parts)
            + ", plotted against the patches seen (not against epochs of the paper's data).")


def describe_limits(comparisons: list[dict], runs: dict) -> str:
    """What these budgets can and cannot show, said plainly, with the largest budget's share of the paper's run."""
    largest = max(c["patches"] for c in comparisons)
    share = largest / (PAPER_EPOCHS * PAPER_EPOCH_PATCHES)
    optimizers = {run["optimizer"] for run in runs.values() if _points(run)}
    text = (f"What this can and cannot show: the longest compared curve reaches {largest:,} patches, "
            f"{100 * share:.2f} % of the paper's {PAPER_EPOCHS} epochs of {PAPER_EPOCH_PATCHES:,} patches. It shows "
            f"which combination learns fastest at the start of training on the same data, batches and noise; it does "
            f"not show the converged PSNR the paper's Fig. 2 compares after {PAPER_EPOCHS} epochs, nor whether the "
            f"order holds that long.")
    batches = sorted({run["batch_size"] for run in runs.values() if _points(run)})
    if batches != [PAPER_BATCH]:
        text += (f" The batch is {' and '.join(str(b) for b in batches)} where the paper's is {PAPER_BATCH}: batch norm's "
                 f"statistics come from fewer patches, and the curves measure the networks in inference mode, with the "
                 f"moving statistics that batch norm has gathered so far.")
    sets = {_describe_set(run["validation"]) for run in runs.values() if run.get("validation")}
    if sets:
        text += (f" The PSNR is measured on {'; '.join(sorted(sets))}, not on BSD68 as in the paper: its level "
                 f"differs from the paper's, only the comparison between runs carries over.")
    if "sgd" not in optimizers:
        text += (" SGD, the paper's other panel, has no curve yet: the CPU budget went to the four Adam runs, and "
                 "`scripts/gpu_train_claims.sh` trains the SGD ones (with MatConvNet's initialisation and gradient "
                 "clipping, without which SGD at the paper's 1e-1 diverged in our probes).")
    return text


def read_shipped_validation_runs() -> dict:
    """This project's shipped models (the catalogue's entries of source ``shipped``) whose training
    logs carry the validation PSNR, as :func:`dncnn.training.runs.read_run` results keyed by their names."""
    from ..model.catalog import SHIPPED, entries
    from ..model.weights import shipped_run_files
    from ..training.runs import read_log, read_run

    runs = {}
    for entry in entries(source=SHIPPED):
        log, sidecar = shipped_run_files(entry.key)
        if log.exists() and sidecar.exists() and any("val_psnr" in row for row in read_log(log)):
            runs[entry.name] = read_run(log, sidecar)
    return runs


def describe_shipped_runs(runs: dict) -> str:
    """One sentence per shipped run with validation PSNR: its last value and patches seen; or why
    there is none yet."""
    from ..model.catalog import SHIPPED, entries

    if not runs:
        shipped = entries(source=SHIPPED)
        names = ", ".join(f"{entry.name} (`{entry.file}`)" for entry in shipped)
        return (f"No shipped GPU model has a validation curve yet: {names} {'was' if len(shipped) == 1 else 'were'} "
                f"trained before the validation PSNR was measured. `scripts/gpu_train_claims.sh` trains DnCNN-S for "
                f"sigma 15 and 50 and DnCNN-B with it.")
    parts = []
    for label, run in runs.items():
        rows = [r for r in run["history"] if "val_psnr" in r]
        parts.append(f"{label}: {rows[-1]['val_psnr']:.2f} dB after {int(rows[-1]['steps']) * run['batch_size']:,} "
                     f"patches ({run['device']}).")
    return "Shipped GPU models, validation PSNR at the end of training: " + " ".join(parts)


def _describe_set(validation: dict) -> str:
    """``"5 central 224 x 224 grey crops of Set5 at sigma 25"``."""
    sigmas = ", ".join(f"{s:g}" for s in validation["sigmas"])
    return f"{validation['images']} central {validation['crop']} x {validation['crop']} grey crops of {validation['set']} at sigma {sigmas}"


def _points(run: dict) -> list[tuple[int, float]]:
    """``(patches seen, validation PSNR)`` of a run's measured rows."""
    return [(int(r["steps"]) * run["batch_size"], float(r["val_psnr"])) for r in run["history"] if "val_psnr" in r]
