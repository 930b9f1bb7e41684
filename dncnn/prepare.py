"""Notebook 01's work as functions: training patches from Train400, saved with a JSON sidecar."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from . import config, data, io
from .patches import SCALES, generate_patches
from .profiles import Profile


def prepare_patches(profile: Profile, *, raw_dir: str | Path = config.RAW_DIR, out_path: str | Path | None = None) -> tuple[np.ndarray, dict]:
    """Cut the training patches of ``profile`` from Train400 and save them.

    Writes ``out_path`` (default ``config.patches_path(profile.name)``): (N, p, p) uint8 ``.npy``,
    and beside it ``patches.json``: the recipe, counts, seed, seconds taken and the SHA-256 of every
    source image.

    Returns:
        ``(patches, sidecar)``.
    """
    out_path = Path(out_path or config.patches_path(profile.name))
    data.fetch_datasets(["Train400"], dest=raw_dir, progress=False)
    names, images = data.load_dataset("Train400", root=raw_dir, limit=profile.train_images)
    start = time.perf_counter()
    patches, info = generate_patches(
        images, patch_size=profile.patch_size, stride=profile.stride, scales=SCALES,
        batch_size=profile.batch_size, seed=profile.patch_seed,
    )
    seconds = time.perf_counter() - start
    sources = data.dataset_checksums("Train400", limit=profile.train_images)
    sidecar = {
        "file": out_path.name,
        "shape": list(patches.shape),
        "dtype": str(patches.dtype),
        "recipe": {
            "patch_size": profile.patch_size, "stride": profile.stride, "scales": list(SCALES),
            "interpolation": "bicubic (cv2.INTER_CUBIC), size int(h*s) x int(w*s)",
            "augmentation": "one of 8 flips/rotations per patch, drawn uniformly",
            "truncation": f"first patches dropped to a multiple of {profile.batch_size}",
        },
        "seed": profile.patch_seed,
        **info,
        "seconds": round(seconds, 3),
        "sources": {"dataset": "Train400", "images": len(names), "sha256_of_sources": _digest_of(sources), "sha256": sources},
    }
    io.save_npy(out_path, patches)
    io.save_json(out_path.with_suffix(".json"), sidecar)
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
    patches = io.load_npy(path)
    if patches.dtype != np.uint8 or patches.ndim != 3:
        raise ValueError(f"{path} is not a (N, p, p) uint8 patch stack. Received: {patches.dtype} {patches.shape}")
    return patches


def _digest_of(checksums: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{k} {v}\n" for k, v in sorted(checksums.items())).encode()).hexdigest()


def patch_count_table(sidecar: dict):
    """Patch counts per scale from a patches sidecar, with the total and the truncation, as a DataFrame."""
    import pandas as pd

    p = sidecar["recipe"]["patch_size"]
    rows = [{"scale": float(s), "patches": n} for s, n in sidecar["count_per_scale"].items()]
    rows.append({"scale": "total", "patches": sidecar["count_before_truncation"]})
    rows.append({"scale": f"dropped (first, to a multiple of batch size)", "patches": -sidecar["dropped_first"]})
    rows.append({"scale": f"kept ({p}x{p} patches)", "patches": sidecar["count"]})
    return pd.DataFrame(rows)
