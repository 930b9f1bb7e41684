"""``python -m dncnn ablation``: the paper's Fig. 2 as named training runs, resumable and bounded in
time, their validation curves written to ``results/ablation/<profile>/`` (committed; notebook 07
reads them).

Fig. 2 of the paper trains the four combinations of residual learning (RL) and batch normalization
(BN) at sigma 25 with SGD and with Adam, and plots the average PSNR on BSD68 against epochs. Here
every run trains the same DnCNN-S (17 layers of 64 filters) on the same patches, batches and noise
(the same seeds), and differs only in the two switches and the optimizer:

- Adam: this project's recipe (the authors' Keras and MatConvNet code): learning rate 1e-3 (the first
  30 of the paper's 50 epochs), Keras' Adam defaults, MSE loss.
- SGD: the paper's text (Section IV-A, "SGD with weight decay of 0.0001, a momentum of 0.9 and a
  mini-batch size of 128 ... The learning rate was decayed exponentially from 1e-1 to 1e-4 for the 50
  epochs") as the authors' MatConvNet ``DnCNN_train.m`` implements it: momentum 0.9, weight decay
  1e-4 added to the gradient of the convolution kernels, on the loss of their ``vl_nnloss.m`` (half
  the squared error summed over a patch, averaged over the batch), the rate decayed log-linearly per
  pass over the data (``logspace(-1, -4, 50)``). Two more things of that code, which the paper does
  not mention, are switched on because without them SGD at 1e-1 diverged within six steps in our
  measurements, with either initialisation (``docs/training-claims.md``): its initialisation
  (``DnCNN_init_model_64_25_Res_Bnorm_Adam.m``: kernels and BN scales from N(0, 2/(9 x 64)), so the
  network starts with a small output) and its gradient clipping (``theta = 0.005``, off in its
  demos; :class:`dncnn.training.optimizer.ClippedSGD`). Not copied: that code sets the momentum (and
  Adam's moments) to zero at the start of every epoch; here the optimizer state runs on.

Validation (:mod:`dncnn.training.validation`) replaces the paper's BSD68 curve: BSD68 is the results
table, which no training choice may look at.

Each run lives in ``data/runs/ablation/<profile>/<run>/`` (checkpoints every epoch); a call trains
every asked run that is not complete, each for at most ``max_minutes``, resuming where the last call
stopped; a run whose loss became NaN is marked diverged and not retried. After each run its
``log.csv`` is copied to ``<out_dir>/<profile>/<run>.log.csv`` beside ``<run>.json`` (the run's
sidecar, its settings, its budget and its status).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Sequence

from .. import config
from ..analysis.training_claims import PAPER_EPOCH_PATCHES
from ..files import atomic
from ..profiles import Profile, get_profile

# name -> (optimizer, residual learning, batch norm); labels as the paper's legend
ABLATION_RUNS: dict[str, tuple[str, bool, bool]] = {
    "adam-rl-bn": ("adam", True, True),
    "adam-rl": ("adam", True, False),
    "adam-bn": ("adam", False, True),
    "adam-plain": ("adam", False, False),
    "sgd-rl-bn": ("sgd", True, True),
    "sgd-rl": ("sgd", True, False),
    "sgd-bn": ("sgd", False, True),
    "sgd-plain": ("sgd", False, False),
}
RUN_GROUPS = {"adam": [r for r in ABLATION_RUNS if r.startswith("adam")],
              "sgd": [r for r in ABLATION_RUNS if r.startswith("sgd")], "all": list(ABLATION_RUNS)}
SGD_PASSES = 50  # the paper's SGD schedule: 1e-1 to 1e-4 over 50 passes
SGD_GRADIENT_CLIP = 0.005  # MatConvNet's theta (DnCNN_train.m: opts.theta), its clipping switched on


def describe_switches(run: str) -> str:
    """The legend label of a run: ``"RL+BN (Adam)"``, ``"RL (SGD)"``, ``"BN (Adam)"``, ``"neither (SGD)"``."""
    optimizer, residual, batch_norm = ABLATION_RUNS[run]
    parts = [name for name, on in (("RL", residual), ("BN", batch_norm)) if on]
    return f"{'+'.join(parts) or 'neither'} ({'Adam' if optimizer == 'adam' else 'SGD'})"


def ablation_profile(base: Profile, run: str, *, patches_count: int) -> Profile:
    """The profile of one named run: ``base`` with the run's switches and optimizer.

    SGD runs get the paper's settings, the schedule counted in the base's epochs: a pass over
    ``patches_count`` patches is ``patches_count // batch / steps_per_epoch`` of them.
    """
    if run not in ABLATION_RUNS:
        raise ValueError(f"unknown ablation run {run!r}: allowed are {', '.join(ABLATION_RUNS)}. Received: {run!r}")
    optimizer, residual, batch_norm = ABLATION_RUNS[run]
    profile = dataclasses.replace(base, residual=residual, batch_norm=batch_norm)
    if optimizer == "sgd":
        epochs_per_pass = (patches_count // base.batch_size) / (base.steps_per_epoch or patches_count // base.batch_size)
        last = round((SGD_PASSES - 1) * epochs_per_pass)
        profile = dataclasses.replace(profile, optimizer="sgd", momentum=0.9, weight_decay=1e-4, loss="half_sum",
                                      lr_decay="exponential", lr_schedule=((0, 1e-1), (max(last, 1), 1e-4)),
                                      gradient_clip=SGD_GRADIENT_CLIP, init="matconvnet")
    return profile.validate()


def resolve_runs(names: Sequence[str]) -> list[str]:
    """Run names from names and groups (``adam``, ``sgd``, ``all``), in ``ABLATION_RUNS`` order, once each."""
    wanted = set()
    for name in names:
        if name in RUN_GROUPS:
            wanted |= set(RUN_GROUPS[name])
        elif name in ABLATION_RUNS:
            wanted.add(name)
        else:
            raise ValueError(f"unknown ablation run {name!r}: allowed are {', '.join([*RUN_GROUPS, *ABLATION_RUNS])}. "
                             f"Received: {name!r}")
    return [run for run in ABLATION_RUNS if run in wanted]


def run_ablation(*, profile: str | Profile = "ablation", runs: Sequence[str] = ("adam",), max_minutes: float | None = None,
                 time_limit: float | None = None, epochs: int | None = None, out_dir: str | Path | None = None,
                 patches_path: str | Path | None = None,
                 devices: int | str | None = None, mixed_precision: bool = False, steps_per_execution: int | None = None,
                 verbose: int = 2, argv: Sequence[str] = ()) -> list[dict]:
    """Train (or continue) the named ablation runs of a profile, one after the other, and publish their curves.

    Args:
        profile: the base profile (``ablation`` on a CPU, ``ablation-gpu`` on a GPU, or any).
        runs: run names or groups (``adam``, ``sgd``, ``all``).
        max_minutes: wall-clock bound of each run in this call (default the profile's); a run
            stopped by it continues from its last epoch at the next call.
        time_limit: minutes for the whole call: each run's bound is cut to what is left, and no run
            starts with less than half a minute left (it starts at the next call).
        epochs: the runs' epoch count (default the profile's); a complete run continues to it.
        out_dir: receives ``<profile>/<run>.log.csv`` and ``<run>.json`` (default ``results/ablation``).
        patches_path: the base profile's patches (default ``data/patches/<profile>/patches.npy``; cut
            by ``python -m dncnn patches --profile <profile>`` when missing).
        argv: the command line, recorded in each sidecar.

    Returns:
        The sidecars written, one per run.
    """
    from ..data.patches import prepare_patches
    from ..training.train import train

    base = get_profile(profile) if isinstance(profile, str) else profile
    if epochs is not None:
        base = dataclasses.replace(base, epochs=epochs).validate()
    patches_path = Path(patches_path or config.patches_path(base.name))
    if not patches_path.exists():
        prepare_patches(out_path=patches_path, train_images=base.train_images, patch_size=base.patch_size, stride=base.stride,
                        batch_size=base.batch_size, seed=base.patch_seed)
    count = _count_patches(patches_path)
    out = Path(out_dir or config.ABLATION_DIR) / base.name
    written = []
    deadline = time.monotonic() + 60 * time_limit if time_limit else None
    for run in resolve_runs(runs):
        run_profile = ablation_profile(base, run, patches_count=count)
        run_dir = config.RUNS_DIR / "ablation" / base.name / run
        bound = max_minutes
        if deadline is not None:
            left = (deadline - time.monotonic()) / 60
            if left < 0.5:
                print(f"{run}: not started, {left:.1f} min left of --time-limit {time_limit}; the next call starts it",
                      file=sys.stderr)
                continue
            bound = min(bound, left) if bound else left
        status, sidecar = _train_one(train, run_profile, run_dir, patches_path=patches_path, max_minutes=bound,
                                     devices=devices, mixed_precision=mixed_precision,
                                     steps_per_execution=steps_per_execution, verbose=verbose)
        written.append(publish_run(run, run_dir, out, status=status, sidecar=sidecar, argv=argv))
        print(f"{run}: {status}", file=sys.stderr)
    return written


def publish_run(run: str, run_dir: Path, out: Path, *, status: str, sidecar: dict | None, argv: Sequence[str] = ()) -> dict:
    """Copy a run's ``log.csv`` to ``<out>/<run>.log.csv`` and write ``<out>/<run>.json``: the run's
    sidecar (``model.json``, or the last checkpoint's state when it diverged) with ``run``, ``label``,
    ``status`` and ``budget`` (steps, batch, patches seen and planned, the fraction of one pass of the
    paper's data, the time bound)."""
    facts = dict(sidecar or _read_json(run_dir / "model.json") or {})
    profile = facts.get("profile") or {}
    planned_steps = (profile.get("epochs") or 0) * (profile.get("steps_per_epoch") or 0)
    batch = profile.get("batch_size") or facts.get("batch_size") or 0
    steps = facts.get("steps", 0)
    facts.update({
        "run": run, "label": describe_switches(run), "status": status, "argv": list(argv),
        "budget": {"steps_planned": planned_steps, "steps_done": steps, "batch_size": batch,
                   "patches_planned": planned_steps * batch, "patches_seen": steps * batch,
                   "paper_epochs_planned": round(planned_steps * batch / PAPER_EPOCH_PATCHES, 4),
                   "max_minutes": profile.get("max_minutes")},
    })
    if (run_dir / "log.csv").exists():
        atomic.save_text(out / f"{run}.log.csv", (run_dir / "log.csv").read_text())
    atomic.save_json(out / f"{run}.json", facts)
    return facts


def _train_one(train, profile: Profile, run_dir: Path, **options) -> tuple[str, dict | None]:
    """Train or continue one run; ``(status, sidecar)`` with status ``complete``, ``partial``,
    ``diverged in epoch N`` (kept from an earlier call: not retried)."""
    marker = run_dir / "diverged.json"
    if marker.exists():
        return json.loads(marker.read_text())["status"], None
    previous = _read_json(run_dir / "model.json")
    if previous and previous.get("complete") and previous.get("epochs_planned") == profile.epochs:
        return "complete", previous
    resume = any((run_dir / "checkpoints").glob("epoch-*.keras"))
    max_minutes = options.pop("max_minutes")
    try:
        sidecar = train(profile, run_dir=run_dir, resume=resume, overwrite=not resume, max_minutes=max_minutes,
                        tensorboard=False, **options)
    except FloatingPointError as err:
        status = f"diverged ({err})"
        atomic.save_json(marker, {"status": status})
        if (run_dir / "checkpoints").exists():
            shutil.rmtree(run_dir / "checkpoints")  # a rerun would diverge again: keep the log, free the space
        return status, _diverged_sidecar(run_dir, profile)
    return ("complete" if sidecar["complete"] else "partial"), sidecar


def _diverged_sidecar(run_dir: Path, profile: Profile) -> dict:
    from ..files import provenance
    from ..training.runs import read_log

    rows = read_log(run_dir / "log.csv") if (run_dir / "log.csv").exists() else []
    return {"profile": profile.to_dict(), "complete": False, "epochs": len(rows), "epochs_planned": profile.epochs,
            "steps": int(rows[-1]["steps"]) if rows else 0, "batch_size": profile.batch_size,
            "wall_seconds": rows[-1]["wall_seconds"] if rows else 0.0, **provenance.provenance()}


def _count_patches(path: Path) -> int:
    import numpy as np

    return len(np.load(path, mmap_mode="r"))


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None
