"""Loading trained models: any ``.keras`` file of this package (safe mode), and the models this
project trained and committed in ``weights/`` (checked by SHA-256 before they are loaded)."""

from __future__ import annotations

from pathlib import Path

import keras

from .. import config
from ..config import SHIPPED_MODELS  # this project's trained models in weights/
from ..files.fetch import read_manifest, sha256_file


def load_model(path: str | Path) -> keras.Model:
    """Load a ``.keras`` model saved by this package (``safe_mode=True``: no code is deserialised).

    Raises:
        FileNotFoundError: naming the file and the step that makes it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: train a model first (notebook 02 or `python -m dncnn train`)")
    return keras.models.load_model(path, compile=False, safe_mode=True)


def shipped_model_path(name: str = "dncnn-s-sigma25") -> Path:
    """The committed ``weights/<name>.keras`` after checking its SHA-256 against the package's manifest.

    Raises:
        ValueError: for an unknown name (the message lists the shipped ones).
        FileNotFoundError / RuntimeError: naming the file when it is missing or its checksum differs
            (a damaged checkout, or a Git LFS pointer instead of the file).
    """
    if name not in SHIPPED_MODELS:
        raise ValueError(f"unknown shipped model {name!r}: allowed are {', '.join(SHIPPED_MODELS)}. Received: {name!r}")
    path = config.WEIGHTS_DIR / f"{name}.keras"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: it is part of the repository; restore it with `git checkout -- {path.name}`")
    expected = read_manifest("ours")[path.name]
    actual = sha256_file(path)
    if actual != expected:
        raise RuntimeError(f"{path} has SHA-256 {actual}, expected {expected}: the file is damaged or not the one "
                           f"this project trained. Restore it with `git checkout -- weights/{path.name}`.")
    return path


def load_shipped_model(name: str = "dncnn-s-sigma25") -> keras.Model:
    """This project's trained model ``weights/<name>.keras`` (checksum verified, loaded in safe mode).

    Returns the model as trained (batch norm not folded; :func:`fold_batchnorm` gives the deploy form).
    """
    return load_model(shipped_model_path(name))


def shipped_run_files(name: str = "dncnn-s-sigma25") -> tuple[Path, Path]:
    """``(log.csv, sidecar .json)`` of a shipped model's training run, in ``weights/``."""
    if name not in SHIPPED_MODELS:
        raise ValueError(f"unknown shipped model {name!r}: allowed are {', '.join(SHIPPED_MODELS)}. Received: {name!r}")
    return config.WEIGHTS_DIR / f"{name}.log.csv", config.WEIGHTS_DIR / f"{name}.json"


def read_shipped_sidecar(name: str = "dncnn-s-sigma25") -> dict:
    """The JSON sidecar of a shipped model (profile, steps, wall time, device, backend, versions, commit)."""
    import json

    return json.loads(shipped_run_files(name)[1].read_text())
