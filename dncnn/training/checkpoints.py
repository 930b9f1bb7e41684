"""A run's checkpoints: the full model (weights and optimizer state) and the run's state after every
completed epoch (``checkpoints/epoch-NNN.keras`` and ``.json``, the last ``KEEP_CHECKPOINTS`` kept),
the newest one that loads on resume, and the small float32 model users load (``model.keras``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import keras

from ..files import atomic
from ..model.network import build_dncnn
from ..profiles import Profile
from . import optimizer  # noqa: F401  (registers ClippedSGD, which a checkpoint may hold)

KEEP_CHECKPOINTS = 2


def save_checkpoint(model: keras.Model, state: dict, ckpt_dir: Path) -> None:
    """Save ``model`` and ``state`` as the checkpoint of epoch ``state["epoch"]``; keep the last ``KEEP_CHECKPOINTS``."""
    stem = f"epoch-{state['epoch']:03d}"
    atomic.save_json(ckpt_dir / f"{stem}.json", state)
    with atomic.atomic_path(ckpt_dir / f"{stem}.keras") as tmp:
        model.save(tmp)
    for old in sorted(ckpt_dir.glob("epoch-*.keras"))[:-KEEP_CHECKPOINTS]:
        old.unlink(missing_ok=True)
        old.with_suffix(".json").unlink(missing_ok=True)


def load_last_checkpoint(ckpt_dir: Path) -> tuple[keras.Model | None, dict | None]:
    """Newest checkpoint that loads, with its state; earlier ones are tried if the newest is damaged."""
    candidates = sorted(ckpt_dir.glob("epoch-*.keras"), reverse=True)
    if not candidates:
        raise FileNotFoundError(f"resume=True (--resume): no checkpoint in {ckpt_dir}; start a run without it")
    for path in candidates:
        try:
            state = json.loads(path.with_suffix(".json").read_text())
            model = keras.models.load_model(path, safe_mode=True)
        except Exception as err:  # a damaged checkpoint: say so and try the previous one
            print(f"checkpoint {path.name} cannot be loaded ({type(err).__name__}: {err}); trying the previous one",
                  file=sys.stderr)
            continue
        print(f"resuming from {path.name}: {state['epoch']} epochs, {state['steps']} steps done", file=sys.stderr)
        return model, state
    raise RuntimeError(f"no checkpoint in {ckpt_dir} can be loaded; delete the folder and train again (overwrite=True, --overwrite)")


def export_model(weights: list, path: Path, profile: Profile) -> None:
    """Save the weights in a float32 model without optimizer state (the small file users load)."""
    keras.config.set_dtype_policy("float32")
    export = build_network(profile, seed=None)
    export.set_weights(weights)
    with atomic.atomic_path(path) as tmp:
        export.save(tmp)


def build_network(profile: Profile, *, seed: int | None) -> keras.Model:
    """A new DnCNN of the profile: its depth, width, batch norm, residual learning, momentum and initialiser."""
    return build_dncnn(profile.depth, profile.filters, batch_norm=profile.batch_norm, residual=profile.residual,
                       bn_momentum=profile.bn_momentum, seed=seed, init=profile.init)
