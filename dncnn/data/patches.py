"""Training patches by the authors' recipe (their ``data_generator.py``), vectorised, and the
patch files of notebook 01 (``data/patches/<profile>/patches.npy`` with a JSON sidecar).

For every image and every scale s in (1, 0.9, 0.8, 0.7): resize to ``int(h*s) x int(w*s)`` with
bicubic interpolation (OpenCV), cut ``patch_size`` squares at ``stride`` in row-major order, give
each patch one of the 8 flips/rotations drawn at random, then drop the *first* patches so that the
count is a multiple of the batch size (the authors delete ``range(discard_n)``).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import config
from ..files import atomic
from . import datasets

PATCH_SCALES = (1.0, 0.9, 0.8, 0.7)  # the factors each training image is resized by before patches are cut (the authors' recipe)


def augment_patch(patch: np.ndarray, mode: int) -> np.ndarray:
    """One of the 8 dihedral transforms of a square HxW patch, numbered as the authors' ``data_aug``.

    0 identity, 1 flip up-down, 2 rot90, 3 rot90 + flip, 4 rot180, 5 rot180 + flip, 6 rot270,
    7 rot270 + flip (``np.rot90`` counter-clockwise, flip after rotation).
    """
    if not 0 <= mode < 8:
        raise ValueError(f"mode must be in [0, 7]. Received: mode={mode}")
    out = np.rot90(patch, k=mode // 2)
    return np.flipud(out) if mode % 2 else out


def augment_patches(patches: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """Apply ``augment_patch(patches[i], modes[i])`` to every patch of an (N, p, p) stack at once."""
    if patches.shape[0] != modes.shape[0]:
        raise ValueError(f"need one mode per patch. Received: {patches.shape[0]} patches, {modes.shape[0]} modes")
    out = np.empty_like(patches)
    for mode in range(8):
        idx = np.flatnonzero(modes == mode)
        if idx.size:
            group = np.rot90(patches[idx], k=mode // 2, axes=(1, 2))
            out[idx] = group[:, ::-1, :] if mode % 2 else group
    return out


def scale_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """(height, width) after rescaling, truncated as the authors' ``int(h*s)``."""
    return int(height * scale), int(width * scale)


def extract_patches(image: np.ndarray, *, patch_size: int = 40, stride: int = 10) -> np.ndarray:
    """All ``patch_size`` squares of an HxW image at ``stride``, row-major: (N, p, p), same dtype."""
    if image.ndim != 2:
        raise ValueError(f"expected an HxW grey image. Received: shape {image.shape}")
    if patch_size < 1 or stride < 1:
        raise ValueError(f"patch_size and stride must be >= 1. Received: patch_size={patch_size}, stride={stride}")
    if min(image.shape) < patch_size:
        raise ValueError(
            f"patch_size must be at most the image's smaller side ({min(image.shape)}). Received: patch_size={patch_size}"
        )
    windows = sliding_window_view(image, (patch_size, patch_size))[::stride, ::stride]
    return windows.reshape(-1, patch_size, patch_size)


def generate_patches(
    images: Sequence[np.ndarray],
    *,
    patch_size: int = 40,
    stride: int = 10,
    scales: Sequence[float] = PATCH_SCALES,
    batch_size: int = 128,
    seed: int = 0,
) -> tuple[np.ndarray, dict]:
    """Cut, augment and truncate training patches by the authors' recipe.

    Args:
        images: HxW uint8 grey images in [0, 255].
        batch_size: the count is truncated to a multiple of this (the first patches are dropped).
        seed: seeds the choice of flip/rotation (numpy ``default_rng``).

    Returns:
        ``(patches, info)``: (N, patch_size, patch_size) uint8 in [0, 255], N a multiple of
        ``batch_size``; ``info`` holds the count per scale, the count before truncation and the
        number dropped.
    """
    import cv2

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1. Received: batch_size={batch_size}")
    if not images:
        raise ValueError("need at least one image. Received: an empty list")
    # count first, so the output is allocated once and each patch is written once
    plan, total = [], 0
    for image in images:
        for s in scales:
            hs, ws = scale_size(*image.shape, s)
            if min(hs, ws) < patch_size:
                raise ValueError(f"patch_size must be at most the scaled image's smaller side ({min(hs, ws)}). "
                                 f"Received: patch_size={patch_size}")
            n = ((hs - patch_size) // stride + 1) * ((ws - patch_size) // stride + 1)
            plan.append((image, float(s), hs, ws, total, n))
            total += n
    rng = np.random.default_rng(seed)
    modes = rng.integers(0, 8, size=total)
    out = np.empty((total, patch_size, patch_size), dtype=images[0].dtype)
    per_scale = {float(s): 0 for s in scales}
    for image, s, hs, ws, start, n in plan:
        scaled = image if (hs, ws) == image.shape else cv2.resize(image, (ws, hs), interpolation=cv2.INTER_CUBIC)
        out[start:start + n] = augment_patches(extract_patches(scaled, patch_size=patch_size, stride=stride), modes[start:start + n])
        per_scale[s] += n
    dropped = total % batch_size
    info = {
        "count": int(total - dropped),
        "count_before_truncation": int(total),
        "dropped_first": int(dropped),
        "count_per_scale": {str(k): int(v) for k, v in per_scale.items()},
    }
    return out[dropped:], info  # a contiguous view: no copy


def prepare_patches(*, out_path: str | Path, train_images: int | None = None, patch_size: int = 40, stride: int = 10,
                    batch_size: int = 128, seed: int = 0, raw_dir: str | Path = config.RAW_DIR) -> tuple[np.ndarray, dict]:
    """Cut the training patches from Train400 by the authors' recipe and save them.

    Args:
        out_path: the ``.npy`` file to write ((N, p, p) uint8); ``patches.json`` beside it gets the
            recipe, counts, seed, seconds taken and the SHA-256 of every source image.
        train_images: the first N images of Train400 (None: all 400).
        patch_size, stride, batch_size, seed: as :func:`generate_patches`.
        raw_dir: where the datasets are (fetched there first if missing).

    Returns:
        ``(patches, sidecar)``.
    """
    out_path = Path(out_path)
    datasets.fetch_datasets(["Train400"], dest=raw_dir, progress=False)
    names, images = datasets.load_dataset("Train400", root=raw_dir, limit=train_images)
    start = time.perf_counter()
    patches, info = generate_patches(images, patch_size=patch_size, stride=stride, scales=PATCH_SCALES,
                                     batch_size=batch_size, seed=seed)
    seconds = time.perf_counter() - start
    sources = datasets.dataset_checksums("Train400", limit=train_images)
    sidecar = {
        "file": out_path.name,
        "shape": list(patches.shape),
        "dtype": str(patches.dtype),
        "recipe": {
            "patch_size": patch_size, "stride": stride, "scales": list(PATCH_SCALES),
            "interpolation": "bicubic (cv2.INTER_CUBIC), size int(h*s) x int(w*s)",
            "augmentation": "one of 8 flips/rotations per patch, drawn uniformly",
            "truncation": f"first patches dropped to a multiple of {batch_size}",
        },
        "seed": seed,
        **info,
        "seconds": round(seconds, 3),
        "sources": {"dataset": "Train400", "images": len(names), "sha256_of_sources": _digest_of(sources), "sha256": sources},
    }
    atomic.save_npy(out_path, patches)
    atomic.save_json(out_path.with_suffix(".json"), sidecar)
    return patches, sidecar


def load_patches(path: str | Path) -> np.ndarray:
    """Read a patches file written by :func:`prepare_patches`: (N, p, p) uint8.

    Raises:
        FileNotFoundError: naming the file and the step that makes it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: run notebook 01 or `python -m dncnn patches --profile <name>` first"
        )
    patches = atomic.load_npy(path)
    if patches.dtype != np.uint8 or patches.ndim != 3:
        raise ValueError(f"{path} is not a (N, p, p) uint8 patch stack. Received: {patches.dtype} {patches.shape}")
    return patches


def check_patches(patches: np.ndarray, sidecar: dict, *, batch_size: int, patch_size: int) -> int:
    """Check the patches of :func:`prepare_patches` against their sidecar and the recipe: (N, p, p) uint8
    with p = ``patch_size``; N the sidecar's count, a multiple of ``batch_size``; the counts per scale add
    up to the count before truncation; fewer than ``batch_size`` dropped, and exactly the remainder.

    Returns:
        N.

    Raises:
        ValueError: naming the first invariant that does not hold.
    """
    count, before, dropped = sidecar["count"], sidecar["count_before_truncation"], sidecar["dropped_first"]
    checks = [
        (patches.dtype == np.uint8 and patches.shape == (count, patch_size, patch_size),
         f"the patches are {patches.dtype} {patches.shape}, the sidecar says ({count}, {patch_size}, {patch_size}) uint8"),
        (sum(sidecar["count_per_scale"].values()) == before,
         f"the counts per scale {sidecar['count_per_scale']} do not add up to {before}"),
        (count == before - dropped and dropped == before % batch_size,
         f"{before} patches less {dropped} dropped is not {count}, the largest multiple of {batch_size}"),
        (count % batch_size == 0, f"{count} patches are not a multiple of the batch size {batch_size}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)
    return count


def _digest_of(checksums: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{k} {v}\n" for k, v in sorted(checksums.items())).encode()).hexdigest()


def patch_count_table(sidecar: dict):
    """Patch counts per scale from a patches sidecar, with the total and the truncation, as a DataFrame."""
    import pandas as pd

    p = sidecar["recipe"]["patch_size"]
    rows = [{"scale": float(s), "patches": n} for s, n in sidecar["count_per_scale"].items()]
    rows.append({"scale": "total", "patches": sidecar["count_before_truncation"]})
    rows.append({"scale": "dropped (first, to a multiple of batch size)", "patches": -sidecar["dropped_first"]})
    rows.append({"scale": f"kept ({p}x{p} patches)", "patches": sidecar["count"]})
    return pd.DataFrame(rows)
