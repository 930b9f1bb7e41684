"""The study's state that several layers read: notebook 02's training plan (``results/<profile>/training.json``).

:func:`plan_training` decides whether notebook 02 trains a profile here: a profile marked
``accelerator_only`` (``paper``) does not train on a machine without a GPU unless asked; the study
then uses this project's shipped weights of that recipe (a catalogue entry). :func:`write_training_plan`
records the decision; notebooks 03 and 04, the evaluation and the analysis read it through
:func:`read_training_plan` and load its model with :func:`load_planned_model`, without importing the
training code (``dncnn.training``: the loop, the time estimate).
"""

from __future__ import annotations

import json
from pathlib import Path

from . import config
from .files import atomic
from .runtime.device import has_accelerator
from .profiles import Profile, run_name

PLAN_FILE = "training.json"


def format_duration(seconds: float) -> str:
    """``seconds`` in the largest unit that keeps it readable: ``"40 s"``, ``"12.5 min"``, ``"3.2 h"``, ``"6.6 days"``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def shipped_model_for(profile: Profile) -> str | None:
    """The key of this project's shipped model (``weights/<key>.keras``) trained by the profile's
    recipe at the profile's training sigma (:func:`dncnn.model.catalog.shipped_entry_for`), or None."""
    from .model.catalog import shipped_entry_for

    entry = shipped_entry_for(profile)
    return None if entry is None else entry.key


def plan_training(profile: Profile, *, train: bool | None = None, estimate: dict | None = None,
                  accelerator: bool | None = None) -> dict:
    """Whether notebook 02 trains the profile here, why, and which model the rest of the study uses.

    Args:
        train: True or False force the choice; None trains unless the profile is ``accelerator_only``
            and this machine has no accelerator.
        estimate: :func:`dncnn.training.train.time_training_steps` result, quoted in the reason.
        accelerator: whether this machine has a GPU (default: :func:`dncnn.runtime.device.has_accelerator`).

    Returns:
        ``{"profile", "train", "reason", "model", "estimate"}``; ``model`` is ``{"source": "trained",
        "run_dir", "path", "label", "sigma"}`` (:func:`trained_model_entry`) or ``{"source": "loaded", "shipped",
        "path", "label", "sigma"}``.

    Raises:
        FileNotFoundError: when the profile is not trained here and no shipped model has its recipe.
    """
    from .model.catalog import get_entry

    accelerator = has_accelerator() if accelerator is None else accelerator
    took = f" ({format_duration(estimate['estimated_seconds'])} estimated)" if estimate else ""
    if train is None:
        train = accelerator or not profile.accelerator_only
        reason = (f"trains here{took}" if train else
                  f"not trained here: `{profile.name}` is GPU work and this machine has no GPU{took}; "
                  f"set the parameter train_model = True to train anyway")
    else:
        reason = f"train_model = {train} was asked{took}"
    if train:
        model = trained_model_entry(profile)
    else:
        name = shipped_model_for(profile)
        if name is None:
            raise FileNotFoundError(f"`{profile.name}` is not trained here and weights/ holds no model of its recipe at "
                                    f"{profile.noise_label()}: set train_model = True (notebook 02) or `python -m dncnn train`")
        entry = get_entry(name)
        model = {"source": "loaded", "shipped": name, "path": entry.file, "label": entry.name,
                 "sigma": None if entry.sigma is None else float(entry.sigma)}
        reason += f"; the study uses `weights/{name}.keras` instead"
    return {"profile": profile.name, "train": bool(train), "reason": reason, "model": model, "estimate": estimate}


def trained_model_entry(profile: Profile) -> dict:
    """The ``model`` entry of a plan whose profile trains here: where the run writes (``run_dir``,
    ``path`` of its ``model.keras``, relative to the output root), its label in every table and
    figure (``DnCNN-S ours (<run>)``, ``DnCNN-B ours (<run>)`` for a blind profile), and the sigma it
    is trained for (None for a blind profile: it is evaluated at every level)."""
    from .model.catalog import run_entry

    entry = run_entry(profile)
    return {"source": "trained", "run_dir": entry.run_dir, "path": entry.file, "label": entry.name, "sigma": entry.sigma}


def planned_run_files(plan: dict) -> tuple[Path, Path]:
    """``(log.csv, model.json)`` of the run a plan trained (``ValueError`` for a plan that loads the shipped model)."""
    if plan["model"]["source"] != "trained":
        raise ValueError(f"the plan of {plan['profile']!r} loads {plan['model']['path']}; it trains no run here")
    run_dir = _resolve(plan["model"].get("run_dir") or Path(plan["model"]["path"]).parent)
    return run_dir / "log.csv", run_dir / "model.json"


def load_planned_model(plan: dict):
    """The Keras model a plan names: the run's ``model.keras`` (safe mode) or the shipped model
    (checksum verified), as trained (batch norm not folded)."""
    from .model.weights import load_model, load_shipped_model

    if plan["model"]["source"] == "trained":
        return load_model(_resolve(plan["model"]["path"]))
    return load_shipped_model(plan["model"]["shipped"])


def write_training_plan(results_dir: str | Path, plan: dict) -> Path:
    """Save ``plan`` (of :func:`plan_training`) as ``<results_dir>/training.json``."""
    return atomic.save_json(Path(results_dir) / PLAN_FILE, plan)


def read_training_plan(results_dir: str | Path, profile: Profile) -> dict:
    """The plan notebook 02 wrote in ``results_dir``.

    Without one (a run older than the plan, or notebook 02 not run), the profile's own run is used
    if ``data/runs/<profile>/model.keras`` exists.

    Raises:
        FileNotFoundError: neither a plan nor a trained model; names notebook 02.
    """
    path = Path(results_dir) / PLAN_FILE
    if path.exists():
        return json.loads(path.read_text())
    model = config.run_dir(run_name(profile)) / "model.keras"
    if model.exists():
        return {"profile": profile.name, "train": True, "reason": f"{path} is missing; using {model}",
                "model": trained_model_entry(profile), "estimate": None}
    raise FileNotFoundError(f"neither {path} nor {model} exists: run notebook 02 of profile {profile.name!r} first")


def _resolve(path: str | Path) -> Path:
    """A path of a plan: relative ones lie under the output root."""
    path = Path(path)
    return path if path.is_absolute() else config.OUTPUT_ROOT / path
