"""Which CPU training configuration is fastest here: ``make bench``'s training sweep.

The knobs the issue of speed names, one at a time against the configuration the ``quick`` and
``ablation`` profiles train with (:data:`PROFILE_CONFIG` in the process settings of the first of
:data:`SWEEP_GROUPS`: batch 32, float32, TensorFlow's op determinism on, so no XLA, one step per
compiled call, every core for each op and one op at a time):

- within one process, interleaved round by round so that a slow spell of a shared host falls on
  every configuration alike: steps per execution (5, 10), batch size (64, 128; the profiles' recipe
  is 32) and bf16 mixed precision (a change of the recipe's numerics, measured for the record);
- in processes of their own, because TensorFlow fixes them when it starts: TensorFlow's default
  inter-op threads (as many as cores: what the profiles trained with before; reruns were not
  bit-identical), and op determinism off with and without XLA (Keras turns XLA off whenever op
  determinism is on). Each such process measures the profiles' configuration too.

Each configuration's figure is its best "epoch" (one ``fit`` call of ``steps`` steps) over
``rounds`` rounds: a shared host only ever slows a run down, so the best epoch is the one least
disturbed (``timeit``'s rule); the median is kept beside it.
"""

from __future__ import annotations

import itertools
import os
import statistics
import time

import numpy as np

# the configuration the quick and ablation profiles train with (dncnn.profiles; op determinism turns XLA off)
PROFILE_CONFIG = {"batch_size": 32, "precision": "float32", "xla": False, "steps_per_execution": 1}
# the process settings they train in: op determinism, threads (intra-op, inter-op; 0: every core),
# the inter-op count that dncnn sets when imported (TF_NUM_INTEROP_THREADS, dncnn/__init__.py)
PROFILE_PROCESS = {"deterministic": True, "threads": (0, 1)}
# (process settings, the configurations measured in that process besides PROFILE_CONFIG)
SWEEP_GROUPS = (
    (PROFILE_PROCESS,
     [{"steps_per_execution": 5}, {"steps_per_execution": 10}, {"batch_size": 64}, {"batch_size": 128},
      {"precision": "mixed_bfloat16"}]),
    ({"deterministic": True, "threads": (0, os.cpu_count() or 1)}, []),
    ({"deterministic": False, "threads": (0, 1)}, [{"xla": True}]),
)


def measure_training_configs(configs: list[dict], *, deterministic: bool = True, threads: tuple[int, int] = (0, 1),
                             rounds: int = 4, patches_per_epoch: int = 256, depth: int = 17, filters: int = 64,
                             patch_size: int = 40, bank: int = 4096, seed: int = 0) -> list[dict]:
    """Patches per second of DnCNN training (the device pipeline of :func:`dncnn.training.train.train`)
    in each of ``configs``, measured in this process, interleaved.

    Args:
        configs: dicts of ``batch_size``, ``precision`` (``"float32"`` or ``"mixed_bfloat16"``),
            ``xla`` and ``steps_per_execution`` (missing keys: :data:`PROFILE_CONFIG`'s).
        deterministic: TensorFlow's op determinism (the profiles' setting). threads: ``(intra, inter)``
            op threads, 0 for every core. Both are set before TensorFlow runs anything, so call this
            in a fresh process (:func:`dncnn.bench.measure.run_in_backend`).
        rounds: timed epochs per configuration, one of each configuration per round.
        patches_per_epoch: patches per timed epoch (its steps: this over the batch size, rounded up
            to a whole number of executions).
        bank: seeded random uint8 patches standing in for the training set (a step's cost does not
            depend on their values).

    Returns:
        One dict per configuration: its settings, ``deterministic``, ``intra_op`` and ``inter_op``
        (thread counts, 0 resolved to the cores), ``steps`` per
        epoch, ``best`` and ``median`` patches per second, ``epochs_pps`` (every round's) and
        ``compile_seconds`` (the first epoch's, tracing included).
    """
    import keras

    cores = os.cpu_count() or 1
    intra, inter = (int(count) or cores for count in threads)
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
        if deterministic:
            tf.config.experimental.enable_op_determinism()
    from ..model.network import build_dncnn
    from ..training.pipeline import build_trainer, epoch_inputs

    patches = np.random.default_rng(seed).integers(0, 256, (bank, patch_size, patch_size), dtype=np.uint8)
    runs = []
    for config in configs:
        config = {**PROFILE_CONFIG, **config}
        keras.config.set_dtype_policy(config["precision"])
        try:
            keras.utils.set_random_seed(seed)
            trainer = build_trainer(build_dncnn(depth, filters, seed=seed), patches, sigma=25.0,
                                    optimizer=keras.optimizers.Adam(1e-3), jit_compile=config["xla"],
                                    steps_per_execution=config["steps_per_execution"])
        finally:
            keras.config.set_dtype_policy("float32")
        execution = config["steps_per_execution"]
        steps = execution * -(-patches_per_epoch // (config["batch_size"] * execution))
        runs.append({"config": config, "trainer": trainer, "steps": steps, "pps": []})
    epochs = itertools.count()

    def fit_epoch(run: dict, steps: int) -> float:
        inputs = epoch_inputs(bank, batch_size=run["config"]["batch_size"], steps=steps, seed=seed, epoch=next(epochs))
        start = time.perf_counter()
        run["trainer"].fit(inputs, batch_size=1, shuffle=False, epochs=1, verbose=0)
        return time.perf_counter() - start

    for run in runs:
        run["compile_seconds"] = fit_epoch(run, run["config"]["steps_per_execution"])
    for _ in range(rounds):
        for run in runs:
            run["pps"].append(run["steps"] * run["config"]["batch_size"] / fit_epoch(run, run["steps"]))
    return [{**run["config"], "deterministic": bool(deterministic), "intra_op": intra, "inter_op": inter, "steps": run["steps"],
             "best": max(run["pps"]), "median": statistics.median(run["pps"]), "epochs_pps": [round(v, 2) for v in run["pps"]], "compile_seconds": round(run["compile_seconds"], 2)}
            for run in runs]


def sweep_cpu_training(*, rounds: int = 4, patches_per_epoch: int = 256, groups=SWEEP_GROUPS, depth: int = 17,
                       filters: int = 64, patch_size: int = 40):
    """Every group of :data:`SWEEP_GROUPS` in a fresh TensorFlow process
    (:func:`measure_training_configs`), the profiles' configuration first in each; one table.

    Returns:
        A DataFrame, one row per configuration: its settings, ``group`` (0, 1, ...), ``best``,
        ``median``, ``baseline`` (True for the profiles' configuration in the first group) and
        ``ratio`` (best over the baseline's best).
    """
    import pandas as pd

    from .measure import run_in_backend

    rows = []
    for number, (process, configs) in enumerate(groups):
        measured = run_in_backend("tensorflow", "measure_training_configs", module="training",
                                  configs=[{}, *configs], rounds=rounds, patches_per_epoch=patches_per_epoch,
                                  deterministic=process["deterministic"], threads=list(process["threads"]),
                                  depth=depth, filters=filters, patch_size=patch_size)
        rows += [{**row, "group": number, "baseline": number == 0 and i == 0} for i, row in enumerate(measured)]
    table = pd.DataFrame(rows)
    table["ratio"] = table["best"] / float(table.loc[table.baseline, "best"].iloc[0])
    return table


def describe_config(row) -> str:
    """A configuration in words, e.g. ``"batch 32, float32, no XLA, 1 step per call, op determinism, 1 inter-op thread"``."""
    steps, inter = int(row["steps_per_execution"]), int(row["inter_op"])
    return (f"batch {int(row['batch_size'])}, {'bf16' if row['precision'] == 'mixed_bfloat16' else 'float32'}, "
            f"{'XLA' if row['xla'] else 'no XLA'}, {steps} step{'s' if steps > 1 else ''} per call, "
            f"{'op determinism' if row['deterministic'] else 'no op determinism'}, "
            f"{inter} inter-op thread{'s' if inter > 1 else ''}")


def choose_training_config(table, *, margin: float = 0.03) -> dict:
    """The configuration the profiles should train with: the fastest row that keeps their recipe and
    bit-identical reruns (batch 32, float32, op determinism, one inter-op thread) if it beats the
    profiles' configuration by more than ``margin`` (a shared host's spread between rounds), else the
    profiles' own. Returns ``{"row": the chosen row (a dict), "changed": bool, "why": a sentence}``."""
    keeps = table[(table.batch_size == PROFILE_CONFIG["batch_size"]) & (table.precision == "float32")
                  & table.deterministic & (table.inter_op == 1)]
    base = table[table.baseline].iloc[0]
    others = keeps[~keeps.baseline]
    best = others.loc[others.ratio.idxmax()] if len(others) else base
    if best.ratio > 1 + margin:
        return {"row": best.to_dict(), "changed": True,
                "why": f"{describe_config(best)} trains {best.ratio:.2f}x as fast as the profiles' configuration"}
    return {"row": base.to_dict(), "changed": False,
            "why": (f"no other configuration that keeps the recipe (batch 32, float32) and bit-identical reruns "
                    f"(op determinism, one inter-op thread) trains more than {margin:.0%} faster "
                    f"(the fastest: {describe_config(best)}, {best.ratio:.2f}x)")}


def format_training_sweep(table, *, machine: str) -> str:
    """The sweep as Markdown: one row per configuration with its patches per second (best and median
    epoch) and its best as a multiple of the profiles' configuration's, then the choice and the
    sentences of the comparisons the issue asks for (XLA, threads, batch, steps per call, bf16)."""
    lines = [f"Machine: {machine}. DnCNN-S (17 layers, 64 filters), 40x40 patches, Adam, TensorFlow on the CPU, "
             "every core for each op; each row's best and median epoch in patches per second, and its best as a "
             "multiple of the profiles' (rows of the same process were measured in turns; the others in a process "
             "of their own, minutes apart).", "",
             "| configuration | process | patches/s (best) | patches/s (median) | vs the profiles' |", "|---|---|---|---|---|"]
    for row in table.to_dict("records"):
        label = describe_config(row) + (" (the profiles')" if row["baseline"] else "")
        lines.append(f"| {label} | {int(row['group']) + 1} | {row['best']:.1f} | {row['median']:.1f} | {row['ratio']:.2f}x |")
    choice = choose_training_config(table)
    lines += ["", f"- Chosen for the quick and ablation profiles: {describe_config(choice['row'])}; {choice['why']}."]
    return "\n".join(lines) + "\n"
