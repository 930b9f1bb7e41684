"""Throughput measurements (``make bench`` and the GPU probe); timings never live in tests."""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def measure_train_throughput(*, batch_size: int = 128, patch_size: int = 40, depth: int = 17, filters: int = 64,
                             mixed_precision: bool = False, xla: bool | str = "auto", seconds: float = 20.0,
                             warmup_steps: int = 3, seed: int = 0) -> dict:
    """Patches per second of DnCNN training steps on the active Keras backend.

    Runs ``warmup_steps`` (compilation) and then as many steps as fit in ``seconds``; the data is
    one fixed random batch, so only the device's step time is measured.
    """
    import keras

    from .model import build_dncnn

    keras.config.set_dtype_policy("mixed_bfloat16" if mixed_precision else "float32")
    try:
        keras.utils.set_random_seed(seed)
        model = build_dncnn(depth, filters, seed=seed)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mean_squared_error", jit_compile=xla)
        rng = np.random.default_rng(seed)
        clean = rng.random((batch_size, patch_size, patch_size, 1)).astype("float32")
        noisy = clean + np.float32(25 / 255) * rng.standard_normal(clean.shape).astype("float32")
        compile_start = time.perf_counter()
        for _ in range(warmup_steps):
            loss = model.train_on_batch(noisy, clean)
        compile_seconds = time.perf_counter() - compile_start
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            loss = model.train_on_batch(noisy, clean)
            steps += 1
        float(loss)  # wait for the device
        elapsed = time.perf_counter() - start
    finally:
        keras.config.set_dtype_policy("float32")
    return {
        "backend": keras.config.backend(), "precision": "mixed_bfloat16" if mixed_precision else "float32",
        "xla": str(xla), "batch_size": batch_size, "steps": steps, "seconds": round(elapsed, 3),
        "warmup_seconds": round(compile_seconds, 3), "steps_per_second": steps / elapsed,
        "patches_per_second": steps * batch_size / elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m dncnn.bench probe [--seconds S] [--batch-size B]``: training-step throughput of
    float32 and bf16 (and XLA on/off on TensorFlow), one JSON line each."""
    import argparse

    import keras

    parser = argparse.ArgumentParser(prog="python -m dncnn.bench")
    parser.add_argument("what", choices=["probe"])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)
    xlas = [True, False] if keras.config.backend() == "tensorflow" else ["auto"]
    for mixed in (False, True):
        for xla in xlas:
            result = measure_train_throughput(batch_size=args.batch_size, mixed_precision=mixed, xla=xla, seconds=args.seconds)
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
