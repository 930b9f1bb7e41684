"""The benchmark's measurements (``make bench``, ``python -m dncnn bench``): the matmul ceiling, inference on each
Keras backend and the PyTorch peer, BM3D, training throughput, patch preparation and the denoise command. Each
backend runs in its own process (:func:`run_in_backend`), Keras fixing its backend at import."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..data.noise import gaussian_noise

SIZES = {"BSD68 481x321": (321, 481), "256x256": (256, 256), "512x512": (512, 512), "1024x1024": (1024, 1024)}


def dncnn_flops_per_pixel(depth: int = 17, filters: int = 64, channels: int = 1) -> int:
    """Floating-point operations per output pixel of DnCNN (a multiply-add counts 2; bias, BN, ReLU excluded)."""
    macs = 9 * (channels * filters + (depth - 2) * filters * filters + filters * channels)
    return 2 * macs


def measure_matmul_gflops(*, n: int = 2048, repeats: int = 7) -> float:
    """This machine's float32 matrix-multiply rate (numpy's BLAS, all cores), GFLOP/s, median of ``repeats``."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / float(np.median(times)) / 1e9


def median_seconds(fn, *, repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure_train_throughput(*, batch_size: int = 128, patch_size: int = 40, depth: int = 17, filters: int = 64,
                             mixed_precision: bool = False, xla: bool | str = "auto", seconds: float = 20.0,
                             warmup_steps: int = 3, steps_per_execution: int = 1, patches: int = 4096,
                             seed: int = 0) -> dict:
    """Patches per second of DnCNN training on the active Keras backend, through the device pipeline
    that :func:`dncnn.training.train.train` uses (:func:`dncnn.training.pipeline.build_trainer`: the
    uint8 patches on the device, each step gathering its batch and drawing its noise in the compiled
    step; :func:`~dncnn.training.pipeline.epoch_inputs`: the host side of an epoch).

    As in training, each "epoch" is one ``fit`` call over the epoch's indices and seeds, and it is
    timed whole (per-call overhead included, as in the training log's epoch seconds): a first epoch
    of ``warmup_steps`` compiles, a second of ``steps_per_execution`` x 2 steps sets the step count,
    and the timed epoch holds enough steps to fill about ``seconds`` (at least 2). ``patches``
    seeded random (``patches``, ``patch_size``, ``patch_size``) uint8 patches stand in for the
    training set (the step's cost does not depend on their values).

    Returns:
        backend, precision, xla, batch_size, steps_per_execution, steps (timed), seconds (timed),
        warmup_seconds (compilation included), steps_per_second, patches_per_second.
    """
    import keras

    from ..model.network import build_dncnn
    from ..training.pipeline import build_trainer, epoch_inputs

    keras.config.set_dtype_policy("mixed_bfloat16" if mixed_precision else "float32")
    try:
        keras.utils.set_random_seed(seed)
        bank = np.random.default_rng(seed).integers(0, 256, (patches, patch_size, patch_size), dtype=np.uint8)
        trainer = build_trainer(build_dncnn(depth, filters, seed=seed), bank, sigma=25.0, optimizer=keras.optimizers.Adam(1e-3),
                                jit_compile=xla, steps_per_execution=steps_per_execution)
        epochs = itertools.count()

        def fit_epoch(steps: int) -> float:
            inputs = epoch_inputs(patches, batch_size=batch_size, steps=steps, seed=seed, epoch=next(epochs))
            start = time.perf_counter()
            trainer.fit(inputs, batch_size=1, shuffle=False, epochs=1, verbose=0)
            return time.perf_counter() - start

        compile_seconds = fit_epoch(warmup_steps)
        probe = 2 * steps_per_execution
        steps = max(2, int(seconds / (fit_epoch(probe) / probe)))
        elapsed = fit_epoch(steps)
    finally:
        keras.config.set_dtype_policy("float32")
    return {
        "backend": keras.config.backend(), "precision": "mixed_bfloat16" if mixed_precision else "float32",
        "xla": str(xla), "batch_size": batch_size, "steps_per_execution": steps_per_execution, "steps": steps,
        "seconds": round(elapsed, 3), "warmup_seconds": round(compile_seconds, 3), "steps_per_second": steps / elapsed,
        "patches_per_second": steps * batch_size / elapsed,
    }


def _inference_paths(model):
    """name -> callable(x (1, H, W, 1) float32) for the active backend."""
    import keras

    from ..evaluation.denoisers import INFERENCE_PATHS, TENSORFLOW_PATHS, compile_predict

    backend = keras.config.backend()
    paths = {}
    if backend == "tensorflow":
        paths["keras-tf predict"] = lambda x: model.predict_on_batch(x)
        for path in TENSORFLOW_PATHS:  # the denoise API's (INFERENCE_PATHS) is named so
            label = {"tf.function": "tf.function", "xla": "XLA"}[path]
            api = " (denoise API)" if path == INFERENCE_PATHS["tensorflow"] else ""
            paths[f"keras-tf {label}{api}"] = compile_predict(model, path=path)
    else:
        paths[f"keras-{backend} {INFERENCE_PATHS.get(backend, 'call')} (denoise API)"] = compile_predict(model)
    return paths


def run_keras_inference(weights: Path, *, sizes: dict, repeats: int) -> list[dict]:
    """Inference rows for the active backend, deploy-form DnCNN-S with ``weights`` (npz)."""
    from ..model.network import build_dncnn

    model = build_dncnn(17, 64, batch_norm=False)
    stored = np.load(weights, allow_pickle=False)
    model.set_weights([stored[f"w{i}"] for i in range(len(stored.files))])
    rows = []
    for label, shape in sizes.items():
        x = np.random.default_rng(0).random((1, *shape, 1)).astype("float32")
        for path, fn in _inference_paths(model).items():
            rows.append({"task": "inference", "method": path, "size": label, "pixels": shape[0] * shape[1],
                         "seconds": median_seconds(lambda: np.asarray(fn(x)), repeats=repeats)})
    return rows


def run_torch(weights: Path, *, sizes: dict, repeats: int, train_seconds: float, batch_size: int = 32,
              patch_size: int = 40) -> list[dict]:
    """The PyTorch peer: the same layers and weights (deploy form, ``weights`` npz as Keras'
    ``get_weights``), inference at each size (one image, float32, all cores) and a training step at
    ``batch_size`` of ``patch_size`` x ``patch_size`` on the same depth and width. One row each, as
    :func:`run_keras_inference`'s."""
    import torch

    from .peers import build_torch_dncnn, measure_torch_training

    stored = np.load(weights, allow_pickle=False)
    arrays = [stored[f"w{i}"] for i in range(len(stored.files))]
    depth, filters = len(arrays) // 2, int(arrays[0].shape[-1])
    net = build_torch_dncnn(depth=depth, filters=filters, batch_norm=False, weights=arrays).eval()
    rows, method = [], f"pytorch {torch.__version__}"
    with torch.inference_mode():
        for label, shape in sizes.items():
            x = torch.rand(1, 1, *shape)
            rows.append({"task": "inference", "method": method, "size": label,
                         "pixels": shape[0] * shape[1], "seconds": median_seconds(lambda: net(x), repeats=repeats)})
    train = measure_torch_training(device="cpu", batch_size=batch_size, seconds=train_seconds, depth=depth, filters=filters,
                                   patch_size=patch_size)
    rows.append({"task": "training", "method": method, "size": f"batch {batch_size} of {patch_size}x{patch_size}",
                 "pixels": batch_size * patch_size ** 2, "seconds": 1 / train["steps_per_second"]})
    return rows


def run_bm3d(*, sizes: dict, repeats: int) -> list[dict]:
    """BM3D (``bm3d`` package) seconds per image at each size, on seeded noisy random-texture images."""
    import bm3d

    rows = []
    for label, shape in sizes.items():
        rng = np.random.default_rng(0)
        noisy = rng.random(shape).astype(np.float32) + gaussian_noise(shape, 25, seed=[0, 1])
        rows.append({"task": "inference", "method": "BM3D (bm3d package)", "size": label, "pixels": shape[0] * shape[1],
                     "seconds": median_seconds(lambda: bm3d.bm3d(noisy, sigma_psd=25 / 255), repeats=repeats, warmup=0)})
    return rows


def run_patch_preparation(images, *, repeats: int = 3) -> list[dict]:
    """Our vectorised patch preparation against the per-patch loop of the authors' code, same counts."""
    from ..data.patches import generate_patches
    from .peers import generate_patches_loop

    ours, info = generate_patches(images, seed=0)
    loop, loop_info = generate_patches_loop(images, seed=0)
    if len(ours) != len(loop) or info["count_before_truncation"] != loop_info["count_before_truncation"]:
        raise AssertionError(f"patch counts differ: {len(ours)} against {len(loop)}")
    rows = []
    for method, fn in (("patches: ours (vectorised)", lambda: generate_patches(images, seed=0)),
                       ("patches: per-patch loop (authors' recipe)", lambda: generate_patches_loop(images, seed=0))):
        rows.append({"task": "patches", "method": method, "size": f"{len(images)} images, {len(ours):,} patches",
                     "pixels": len(ours) * ours.shape[1] * ours.shape[2],
                     "seconds": median_seconds(fn, repeats=repeats, warmup=0)})
    return rows


def run_in_backend(backend: str, function: str, *, module: str = "measure", **kwargs) -> list[dict] | dict:
    """``function(**kwargs)`` of ``dncnn.bench.<module>`` (default this one) in a fresh process on
    Keras' ``backend`` (Keras fixes its backend when it is first imported); its JSON result."""
    code = (f"import json, sys; from dncnn.bench import {module} as bench; "
            f"print(json.dumps(bench.{function}(**json.loads(sys.argv[1]))))")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"the {backend} benchmark ({function}) failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_denoise_cli(*, images: int = 8, sigma: float = 25.0, seed: int = 0) -> list[dict]:
    """Seconds per image of ``python -m dncnn denoise``: one folder call (``--out-dir``) against one
    call per image, on the first ``images`` BSD68 images with sigma-``sigma`` noise saved as 8-bit PNG,
    denoised by the authors' DnCNN-S for that sigma. Both ways must write identical files.

    Returns:
        One row per way: images, total seconds, seconds per image.
    """
    import cv2

    from .. import config
    from ..data import datasets
    from ..data.noise import add_gaussian_noise
    from ..model.reference import fetch_reference_weights
    from ..restoration.models import default_entry

    datasets.fetch_datasets(["BSD68"], progress=False)
    # the model the denoise calls load (denoise's --sigma choice, a catalogue entry), fetched before any of them runs
    fetch_reference_weights(default_entry(sigma).key)
    names, clean = datasets.load_dataset("BSD68", limit=images)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "dncnn", "denoise"]
    options = ["--sigma", f"{sigma:g}"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        noisy_dir = tmp / "noisy"
        noisy_dir.mkdir()
        paths = []
        for index, (name, image) in enumerate(zip(names, clean)):
            noisy = np.clip(add_gaussian_noise(image, sigma, seed=seed, index=index), 0, 1)
            paths.append(noisy_dir / f"{Path(name).stem}.png")
            cv2.imwrite(str(paths[-1]), np.round(noisy * 255).astype(np.uint8))

        def timed(args_list):
            start = time.perf_counter()
            for args in args_list:
                result = subprocess.run(command + [str(a) for a in args] + options, env=env, cwd=config.PROJECT_ROOT,
                                        capture_output=True, text=True)
                if result.returncode != 0:
                    raise RuntimeError(f"denoise failed: {' '.join(map(str, args))}\n{result.stderr[-3000:]}")
            return time.perf_counter() - start

        folder = timed([[noisy_dir, "--out-dir", tmp / "folder"]])
        single = timed([[path, tmp / "single" / path.name] for path in paths])
        for path in paths:
            if (tmp / "folder" / path.name).read_bytes() != (tmp / "single" / path.name).read_bytes():
                raise AssertionError(f"{path.name}: the folder call and the single call wrote different images")
    n = len(paths)
    return [{"task": "denoise CLI", "method": way, "images": n, "seconds": total, "seconds_per_image": total / n}
            for way, total in (("one folder call (--out-dir)", folder), ("one call per image", single))]


def probe_training(*, batch_size: int = 128, seconds: float = 20.0, steps_per_execution: int = 1) -> list[dict]:
    """``python -m dncnn bench probe``: training throughput through the device pipeline
    (:func:`measure_train_throughput`) in float32 and bf16 (and with and without XLA on TensorFlow),
    one JSON line each printed as it is measured; returns the rows."""
    import keras

    rows = []
    for mixed in (False, True):
        for xla in ([True, False] if keras.config.backend() == "tensorflow" else ["auto"]):
            rows.append(measure_train_throughput(batch_size=batch_size, mixed_precision=mixed, xla=xla, seconds=seconds,
                                                 steps_per_execution=steps_per_execution))
            print(json.dumps(rows[-1]), flush=True)
    return rows


def probe_peer(*, batch_size: int = 128, seconds: float = 20.0) -> list[dict]:
    """``python -m dncnn bench peer``: the PyTorch peer's training throughput in each of its settings
    (:data:`dncnn.bench.peers.PEER_SETTINGS`), one JSON line each; returns the rows."""
    from .peers import PEER_SETTINGS, measure_torch_training

    rows = []
    for bf16, compile_model, channels_last in PEER_SETTINGS:
        rows.append(measure_torch_training(batch_size=batch_size, seconds=seconds, bf16=bf16, compile_model=compile_model,
                                           channels_last=channels_last))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def run_within_budget(configs: list[dict], measure, *, budget_seconds: float) -> list[dict]:
    """``measure(**config)`` for each config in order, one JSON line printed as each ends, while the
    budget lasts: a config starts only if the time left is at least the longest one so far took
    (compilation included); the others give ``{**config, "skipped": "time budget"}``. An interrupt
    (SIGINT: the prepared command's hard bound) marks the config it stopped and the rest as skipped,
    and ends the sweep. Returns the rows."""
    start, longest, rows = time.perf_counter(), 0.0, []
    for k, config in enumerate(configs):
        left = budget_seconds - (time.perf_counter() - start)
        if left <= 0 or left < longest:
            rows.append({**config, "skipped": "time budget"})
        else:
            began = time.perf_counter()
            try:
                rows.append({**config, **measure(**config)})
            except KeyboardInterrupt:
                rows += [{**c, "skipped": "interrupted at the time budget"} for c in configs[k:]]
                print("\n".join(json.dumps(r) for r in rows[k:]), flush=True)
                return rows
            longest = max(longest, time.perf_counter() - began)
        print(json.dumps(rows[-1]), flush=True)
    return rows


PEER_SWEEP_SETTINGS = ((False, False), (True, False), (True, True), (False, True))  # the peer's (bf16, compiled)


def sweep_configs() -> dict[str, list[dict]]:
    """The settings of the prepared GPU command's two sweeps, by sweep (``"jax"``, ``"peer"``), in order."""
    return {"jax": [{"mixed_precision": bf16, "steps_per_execution": spe} for bf16, spe in SWEEP_SETTINGS],
            "peer": [{"bf16": bf16, "compile_model": compiled} for bf16, compiled in PEER_SWEEP_SETTINGS]}


def fill_sweep(path, *, sweeps=("jax", "peer"), reason: str = "killed at the time budget") -> list[dict]:
    """Append to the JSON lines of ``path`` a skipped line for each setting of ``sweeps`` that has
    none (a process killed at its hard bound, e.g. inside a compilation, writes no line for the
    setting it was in nor for those after it), so the file holds every setting once, in order of
    the sweep. Returns the lines added."""
    path = Path(path)
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    added = []
    for sweep in sweeps:
        for config in sweep_configs()[sweep]:
            if not any(all(line.get(k) == v for k, v in config.items()) for line in lines):
                added.append({**config, "skipped": reason})
    with open(path, "a") as out:
        out.writelines(json.dumps(row) + "\n" for row in added)
    return added


# the training sweep of the prepared GPU command: (bf16, steps per execution), most promising first
SWEEP_SETTINGS = ((True, 8), (True, 32), (False, 8), (True, 1), (False, 32), (False, 1))


def sweep_training(*, budget_seconds: float = 60.0, seconds: float = 2.0, batch_size: int = 128, depth: int = 17,
                   filters: int = 64, patch_size: int = 40) -> list[dict]:
    """``python -m dncnn bench sweep``: training throughput on the active Keras backend through the
    device pipeline (:func:`measure_train_throughput`) in float32 and bf16 at 1, 8 and 32 steps per
    execution (:data:`SWEEP_SETTINGS`), about ``seconds`` timed each, within ``budget_seconds``
    (:func:`run_within_budget`); one JSON line per setting."""
    configs = sweep_configs()["jax"]

    def measure(*, mixed_precision, steps_per_execution):
        return measure_train_throughput(batch_size=batch_size, patch_size=patch_size, depth=depth, filters=filters,
                                        mixed_precision=mixed_precision, steps_per_execution=steps_per_execution,
                                        seconds=seconds, warmup_steps=steps_per_execution)

    return run_within_budget(configs, measure, budget_seconds=budget_seconds)


def sweep_peer_training(*, budget_seconds: float = 30.0, seconds: float = 2.0, batch_size: int = 128, depth: int = 17,
                        filters: int = 64, patch_size: int = 40) -> list[dict]:
    """``python -m dncnn bench sweep-peer``: the PyTorch peer's training throughput, eager and
    compiled (``torch.compile``), float32 and bf16 (channels-last on a GPU), within ``budget_seconds``
    (:func:`run_within_budget`); one JSON line per setting."""
    import torch

    from .peers import measure_torch_training

    configs = sweep_configs()["peer"]

    def measure(*, bf16, compile_model):
        return measure_torch_training(batch_size=batch_size, seconds=seconds, bf16=bf16, compile_model=compile_model,
                                      channels_last=torch.cuda.is_available(), depth=depth, filters=filters,
                                      patch_size=patch_size, warmup_steps=3)

    return run_within_budget(configs, measure, budget_seconds=budget_seconds)
