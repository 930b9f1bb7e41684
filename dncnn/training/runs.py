"""A run's record: its ``log.csv`` (one row per epoch) and JSON sidecar; reading them, checking a
finished run against its profile, and the table of runs."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from ..files import atomic
from ..profiles import Profile

LOG_FIELDS = ("epoch", "steps", "loss", "learning_rate", "epoch_seconds", "wall_seconds", "val_psnr")


def read_log(path: str | Path) -> list[dict]:
    """Rows of a ``log.csv`` written by :func:`dncnn.training.train.train`, numbers parsed; an empty cell (a log written
    before a column existed, or an epoch without validation) leaves its key out of the row."""
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


def read_run(log: str | Path, sidecar: str | Path) -> dict:
    """A finished run for :func:`dncnn.analysis.plots.plot_training_runs`: its ``log.csv`` rows with the batch
    size, device and precision from its JSON sidecar."""
    facts = json.loads(Path(sidecar).read_text())
    return {"history": read_log(log), "batch_size": int(facts["batch_size"]), "device": facts["device"],
            "precision": facts["precision"], "steps": int(facts["steps"]), "wall_seconds": float(facts["wall_seconds"])}


def check_training_run(log: str | Path, sidecar: str | Path, profile: Profile) -> int:
    """Check a finished run of ``profile`` (its ``log.csv`` and ``model.json``): epochs 1..n logged in
    order, the steps of whole epochs, each epoch's learning rate the profile's schedule, finite losses, the
    sidecar's epochs, steps and final loss those of the log, and ``complete`` exactly when every planned
    epoch ran.

    Returns:
        The number of epochs logged.

    Raises:
        ValueError: naming the file and the first invariant that does not hold.
    """
    rows, facts = read_log(log), json.loads(Path(sidecar).read_text())
    per_epoch = profile.steps_per_epoch or facts["patches_count"] // profile.batch_size
    checks = [
        ([r["epoch"] for r in rows] == list(range(1, len(rows) + 1)), "the epochs are not 1..n in order"),
        ([r["steps"] for r in rows] == [per_epoch * r["epoch"] for r in rows], f"the steps are not {per_epoch} per epoch"),
        ([r["learning_rate"] for r in rows] == [profile.learning_rate(int(r["epoch"]) - 1) for r in rows],
         f"the learning rates are not the schedule {profile.lr_schedule}"),
        (all(math.isfinite(r["loss"]) for r in rows), "a loss is not finite"),
        (facts["epochs"] == len(rows) and facts["steps"] == per_epoch * len(rows), "the sidecar's epochs or steps are not the log's"),
        (not rows or facts["final_loss"] == rows[-1]["loss"], "the sidecar's final loss is not the log's last"),
        (facts["complete"] == (len(rows) >= profile.epochs), f"complete={facts['complete']} after {len(rows)} of {profile.epochs} epochs"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(f"{log}: {message}")
    return len(rows)


def runs_table(runs: dict):
    """One row per run of :func:`read_run` results: device, precision, batch, epochs, steps, patches
    seen, training minutes, patches per second and the last epoch's training loss (MSE on the [0, 1]
    scale; ``final_loss``) (a pandas DataFrame)."""
    import pandas as pd

    rows = []
    for label, run in runs.items():
        seen = run["steps"] * run["batch_size"]
        rows.append({"run": label, "device": run["device"], "precision": run["precision"], "batch_size": run["batch_size"],
                     "epochs": len(run["history"]), "steps": run["steps"], "patches_seen": seen,
                     "training_minutes": round(run["wall_seconds"] / 60, 2),
                     "patches_per_second": round(seen / run["wall_seconds"], 1) if run["wall_seconds"] else None,
                     "final_loss": run["history"][-1]["loss"] if run["history"] else None})
    return pd.DataFrame(rows)


def write_log(path: Path, history: list[dict]) -> None:
    """Write ``history`` (one dict per epoch, keys of ``LOG_FIELDS``) as ``log.csv`` at ``path``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LOG_FIELDS)
    writer.writeheader()
    writer.writerows(history)
    atomic.save_text(path, buffer.getvalue())
