"""Checks that run on a given Keras backend: in the test process (TensorFlow, the suite's backend), or
all together in one fresh process on JAX with TensorFlow blocked, as on the GPU machine, so that the
suite pays JAX's start-up once (``python tests/backend_jobs.py FOLDER``; :func:`helpers.run_jax_jobs`).

Each job returns a JSON-able dict; the test files assert on them (test_gpu_scripts.py,
test_training_pipeline.py, test_training_train.py).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path


def package_without_tensorflow(folder: Path) -> dict:
    """Import the whole package and denoise with a tiny network (test_gpu_scripts.py)."""
    import numpy as np

    import dncnn.cli  # noqa: F401
    import dncnn.commands.reproduce  # noqa: F401
    import keras
    from dncnn.evaluation.denoisers import BM3DDenoiser, keras_denoiser  # noqa: F401
    from dncnn.files import provenance
    from dncnn.model.network import build_dncnn
    from dncnn.training import train  # noqa: F401

    noisy = np.random.default_rng(0).random((16, 16), dtype=np.float32)
    out = keras_denoiser(build_dncnn(3, 4, seed=0), name="tiny")(noisy, 25.0)
    return {"backend": keras.config.backend(), "shape": list(out.shape), "dtype": str(out.dtype),
            "provenance_backend": provenance.provenance()["backend"]}


def compiled_step(folder: Path) -> dict:
    """One step's (noisy, clean) from the patch bank, compiled, against the eager draw (test_training_pipeline.py)."""
    import keras
    import numpy as np

    from dncnn.training.pipeline import PatchBank, draw_batch, epoch_order, step_seeds

    patches = np.random.default_rng(0).integers(0, 256, size=(100, 40, 40), dtype=np.uint8)
    bank = PatchBank(patches, sigma=25)
    idx, seeds = epoch_order(100, batch_size=16, steps=3, seed=5, epoch=1)[2], step_seeds(seed=5, epoch=1, steps=3)[2]
    result = {}
    if keras.config.backend() == "jax":
        import jax

        step = jax.jit(lambda v, i, s: bank.stateless_call([], [v], i, s)[0])
        noisy, clean = step(bank.patches.value, idx, seeds)
    else:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        noisy, clean = tf.function(lambda i, s: bank(i, s), jit_compile=False)(tf.constant(idx), tf.constant(seeds))
        xla_noisy = tf.function(lambda i, s: bank(i, s), jit_compile=True)(tf.constant(idx), tf.constant(seeds))[0].numpy()
        result["xla_max_diff"] = float(np.abs(noisy.numpy() - xla_noisy).max())  # the same draw; XLA may fuse the add (1 ulp)
    eager_noisy, eager_clean = draw_batch(patches, batch_size=16, sigma=25, seed=5, epoch=1, step=2)
    noisy, clean = keras.ops.convert_to_numpy(noisy), keras.ops.convert_to_numpy(clean)
    blind = PatchBank(patches, sigma=25, sigma_range=(0, 55))  # DnCNN-B: each patch's level drawn in the step too
    if keras.config.backend() == "jax":
        blind_noisy, _ = jax.jit(lambda v, i, s: blind.stateless_call([], [v], i, s)[0])(blind.patches.value, idx, seeds)
    else:
        blind_noisy = tf.function(lambda i, s: blind(i, s), jit_compile=True)(tf.constant(idx), tf.constant(seeds))[0]
    eager_blind, _ = draw_batch(patches, batch_size=16, sigma=25, seed=5, epoch=1, step=2, sigma_range=(0, 55))
    result["blind_max_diff"] = float(np.abs(keras.ops.convert_to_numpy(blind_noisy) - eager_blind).max())
    return {**result, "backend": keras.config.backend(),
            "tensorflow_loaded": sys.modules.get("tensorflow") is not None,
            "clean_equal": bool(np.array_equal(clean, eager_clean)),
            "noise_max_diff": float(np.abs((noisy - clean) - (eager_noisy - eager_clean)).max()),
            "noise_std": float((noisy - clean).std() * 255)}


def training_steps(folder: Path) -> dict:
    """Six training steps of a small DnCNN on one batch: their losses (test_training_train.py)."""
    import keras
    import numpy as np

    from dncnn.model.network import build_dncnn

    keras.utils.set_random_seed(0)
    model = build_dncnn(5, 16, seed=0)  # the size does not matter here: that a step learns does
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mean_squared_error")
    rng = np.random.default_rng(0)
    clean = rng.random((8, 40, 40, 1)).astype("float32")
    noisy = clean + 25 / 255 * rng.standard_normal(clean.shape).astype("float32")
    losses = [float(model.train_on_batch(noisy, clean)) for _ in range(6)]
    return {"backend": keras.config.backend(), "losses": losses}


def resume(folder: Path) -> dict:
    """A run of 2 epochs in ``folder``/straight, and in ``folder``/split the same run resumed from its
    first epoch's checkpoint, with 2 steps per execution over 3-step epochs (test_training_train.py)."""
    from dataclasses import replace

    import numpy as np

    from dncnn.files.atomic import save_npy
    from dncnn.profiles import get_profile
    from dncnn.training.train import train
    from helpers import copy_first_epoch

    profile = replace(get_profile("smoke"), depth=4, filters=8, epochs=2, steps_per_epoch=3, batch_size=4, validation_images=0)
    patches = save_npy(folder / "p.npy", np.random.default_rng(0).integers(0, 256, (64, 40, 40), dtype=np.uint8))
    train(profile, patches_path=patches, run_dir=folder / "straight", verbose=0, steps_per_execution=2)
    copy_first_epoch(folder / "straight", folder / "split")
    sidecar = train(profile, patches_path=patches, run_dir=folder / "split", resume=True, verbose=0, steps_per_execution=2)
    return {"backend": sidecar["backend"], "steps": sidecar["steps"]}


JOBS = {"package_without_tensorflow": package_without_tensorflow, "compiled_step": compiled_step,
        "training_steps": training_steps, "resume": resume}


def run_jobs(folder: Path) -> dict:
    """Every job, each in its own subfolder of ``folder``; a job that raises gives ``{"error": traceback}``."""
    results = {}
    for name, job in JOBS.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        try:
            results[name] = job(folder / name)
        except Exception:  # noqa: BLE001 - reported to the test that asserts on this job
            results[name] = {"error": traceback.format_exc()}
    return results


if __name__ == "__main__":
    sys.modules["tensorflow"] = None  # as on the GPU machine: any `import tensorflow` fails
    print(json.dumps(run_jobs(Path(sys.argv[1]))))
