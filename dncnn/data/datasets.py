"""Fetching and reading the datasets: Train400, BSD68, Set12, Set5, Set14, classic5 and LIVE1 as the
DnCNN authors publish them, CBSD68 from their FFDNet repository, BSD100 and Urban100 from SelfExSR.

Files come from each set's repository at a pinned commit (:func:`dncnn.config.dataset_base_url`), or are
copied from a local mirror folder of the same layout when ``DNCNN_DATA_MIRROR`` is set. Every file is
checked against the SHA-256 manifest shipped in ``dncnn/manifests/`` before it is given its final
name, so an interrupted or corrupted fetch never leaves a file that a later step trusts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .. import config
from ..files.fetch import DataError, fetch_verified, read_manifest, sha256_file
from ..files.images import ImageError, read_colour_image, read_image

DATASETS = tuple(config.DATASET_SOURCES)
FROM_ENV = "from $DNCNN_DATA_MIRROR"  # default of ``mirror``: the environment variable, if set


def list_files(datasets: Iterable[str] = DATASETS) -> list[str]:
    """Relative paths (``<dataset>/<file>``) of the manifest's files of ``datasets``, sorted."""
    datasets = list(datasets)
    unknown = [d for d in datasets if d not in config.DATASET_SOURCES]
    if unknown:
        raise ValueError(f"unknown dataset {unknown[0]!r}: allowed are {', '.join(DATASETS)}. Received: {datasets}")
    manifest = read_manifest()
    return sorted(rel for rel in manifest if rel.split("/", 1)[0] in datasets)


def source_url(rel: str, *, base_url: str | None = None) -> str:
    """Public address of a manifest file (``<dataset>/<file>``) in its pinned source repository
    (:func:`dncnn.config.dataset_base_url`), or under ``base_url`` (tests point it at a local server)."""
    dataset, name = rel.split("/", 1)
    root = config.dataset_base_url(dataset) if base_url is None else base_url
    return f"{root.rstrip('/')}/{config.DATASET_SOURCES[dataset]}/{name}"


def fetch_datasets(
    datasets: Iterable[str] = DATASETS,
    *,
    dest: str | os.PathLike = config.RAW_DIR,
    mirror: str | os.PathLike | None = FROM_ENV,
    base_url: str | None = None,
    files: Sequence[str] | None = None,
    progress: bool = True,
) -> Path:
    """Fetch and verify dataset files into ``dest``; return ``dest``.

    Args:
        datasets: names of ``config.DATASET_SOURCES`` (Train400, BSD68, Set12, Set5, Set14, classic5,
            LIVE1, CBSD68, BSD100, Urban100).
        dest: folder that receives ``<dataset>/<file>``.
        mirror: local folder of the same layout to copy from; ``None``: download from
            ``base_url``; default: ``$DNCNN_DATA_MIRROR`` if it is set, else download.
        base_url: root to download every file from (tests point it at a local server); None: each
            set's pinned source repository (:func:`dncnn.config.dataset_base_url`).
        files: restrict to these relative paths (all files of ``datasets`` by default).
        progress: show a progress bar.

    Files already present with the right checksum are skipped. Each new file is written to a
    temporary name, checked (SHA-256, then decoded as an image) and only then renamed.

    Raises:
        DataError: naming the file, on a checksum mismatch, a file missing from the mirror, a
            failed download or an undecodable image.
    """
    dest = Path(dest)
    manifest = read_manifest()
    wanted = list(files) if files is not None else list_files(datasets)
    if mirror == FROM_ENV:
        mirror = os.environ.get(config.MIRROR_ENV) or None
    mirror = Path(mirror).resolve() if mirror else None
    if mirror is not None and not mirror.is_dir():
        raise DataError(
            f"the mirror folder {mirror} (from {config.MIRROR_ENV} or mirror=) does not exist. "
            f"Point {config.MIRROR_ENV} at a folder holding Train400/, BSD68/ and Set12/, or unset it to download."
        )
    todo = [rel for rel in wanted if not _is_verified(dest / rel, manifest[rel])]
    for rel in _progress(todo, enabled=progress and bool(todo), desc="fetching data"):
        _fetch_one(rel, manifest[rel], dest=dest, mirror=mirror, base_url=base_url)
    return dest


def verify_datasets(datasets: Iterable[str] = DATASETS, *, root: str | os.PathLike = config.RAW_DIR) -> None:
    """Check every file of ``datasets`` under ``root`` against the manifest.

    Raises:
        DataError: for the first missing or mismatching file, saying how to fix it.
    """
    manifest = read_manifest()
    for rel in list_files(datasets):
        path = Path(root) / rel
        if not path.exists():
            raise DataError(f"{path} is missing. Run `make data` (or `python -m dncnn fetch`) to fetch it.")
        digest = sha256_file(path)
        if digest != manifest[rel]:
            raise DataError(
                f"{path} has SHA-256 {digest}, expected {manifest[rel]}. Delete it and run `make data` to fetch it again."
            )


def load_dataset(name: str, *, root: str | os.PathLike = config.RAW_DIR, limit: int | None = None) -> tuple[list[str], list[np.ndarray]]:
    """Read the images of one dataset, in file-name order.

    Returns:
        ``(names, images)``: file names, and HxW uint8 arrays in [0, 255].

    Raises:
        DataError: if the folder or a file is missing or unreadable (run ``make data``).
    """
    if name not in config.DATASET_SOURCES:
        raise ValueError(f"unknown dataset {name!r}: allowed are {', '.join(DATASETS)}. Received: {name!r}")
    rels = list_files([name])[: limit if limit is not None else None]
    return _read_files(rels, root=root, reader=read_image, fix="`make data` (or `python -m dncnn fetch`)")


def load_colour_dataset(name: str, *, root: str | os.PathLike = config.RAW_DIR, limit: int | None = None,
                        fetch: bool = True) -> tuple[list[str], list[np.ndarray]]:
    """The images of a test set that may hold colour (Set5, Set14, classic5, LIVE1), in file-name order.

    Args:
        name: a dataset of ``config.DATASET_SOURCES``.
        root: folder holding ``<name>/<file>``; missing files are fetched and verified first
            (from ``$DNCNN_DATA_MIRROR`` or the pinned source) when ``fetch`` is true.
        limit: the first ``limit`` files only.

    Returns:
        ``(names, images)``: file names, and uint8 images (HxWx3 RGB or HxW grey) in [0, 255].
    """
    rels = list_files([name])[: limit if limit is not None else None]
    if fetch:
        fetch_datasets([name], dest=root, files=rels, progress=False)
    return _read_files(rels, root=root, reader=read_colour_image, fix=f"`python -m dncnn fetch {name}`")


def crop_center(image: np.ndarray, size: int | None, *, multiple: int = 1) -> np.ndarray:
    """The central ``size`` x ``size`` crop of an HxW or HxWxC test image (the image itself if ``size``
    is None), its top-left corner moved down to a multiple of ``multiple`` (24 for DnCNN-3's tasks, so
    every super-resolution scale and the 8x8 JPEG grid see whole blocks).

    Raises:
        ValueError: if ``size`` is not in [1, min(H, W)].
    """
    if size is None:
        return image
    h, w = image.shape[:2]
    if size < 1 or size > min(h, w):
        raise ValueError(f"crop size must be in [1, {min(h, w)}]. Received: size={size}")
    top = (h - size) // 2 // multiple * multiple
    left = (w - size) // 2 // multiple * multiple
    return image[top:top + size, left:left + size]


def dataset_checksums(name: str, *, limit: int | None = None) -> dict[str, str]:
    """``{file name: sha256}`` from the manifest for one dataset (the first ``limit`` files)."""
    manifest = read_manifest()
    rels = list_files([name])[: limit if limit is not None else None]
    return {Path(rel).name: manifest[rel] for rel in rels}


def _read_files(rels: list[str], *, root, reader, fix: str) -> tuple[list[str], list[np.ndarray]]:
    """``(names, images)`` of the files ``rels`` under ``root``, each read by ``reader``; a missing or
    unreadable file is a :class:`DataError` naming it and ``fix``, the command that fetches it."""
    names, images = [], []
    for rel in rels:
        path = Path(root) / rel
        if not path.exists():
            raise DataError(f"{path} is missing. Run {fix} first.")
        try:
            images.append(reader(path))
        except ImageError as err:
            raise DataError(f"{err}. Delete it and run {fix} to fetch it again.") from err
        names.append(Path(rel).name)
    return names, images


def _is_verified(path: Path, digest: str) -> bool:
    return path.is_file() and sha256_file(path) == digest


def _fetch_one(rel: str, digest: str, *, dest: Path, mirror: Path | None, base_url: str | None) -> None:
    source = None
    if mirror is not None:
        source = mirror / rel
        if not source.is_file():
            raise DataError(
                f"{rel} is missing from the mirror folder {mirror}. The mirror must hold "
                f"Train400/, BSD68/ and Set12/ as published; fix it or unset {config.MIRROR_ENV} to download."
            )
    fetch_verified(dest / rel, digest, label=rel, source=source, url=source_url(rel, base_url=base_url),
                   hint=f"set {config.MIRROR_ENV} to a local copy of the data", check=dataset_reader(rel.split("/", 1)[0]))


def dataset_reader(name: str):
    """The reader that checks a file of dataset ``name``: :func:`read_image` (8-bit grey) for the
    grey sets, :func:`dncnn.files.images.read_colour_image` (RGB or grey) for ``config.COLOUR_DATASETS``."""
    return read_colour_image if name in config.COLOUR_DATASETS else read_image


def _progress(items, *, enabled: bool, desc: str):
    if not enabled:
        return items
    from ..runtime.progress import progress_bar

    return progress_bar(items, desc=desc, unit="file")
