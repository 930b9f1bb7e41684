"""Loading trained models: any ``.keras`` file of this package (safe mode), and the models this
project trained and committed in ``weights/`` (checked by SHA-256 before they are loaded)."""

from __future__ import annotations

from pathlib import Path

import keras

from .. import config
from ..files.fetch import DataError, sha256_file
from .catalog import SHIPPED, entries, get_entry


def load_model(path: str | Path) -> keras.Model:
    """Load a ``.keras`` model saved by this package (``safe_mode=True``: no code is deserialised).

    Raises:
        FileNotFoundError: naming the file and the step that makes it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: train a model first (notebook 02 or `python -m dncnn train`)")
    return keras.models.load_model(path, compile=False, safe_mode=True)


def shipped_keys() -> list[str]:
    """The keys of this project's shipped models in the catalogue (``weights/<key>.keras``)."""
    return [e.key for e in entries(source=SHIPPED)]


def check_shipped_name(name: str) -> None:
    """Raise ``ValueError`` (listing the shipped ones) unless ``name`` is a shipped model's key."""
    if name not in shipped_keys():
        raise ValueError(f"unknown shipped model {name!r}: allowed are {', '.join(shipped_keys())}. Received: {name!r}")


def shipped_model_path(name: str = "dncnn-s-sigma25") -> Path:
    """The committed ``weights/<name>.keras`` after checking its SHA-256 against its catalogue entry.

    Raises:
        ValueError: for an unknown name (the message lists the shipped ones).
        FileNotFoundError / DataError: naming the file when it is missing or its checksum differs
            (a damaged checkout, or a Git LFS pointer instead of the file).
    """
    check_shipped_name(name)
    path = config.WEIGHTS_DIR / Path(get_entry(name).file).name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: it is part of the repository; restore it with `git checkout -- {path.name}`")
    expected = get_entry(name).sha256
    actual = sha256_file(path)
    if actual != expected:
        raise DataError(f"{path} has SHA-256 {actual}, expected {expected}: the file is damaged or not the one "
                           f"this project trained. Restore it with `git checkout -- weights/{path.name}`.")
    return path


def load_shipped_model(name: str = "dncnn-s-sigma25") -> keras.Model:
    """This project's trained model ``weights/<name>.keras`` (checksum verified, loaded in safe mode).

    Returns the model as trained (batch norm not folded; :func:`fold_batchnorm` gives the deploy form).
    """
    return load_model(shipped_model_path(name))


def shipped_run_files(name: str = "dncnn-s-sigma25") -> tuple[Path, Path]:
    """``(log.csv, sidecar .json)`` of a shipped model's training run, in ``weights/``."""
    check_shipped_name(name)
    return config.WEIGHTS_DIR / f"{name}.log.csv", config.WEIGHTS_DIR / f"{name}.json"


def read_shipped_sidecar(name: str = "dncnn-s-sigma25") -> dict:
    """The JSON sidecar of a shipped model (profile, steps, wall time, device, backend, versions, commit)."""
    import json

    return json.loads(shipped_run_files(name)[1].read_text())
