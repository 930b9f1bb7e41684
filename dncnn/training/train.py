"""Training DnCNN with checkpoints, resume and a wall-clock bound (``python -m dncnn train``): the loop.

Beside it: the optimizers (:mod:`dncnn.training.optimizer`), the checkpoints
(:mod:`dncnn.training.checkpoints`), the devices (:mod:`dncnn.training.devices`) and the run's
record, its readers and checker (:mod:`dncnn.training.runs`).

Training runs on the device pipeline (:mod:`dncnn.training.pipeline`): the uint8 patches live on the
device once, and each epoch is one ``fit`` call of a :class:`~dncnn.training.pipeline.DenoiserTrainer`
over the epoch's patch indices and noise seeds, pure functions of ``(seed, epoch, step)``; the batch
is gathered and its noise drawn inside the compiled step, ``steps_per_execution`` steps per call. So
resuming from a checkpoint replays exactly the batches an uninterrupted run would have seen. After every completed epoch the full model
(weights and optimizer state) is saved as ``checkpoints/epoch-NNN.keras`` with a JSON state beside
it; a run killed at any point resumes from the last completed epoch. After every epoch the
validation PSNR (:mod:`dncnn.training.validation`) joins the epoch's row of ``log.csv``.

Several devices (``devices="all"`` or a count, JAX backend): the run trains data parallel under
``keras.distribution.DataParallel`` over the first ``devices`` of ``keras.distribution.list_devices()``;
each step's global batch is split into one row per device (:func:`dncnn.training.pipeline.epoch_inputs`)
and the step is one SPMD program over the global batch, so batch norm's statistics, the noise and
the loss are those of the whole batch and the weights are those of one device up to float rounding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import keras

from .. import config
from ..data.patches import load_patches
from ..files import atomic, provenance
from ..runtime.device import describe_device
from ..profiles import Profile, get_profile, run_name
from . import plan
from .checkpoints import build_network, export_model, load_last_checkpoint, save_checkpoint
from .devices import data_parallel, resolve_devices
from .optimizer import make_optimizer
from .pipeline import build_trainer, epoch_inputs
from .runs import write_log
from .validation import describe_validation, load_validation_set, measure_validation


class _Deadline(keras.callbacks.Callback):
    """Stops training at the end of a batch once a wall-clock deadline has passed; counts the steps done.

    With ``steps_per_execution > 1`` Keras calls ``on_train_batch_end`` once per execution with the
    index of its last step, so the count is that index + 1, not the number of calls."""

    def __init__(self, deadline: float | None):
        super().__init__()
        self.deadline, self.batches = deadline, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches = int(batch) + 1
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.model.stop_training = True


def train(
    profile: Profile | str,
    *,
    patches_path: str | Path | None = None,
    run_dir: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    max_minutes: float | None = None,
    mixed_precision: bool = False,
    xla: bool | str = "auto",
    deterministic: bool = False,
    tensorboard: bool = True,
    verbose: int | str = "auto",
    steps_per_execution: int | None = None,
    devices: int | str | None = None,
    validate: bool = True,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict:
    """Train DnCNN by ``profile``; return the sidecar of the exported model.

    Args:
        profile: a :class:`Profile` or its name (``paper``, ``quick``, ``smoke``).
        patches_path: (N, p, p) uint8 ``.npy`` from notebook 01 (default: the profile's).
        run_dir: receives ``checkpoints/``, ``log.csv``, ``tensorboard/``, ``model.keras`` and
            ``model.json`` (default ``data/runs/<profile>``, or ``data/runs/<profile>-sigma<N>`` when the
            profile's training sigma was changed: :func:`dncnn.profiles.run_name`).
        resume: continue from the last good checkpoint in ``run_dir``.
        overwrite: delete an earlier run's checkpoints in ``run_dir`` and start afresh. Without
            ``resume`` or ``overwrite``, existing checkpoints are an error (nothing is lost silently).
        max_minutes: stop cleanly once this much wall time has passed (default: the profile's);
            the checkpoint of the last completed epoch is kept and ``--resume`` continues from it.
        mixed_precision: bf16 mixed precision (``mixed_bfloat16``); the output layers stay float32.
            The dtype policy in force before the call is restored afterwards, also when training fails.
        xla: XLA compilation on TensorFlow (``True``/``False``/``"auto"``: on with an accelerator, off on a
            CPU, where oneDNN trains faster; op determinism turns it off); JAX always compiles. The sidecar
            records what ran (:func:`describe_xla`).
        deterministic: enable TensorFlow op determinism (bit-identical reruns on CPU); also on
            when the profile asks for it.
        steps_per_execution: training steps per compiled call (default: the profile's); a resumed
            run may change it without changing the result beyond float rounding.
        devices: ``None`` or 1: the default device; ``"all"`` or a count N > 1: data parallel over
            the first N devices (JAX backend; the batch size must divide by N). A run may resume
            on another device count.
        validate: measure the validation PSNR after every epoch (the profile's set; False skips it).
        verbose: Keras progress bar: ``"auto"``/1 a bar per epoch, 2 one line per epoch, 0 silent.
        callbacks: more Keras callbacks for every epoch's ``fit`` (their ``epoch`` is 0-based
            and absolute: a resumed run continues the count).

    Returns:
        The sidecar dict written to ``model.json`` (profile, epochs, steps, wall time, device,
        backend, precision, versions, commit, ``complete``).
    """
    profile = (get_profile(profile) if isinstance(profile, str) else profile).validate()
    overrides = {"max_minutes": max_minutes, "steps_per_execution": steps_per_execution}
    profile = dataclasses.replace(profile, **{k: v for k, v in overrides.items() if v is not None}).validate()
    patches_path = Path(patches_path or config.patches_path(profile.name))
    run_dir = Path(run_dir or config.run_dir(run_name(profile)))
    deadline = time.monotonic() + 60 * profile.max_minutes if profile.max_minutes else None
    count = resolve_devices(devices, batch_size=profile.batch_size)
    prepare_run_dir(run_dir, resume=resume, overwrite=overwrite)
    patches = load_training_patches(patches_path, profile)
    validation = load_validation_set(profile) if validate else None
    with training_numerics(profile, mixed_precision=mixed_precision, deterministic=deterministic):
        with data_parallel(count):
            model, state = start_or_resume(profile, run_dir / "checkpoints", resume=resume)
            # model: the DnCNN, saved in checkpoints with its optimizer; trainer: it and the patch bank, trained
            trainer = build_trainer(model, patches, sigma=profile.sigma, optimizer=make_optimizer(profile),
                                    jit_compile=xla, steps_per_execution=profile.steps_per_execution,
                                    sigma_range=profile.sigma_range, loss=profile.loss, weight_decay=profile.weight_decay)
            xla = describe_xla(trainer, asked=xla)
            callbacks = [_Deadline(deadline), *callbacks]
            if tensorboard and _has_tensorflow():
                callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard"), write_graph=False))
            stop_reason = run_epochs(trainer, model, state, profile, patches_count=len(patches), run_dir=run_dir,
                                     callbacks=callbacks, deadline=deadline, verbose=verbose, validation=validation,
                                     devices=count)
            weights = model.get_weights()
        if stop_reason:
            print(stop_reason, file=sys.stderr)
        export_model(weights, run_dir / "model.keras", profile)
    sidecar = describe_run(profile, state, stop_reason=stop_reason, mixed_precision=mixed_precision, xla=xla,
                           patches_path=patches_path, patches_count=len(patches), devices=count,
                           validation=validation is not None)
    atomic.save_json(run_dir / "model.json", sidecar)
    return sidecar


def prepare_run_dir(run_dir: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse to start over an earlier run's checkpoints unless ``resume`` or ``overwrite``; with
    ``overwrite`` (and not ``resume``) delete its checkpoints, log, model and sidecar.

    Raises:
        FileExistsError: naming the folder, its last checkpoint and the two flags.
    """
    ckpt_dir = run_dir / "checkpoints"
    existing = sorted(ckpt_dir.glob("epoch-*.keras"))
    if existing and not (resume or overwrite):
        raise FileExistsError(
            f"{run_dir} already holds checkpoints of a run (last: {existing[-1].name}). Pass resume=True "
            f"(--resume) to continue it, overwrite=True (--overwrite) to start afresh, or choose another run_dir."
        )
    if overwrite and not resume:
        for path in list(ckpt_dir.glob("epoch-*")) + [run_dir / "log.csv", run_dir / "model.keras", run_dir / "model.json"]:
            path.unlink(missing_ok=True)


def load_training_patches(path: Path, profile: Profile):
    """The (N, p, p) uint8 patches of ``path``; ``ValueError`` unless p is the profile's patch size."""
    patches = load_patches(path)
    if patches.shape[1] != profile.patch_size:
        raise ValueError(f"{path} holds {patches.shape[1]}x{patches.shape[2]} patches; the profile expects {profile.patch_size}")
    return patches


@contextlib.contextmanager
def training_numerics(profile: Profile, *, mixed_precision: bool, deterministic: bool):
    """The numeric state of a training run for the block: TensorFlow op determinism when asked
    (it stays on for the process), the dtype policy (``mixed_bfloat16`` or ``float32``) and the
    global seed ``profile.train_seed``. The dtype policy in force before is restored on exit, also
    when the block raises."""
    before = keras.config.dtype_policy()
    if (deterministic or profile.deterministic) and keras.config.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    keras.config.set_dtype_policy("mixed_bfloat16" if mixed_precision else "float32")
    keras.utils.set_random_seed(profile.train_seed)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def start_or_resume(profile: Profile, ckpt_dir: Path, *, resume: bool) -> tuple[keras.Model, dict]:
    """The model to train and the run's state: the last good checkpoint with its state when
    ``resume``, else a new seeded DnCNN (the profile's depth, width, residual learning and batch
    norm) and ``{"epoch": 0, "steps": 0, "wall_seconds": 0.0, "history": []}``."""
    if resume:
        return load_last_checkpoint(ckpt_dir)
    return build_network(profile, seed=profile.train_seed), {"epoch": 0, "steps": 0, "wall_seconds": 0.0, "history": []}


def run_epochs(trainer, model: keras.Model, state: dict, profile: Profile, *, patches_count: int, run_dir: Path,
               callbacks: list, deadline: float | None, verbose, validation: dict | None = None,
               devices: int = 1) -> str | None:
    """Train the epochs from ``state["epoch"]`` to ``profile.epochs``, one ``fit`` call each; after
    every completed epoch measure the validation PSNR (when ``validation`` is given), update
    ``state``, save a checkpoint and the log. ``callbacks[0]`` is the :class:`_Deadline`. Returns why
    training stopped early (the deadline), or None.

    Raises:
        FloatingPointError: the loss became NaN or infinite (the last good checkpoint is kept).
    """
    steps_per_epoch = profile.steps_per_epoch or patches_count // profile.batch_size
    last_epoch_seconds = None
    for epoch in range(state["epoch"], profile.epochs):
        if deadline is not None and last_epoch_seconds and time.monotonic() + last_epoch_seconds > deadline:
            return f"stopped before epoch {epoch + 1}: another epoch would pass --max-minutes {profile.max_minutes}"
        lr = profile.learning_rate(epoch)
        model.optimizer.learning_rate.assign(lr)
        keras.utils.set_random_seed(profile.train_seed + epoch)
        inputs = epoch_inputs(patches_count, batch_size=profile.batch_size, steps=steps_per_epoch,
                              seed=profile.train_seed, epoch=epoch, devices=devices)
        epoch_start = time.monotonic()
        history = trainer.fit(inputs, batch_size=devices, shuffle=False, initial_epoch=epoch, epochs=epoch + 1,
                              callbacks=callbacks, verbose=verbose)
        epoch_seconds = time.monotonic() - epoch_start
        if callbacks[0].batches < steps_per_epoch:
            return (f"stopped in epoch {epoch + 1} after {callbacks[0].batches}/{steps_per_epoch} steps "
                    f"(--max-minutes {profile.max_minutes}); that epoch is discarded")
        loss = float(history.history["loss"][-1])
        if not math.isfinite(loss):
            raise FloatingPointError(f"the training loss became {loss} in epoch {epoch + 1}; the last good checkpoint is kept")
        val_psnr = ""
        if validation is not None:
            val_psnr, val_seconds = measure_validation(model, validation, devices=devices)
            state["validation_seconds"] = round(state.get("validation_seconds", 0.0) + val_seconds, 3)
            val_psnr = round(val_psnr, 4)
        last_epoch_seconds = epoch_seconds
        state["epoch"] = epoch + 1
        state["steps"] += steps_per_epoch
        state["wall_seconds"] += epoch_seconds
        state["history"].append({
            "epoch": epoch + 1, "steps": state["steps"], "loss": loss, "learning_rate": lr,
            "epoch_seconds": round(epoch_seconds, 3), "wall_seconds": round(state["wall_seconds"], 3),
            "val_psnr": val_psnr,
        })
        save_checkpoint(model, state, run_dir / "checkpoints")
        write_log(run_dir / "log.csv", state["history"])
    return None


def describe_xla(trainer: keras.Model, *, asked) -> str:
    """Whether the compiled training step runs through XLA, as the sidecar records it: ``"always (JAX)"``,
    or ``"on"`` / ``"off"`` on TensorFlow with why when it differs from what was asked (``asked``:
    ``True``, ``False`` or ``"auto"``). Keras decides: ``"auto"`` is off on a machine with no
    accelerator and TensorFlow's op determinism turns XLA off always. On a CPU that is also the
    faster path (``make bench``'s training sweep: ``results/bench_training.md``)."""
    if keras.config.backend() == "jax":
        return "always (JAX)"
    used = bool(getattr(trainer, "jit_compile", False))
    if asked == "auto":
        return f"{'on' if used else 'off'} (auto: {'an accelerator' if used else 'no accelerator or op determinism'})"
    if bool(asked) and not used:
        return "off (asked on; Keras turns XLA off under op determinism)"
    return "on" if used else "off"


def describe_run(profile: Profile, state: dict, *, stop_reason: str | None, mixed_precision: bool, xla,
                 patches_path: Path, patches_count: int, devices: int = 1, validation: bool = True) -> dict:
    """The sidecar of a run (``model.json``): profile, progress, precision, devices, data, the
    validation set with its last and best PSNR, and provenance."""
    measured = [row for row in state["history"] if row.get("val_psnr") not in ("", None)]
    return {
        "profile": profile.to_dict(),
        "complete": state["epoch"] >= profile.epochs,
        "stop_reason": stop_reason,
        "epochs": state["epoch"],
        "epochs_planned": profile.epochs,
        "steps": state["steps"],
        "batch_size": profile.batch_size,
        "steps_per_execution": profile.steps_per_execution,
        "pipeline": "device (patches on the device, noise drawn in the compiled step)",
        "wall_seconds": round(state["wall_seconds"], 3),
        "final_loss": state["history"][-1]["loss"] if state["history"] else None,
        "validation": {**describe_validation(profile),
                       "final_psnr": measured[-1]["val_psnr"] if measured else None,
                       "best_psnr": max(row["val_psnr"] for row in measured) if measured else None,
                       "seconds": state.get("validation_seconds", 0.0)} if validation else None,
        "patches_seen": state["steps"] * profile.batch_size,
        "devices": devices,
        "precision": "mixed_bfloat16" if mixed_precision else "float32",
        "xla": str(xla),  # train passes describe_xla's words
        "patches": str(patches_path.name),
        "patches_count": int(patches_count),
        **provenance.provenance(),
    }


def time_training_steps(profile: Profile, *, steps: int = 3, warmup: int = 2, patches_path: str | Path | None = None,
                        mixed_precision: bool = False, xla: bool | str = "auto") -> dict:
    """Time ``steps`` training steps after ``warmup`` steps of the profile, and estimate the whole run.

    The steps run through :func:`train` with the profile cut to one epoch of
    ``warmup + steps`` steps, in a temporary folder that is deleted afterwards; nothing of the
    profile's own run is touched.

    Returns:
        ``seconds_per_step``, ``steps_timed``, ``warmup_steps``, ``steps_total`` (the profile's
        whole run), ``estimated_seconds`` (their product: the optimizer and noise steps only, without
        checkpoints), ``batch_size``, ``precision``, ``device`` and ``backend``.
    """
    if steps < 1 or warmup < 1:
        raise ValueError(f"steps and warmup must be >= 1. Received: steps={steps}, warmup={warmup}")
    short = dataclasses.replace(profile, epochs=1, steps_per_epoch=warmup + steps, max_minutes=None)
    clock = _StepClock()
    with tempfile.TemporaryDirectory(prefix="dncnn-timing-") as scratch:
        train(short, patches_path=patches_path or config.patches_path(profile.name), run_dir=scratch, overwrite=True,
              mixed_precision=mixed_precision, xla=xla, tensorboard=False, verbose=0, validate=False, callbacks=[clock])
    after = [mark for mark in clock.marks if mark[0] >= warmup] or clock.marks[-1:]
    first, last = after[0], clock.marks[-1]
    if last[0] == first[0]:  # one dispatch held every step: no interval between dispatches to time
        raise RuntimeError(f"only {len(clock.marks)} dispatch(es) in {warmup + steps} steps: raise `steps` to time them")
    per_step = (last[1] - first[1]) / (last[0] - first[0])
    total = plan.count_training_steps(profile, patches_path=patches_path)
    return {
        "profile": profile.name,
        "seconds_per_step": round(per_step, 4),
        "steps_timed": last[0] - first[0],
        "warmup_steps": first[0],
        "steps_total": total,
        "batch_size": profile.batch_size,
        "estimated_seconds": round(per_step * total, 1),
        "precision": "mixed_bfloat16" if mixed_precision else "float32",
        "device": describe_device(),
        "backend": keras.config.backend(),
    }


class _StepClock(keras.callbacks.Callback):
    """Records ``(steps done, time.perf_counter())`` at the end of every dispatched batch."""

    def __init__(self):
        super().__init__()
        self.marks: list[tuple[int, float]] = []

    def on_train_batch_end(self, batch, logs=None):
        self.marks.append((int(batch) + 1, time.perf_counter()))


def _has_tensorflow() -> bool:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True
