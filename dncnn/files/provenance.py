"""Where a result came from: library versions, git commit, device."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

from .. import config


def git_commit(root: str | os.PathLike = config.PROJECT_ROOT) -> str:
    """The commit of the code: ``HEAD`` of the git repository whose top folder is ``root`` (the folder
    holding the ``dncnn`` package), with ``+dirty`` when tracked files differ from it.

    ``unknown`` when ``root`` is not the top of a git repository that tracks this package: a copy
    of the project inside another repository (an enclosing checkout, a notebook server's home) must
    not report that repository's commit. Untracked files do not make it dirty.
    """
    root = Path(root).resolve()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != root:
            return "unknown"  # the nearest repository encloses the project: not its history
        git("ls-files", "--error-unmatch", Path(__file__).resolve().relative_to(root).as_posix())  # this very file is tracked
        head = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the numbers (those importable here)."""
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for name in ("keras", "tensorflow-cpu", "tensorflow", "jax", "jaxlib", "numpy", "opencv-python-headless",
                 "scikit-image", "bm3d", "torch"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return versions


def cpu_model() -> str:
    """The CPU's model name and core count."""
    name = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def accelerator_name() -> str | None:
    """The accelerator Keras' backend computes on (its device name and count), or None on the CPU."""
    import keras

    backend = keras.config.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                return f"{device.device_kind} ({device.platform}, {jax.device_count()} device(s))"
        elif backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"{details.get('device_name', 'GPU')} ({len(gpus)} GPU(s))"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"{torch.cuda.get_device_name(0)} ({torch.cuda.device_count()} GPU(s))"
    except Exception:  # an unusable accelerator is no accelerator, and describing it must never break a run
        pass
    return None


def has_accelerator() -> bool:
    """Whether Keras' backend computes on a GPU (or another accelerator) rather than the CPU."""
    return accelerator_name() is not None


def describe_device() -> str:
    """The accelerator Keras' backend computes on, or the CPU."""
    return accelerator_name() or f"CPU: {cpu_model()}"


def provenance() -> dict:
    """Everything a sidecar records about where and with what a result was made."""
    import keras

    return {
        "backend": keras.config.backend(),
        "device": describe_device(),
        "versions": library_versions(),
        "git_commit": git_commit(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
