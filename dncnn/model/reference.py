"""The authors' released DnCNN weights (MatConvNet ``.mat``) as Keras deploy-form models.

The ``.mat`` files are MATLAB v7.3 (HDF5). ``net.layers`` is a cell array of MatConvNet simplenn
layers, alternating ``conv`` and ``relu``; batch norm is already folded into the convolutions. Each
``conv`` holds ``weights{1}``, MATLAB shape (3, 3, in, out), and ``weights{2}``, (out, 1). HDF5
stores MATLAB arrays with their axes reversed, so a kernel reads as (out, in, 3, 3) and is
transposed back to Keras' (3, 3, in, out); MATLAB drops a trailing singleton axis, so the last
kernel (3, 3, 64, 1) is stored as (64, 3, 3). MatConvNet, like Keras, computes a correlation
(no kernel flip), so no flip is needed. The network's output is the noise; clean = input - output.

Files come from the authors' repository at the pinned commit (path and SHA-256 from their entry in
:data:`dncnn.model.catalog.MODELS`) or from a local mirror folder: ``$DNCNN_WEIGHTS_MIRROR``, else
``$DNCNN_DATA_MIRROR/../reference-weights`` when that folder exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import config
from ..files.fetch import DataError, fetch_verified, sha256_file
from .catalog import AUTHORS, entries, get_entry

WEIGHTS_MIRROR_ENV = "DNCNN_WEIGHTS_MIRROR"


def reference_keys() -> list[str]:
    """The keys of the authors' released models in the catalogue (``dncnn_s_sigma15``, ..., ``cdncnn_b_color_blind``)."""
    return [e.key for e in entries(source=AUTHORS)]


def weights_mirror() -> Path | None:
    """The local folder holding the authors' ``.mat`` files under our names, if any."""
    if os.environ.get(WEIGHTS_MIRROR_ENV):
        return Path(os.environ[WEIGHTS_MIRROR_ENV])
    if os.environ.get(config.MIRROR_ENV):
        beside = Path(os.environ[config.MIRROR_ENV]).resolve().parent / "reference-weights"
        if beside.is_dir():
            return beside
    return None


def fetch_reference_weights(name: str, *, dest: str | Path | None = None, mirror: str | Path | None = None,
                            base_url: str = config.SOURCE_BASE_URL) -> Path:
    """Path of the verified ``.mat`` file of a released model (a key of the catalogue whose source is
    the authors' release), fetching it if needed.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        DataError: naming the file, on a checksum mismatch or a failed download.
    """
    if name not in reference_keys():
        raise ValueError(f"unknown reference model {name!r}: allowed are {', '.join(reference_keys())}. Received: {name!r}")
    entry = get_entry(name)
    digest = entry.sha256
    target = Path(dest or config.REFERENCE_WEIGHTS_DIR) / f"{name}.mat"
    if target.is_file() and sha256_file(target) == digest:
        return target
    mirror = Path(mirror) if mirror else weights_mirror()
    source = None
    if mirror is not None:
        source = mirror / f"{name}.mat"
        if not source.is_file():
            raise DataError(f"{name}.mat is missing from the weights mirror {mirror}; fix it or unset {WEIGHTS_MIRROR_ENV}")
    return fetch_verified(target, digest, label=f"{name}.mat", source=source,
                          url=f"{base_url.rstrip('/')}/{entry.file}",
                          hint=f"set {WEIGHTS_MIRROR_ENV} to a local copy")


def read_matconvnet(path: str | Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (kernel, bias) pairs of a MatConvNet simplenn DnCNN, in Keras layout.

    Returns:
        One pair per ``conv`` layer: kernel (3, 3, in, out) float32, bias (out,) float32.

    Raises:
        ValueError: naming the file if it is not a MATLAB v7.3 DnCNN (not HDF5, no ``net.layers``,
            a layer type other than conv/relu, or shapes that do not chain).
    """
    import h5py

    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path} is not a MATLAB v7.3 (HDF5) file: {err}") from None
    with f:
        if "net" not in f or "layers" not in f["net"]:
            raise ValueError(f"{path} has no net.layers: not a MatConvNet simplenn model")
        pairs, types = [], []
        for ref in f["net"]["layers"][:].ravel():
            layer = f[ref]
            kind = "".join(chr(c) for c in layer["type"][:].ravel())
            types.append(kind)
            if kind == "conv":
                kernel_ref, bias_ref = layer["weights"][:].ravel()
                kernel = np.asarray(f[kernel_ref], dtype=np.float32)
                # MATLAB drops trailing singleton axes (out = 1): they are the missing leading HDF5 axes
                kernel = kernel.reshape((1,) * (4 - kernel.ndim) + kernel.shape).transpose(3, 2, 1, 0)
                bias = np.asarray(f[bias_ref], dtype=np.float32).ravel()
                pairs.append((kernel, bias))
            elif kind != "relu":
                raise ValueError(f"{path}: layer {len(types)} is {kind!r}; only conv and relu (folded batch norm) are supported")
    expected = ["conv", "relu"] * (len(pairs) - 1) + ["conv"]
    if types != expected:
        raise ValueError(f"{path}: layers {types} are not conv+relu pairs ending with a conv")
    channels = pairs[0][0].shape[2]
    for i, (kernel, bias) in enumerate(pairs):
        if kernel.shape[:2] != (3, 3) or bias.shape != (kernel.shape[3],):
            raise ValueError(f"{path}: conv {i + 1} has kernel {kernel.shape} and bias {bias.shape}")
        if i and kernel.shape[2] != pairs[i - 1][0].shape[3]:
            raise ValueError(f"{path}: conv {i + 1} takes {kernel.shape[2]} channels but conv {i} gives {pairs[i - 1][0].shape[3]}")
    if pairs[-1][0].shape[3] != channels:
        raise ValueError(f"{path}: the last conv gives {pairs[-1][0].shape[3]} channels for a {channels}-channel input")
    return pairs


def load_reference_model(name_or_path: str | Path):
    """A released model as a Keras deploy-form DnCNN (conv+bias+ReLU stack, residual output).

    Args:
        name_or_path: a key of :func:`reference_keys` (fetched and verified) or a ``.mat`` path.
    """
    from .network import build_dncnn

    path = fetch_reference_weights(name_or_path) if str(name_or_path) in reference_keys() else Path(name_or_path)
    pairs = read_matconvnet(path)
    model = build_dncnn(len(pairs), pairs[0][0].shape[3], batch_norm=False, channels=pairs[0][0].shape[2])
    for i, (kernel, bias) in enumerate(pairs, start=1):
        model.get_layer(f"dncnn_conv{i}").set_weights([kernel, bias])
    return model
