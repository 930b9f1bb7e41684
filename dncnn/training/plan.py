"""Before notebook 02 trains: how long the profile's training takes on this machine.

:func:`dncnn.training.train.time_training_steps` times the profile's first steps and extrapolates
with :func:`count_training_steps`; :func:`describe_estimate` states the result. Whether the profile
trains here at all, and the plan the rest of the study reads, are the study's state
(:mod:`dncnn.state`: ``plan_training``, ``results/<profile>/training.json``).
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..profiles import Profile
from ..state import format_duration


def count_training_steps(profile: Profile, *, patches_path: str | Path | None = None) -> int:
    """Steps of the profile's whole training run: epochs x steps per epoch (one pass over the
    patches of ``patches_path``, default the profile's, when the profile sets no step count)."""
    import numpy as np

    if profile.steps_per_epoch:
        return profile.epochs * profile.steps_per_epoch
    path = Path(patches_path or config.patches_path(profile.name))
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: cut the patches first (notebook 01 or `python -m dncnn patches "
                                f"--profile {profile.name}`)")
    count = len(np.load(path, mmap_mode="r"))
    return profile.epochs * (count // profile.batch_size)


def describe_estimate(estimate: dict) -> str:
    """One sentence for the notebook and the README: the estimate and how it was measured."""
    return (f"Training `{estimate['profile']}` here: {estimate['steps_total']:,} steps of batch {estimate['batch_size']} "
            f"x {estimate['seconds_per_step']:.3g} s per step = about {format_duration(estimate['estimated_seconds'])} "
            f"on {estimate['device']} ({estimate['backend']} backend, {estimate['precision']}; timed over "
            f"{estimate['steps_timed']} steps after {estimate['warmup_steps']} warm-up steps).")
