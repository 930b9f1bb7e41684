"""Small helpers shared by several test files (fixtures live in conftest.py)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from dncnn.profiles import get_profile

SIDE = 64  # side of the small test images
# the smoke profile at a size where only the mechanics matter: 4 layers of 8 filters, no validation
# (the tests of dncnn.training.validation turn it on where they need it)
TINY = replace(get_profile("smoke"), depth=4, filters=8, epochs=2, steps_per_epoch=3, batch_size=4, validation_images=0)


def noisy_ramp(seed: int = 0) -> np.ndarray:
    """A 64x64 uint8 grey image: a smooth ramp with seeded noise."""
    ramp = np.add.outer(np.arange(SIDE), np.arange(SIDE)) * (200 / (2 * SIDE)) + 28
    noise = np.random.default_rng(seed).normal(0, 25, (SIDE, SIDE))
    return np.clip(np.round(ramp + noise), 0, 255).astype(np.uint8)


def write_image_file(path: Path, image: np.ndarray) -> Path:
    """PNG and JPEG by OpenCV; TIFF by Pillow (directory before the strips, as many cameras write)."""
    import cv2

    if path.suffix == ".tif":
        from PIL import Image

        Image.fromarray(image).save(path)
    else:
        assert cv2.imwrite(str(path), image)
    return path


def truncate_file(path: Path, fraction: float = 0.5) -> Path:
    """Cut a file to ``fraction`` of its bytes, as an interrupted download leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def copy_first_epoch(run: Path, dest: Path) -> Path:
    """A run folder ``dest`` holding only ``run``'s first checkpoint and its state (``epoch-001``):
    the run as it stood after its first epoch, for resuming."""
    (dest / "checkpoints").mkdir(parents=True)
    for suffix in (".keras", ".json"):
        shutil.copyfile(run / "checkpoints" / f"epoch-001{suffix}", dest / "checkpoints" / f"epoch-001{suffix}")
    return dest


def trained_like(depth: int = 6, filters: int = 8):
    """A DnCNN whose batch norms hold non-trivial statistics, as after training."""
    import keras

    from dncnn.model.network import build_dncnn

    model = build_dncnn(depth, filters, seed=0)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 2, filters), rng.normal(0, 0.1, filters),
                               rng.normal(0, 0.2, filters), rng.uniform(0.2, 3, filters)])
    return model


def make_mirror(mirror: Path, dest: Path, files: list[str]) -> Path:
    """A mirror folder holding only ``files`` (relative paths) copied from ``mirror``."""
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / rel, dest / rel)
    return dest


def write_colour_crop(mirror: Path, path: Path) -> tuple[Path, np.ndarray]:
    """``(path, image)``: a 64x64 RGB crop of Set5's baby (rows and columns 200-263, uint8), written to ``path``."""
    from PIL import Image

    image = np.array(Image.open(mirror / "Set5" / "baby_GT.bmp").convert("RGB"))[200:264, 200:264]
    Image.fromarray(image).save(path)
    return path, image


# --- subprocesses that several tests wait on, started once when the session begins (conftest.py) ---
# so that they run beside the rest of the suite on the second core: the JAX jobs and the smoke reproduce

_BACKGROUND: dict[str, tuple[subprocess.Popen, Path]] = {}


def start_background(name: str, argv: list[str], *, folder: Path, env: dict, cwd: Path | None = None) -> None:
    """Start ``argv`` once per session under ``name``; its stdout and stderr go to ``folder/<name>.out|err``."""
    if name in _BACKGROUND:
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.out", "w") as out, open(folder / f"{name}.err", "w") as err:
        _BACKGROUND[name] = (subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err), folder)


def wait_background(name: str, *, timeout: float = 900) -> tuple[int, str, str]:
    """``(return code, stdout, stderr)`` of the background process ``name``, once it has ended."""
    process, folder = _BACKGROUND[name]
    code = process.wait(timeout=timeout)
    return code, (folder / f"{name}.out").read_text(), (folder / f"{name}.err").read_text()


def background_folder(name: str) -> Path | None:
    """The folder of a started background process, or None."""
    return _BACKGROUND[name][1] if name in _BACKGROUND else None


def stop_background() -> None:
    """Kill what is still running (an aborted session)."""
    for process, _ in _BACKGROUND.values():
        if process.poll() is None:
            process.kill()
            process.wait()


def start_jax_jobs(folder: Path) -> None:
    """Start tests/backend_jobs.py in a fresh process on Keras' JAX backend (TensorFlow blocked)."""
    from dncnn import config

    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(config.PROJECT_ROOT)}
    start_background("jax-jobs", [sys.executable, str(Path(__file__).with_name("backend_jobs.py")), str(folder)],
                     folder=folder, env=env)


@functools.lru_cache(maxsize=None)
def run_jax_jobs(folder: Path) -> dict:
    """The results of tests/backend_jobs.py's jobs, run once per test session in one fresh process on
    Keras' JAX backend with TensorFlow blocked (its files in ``folder``): job name -> result, or
    ``{"error": traceback}`` for a job that failed. An ``AssertionError`` if the process itself fails."""
    start_jax_jobs(folder)  # unless conftest.py started it when the session began
    code, out, err = wait_background("jax-jobs", timeout=600)
    assert code == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def jax_job(tmp_path_factory, name: str) -> dict:
    """One job's result from :func:`run_jax_jobs`, with ``"folder"``: the job's folder (under the
    session's base temporary folder); fails the calling test with the job's traceback if it raised."""
    import pytest

    pytest.importorskip("jax")
    folder = background_folder("jax-jobs") or tmp_path_factory.getbasetemp() / "jax-jobs"
    out = run_jax_jobs(folder)[name]
    assert "error" not in out, out.get("error")
    return {**out, "folder": folder / name}


def smoke_run_root() -> Path:
    """The output root (``DNCNN_OUTPUT_ROOT``) of the session's one smoke ``reproduce``: its own, so
    that it cannot meet the files of the tests that run beside it."""
    from dncnn import config

    return config.BUILD_DIR / "smoke-run"


def start_smoke_run(mirror: Path) -> None:
    """Start ``python -m dncnn reproduce --profile smoke --no-readme`` under :func:`smoke_run_root`."""
    from dncnn import config

    if "smoke-run" in _BACKGROUND:
        return
    root = smoke_run_root()
    shutil.rmtree(root, ignore_errors=True)
    env = {**os.environ, "DNCNN_OUTPUT_ROOT": str(root), "DNCNN_DATA_MIRROR": str(mirror)}
    start_background("smoke-run", [sys.executable, "-m", "dncnn", "reproduce", "--profile", "smoke", "--no-readme"],
                     folder=root.parent / "smoke-run-log", env=env, cwd=config.PROJECT_ROOT)


def start_two_devices(folder: Path, *, mirror: Path) -> None:
    """Start tests/two_devices_job.py on JAX with two virtual CPU devices, its files in ``folder``."""
    from dncnn import config

    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "PYTHONPATH": str(config.PROJECT_ROOT), "DNCNN_DATA_MIRROR": str(mirror)}
    start_background("two-devices", [sys.executable, str(Path(__file__).with_name("two_devices_job.py")), str(folder)],
                     folder=folder, env=env)


def colour_versus_table(gains, *, offset=0.0):
    """A colour_vs_paper table: CDnCNN-B = the paper's CBM3D + gain + offset, CBM3D = the paper's CBM3D + offset."""
    import numpy as np
    import pandas as pd

    from dncnn.evaluation.paper import PAPER_COLOUR, PAPER_COLOUR_COMMENT

    (comment,) = PAPER_COLOUR_COMMENT.values()
    rows = []
    for sigma, gain in gains.items():
        bm3d = PAPER_COLOUR["CBSD68", "CBM3D"][sigma] + offset
        net = bm3d + gain
        rows += [{"dataset": "CBSD68", "sigma": float(sigma), "method": "CBM3D", "images": 68, "psnr": bm3d, "ssim": 0.9,
                  "paper": PAPER_COLOUR["CBSD68", "CBM3D"][sigma], "comment": np.nan},
                 {"dataset": "CBSD68", "sigma": float(sigma), "method": "CDnCNN-B authors' weights", "images": 68, "psnr": net,
                  "ssim": 0.9, "paper": PAPER_COLOUR["CBSD68", "CDnCNN-B"][sigma], "comment": comment[sigma]}]
    table = pd.DataFrame(rows)
    return table.assign(delta_psnr=table.psnr - table.paper, delta_comment=table.psnr - table.comment)

