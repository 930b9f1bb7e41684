"""Training patches by the authors' recipe (their ``data_generator.py``), vectorised.

For every image and every scale s in (1, 0.9, 0.8, 0.7): resize to ``int(h*s) x int(w*s)`` with
bicubic interpolation (OpenCV), cut ``patch_size`` squares at ``stride`` in row-major order, give
each patch one of the 8 flips/rotations drawn at random, then drop the *first* patches so that the
count is a multiple of the batch size (the authors delete ``range(discard_n)``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SCALES = (1.0, 0.9, 0.8, 0.7)


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
    scales: Sequence[float] = SCALES,
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


def generate_patches_loop(images: Sequence[np.ndarray], *, patch_size: int = 40, stride: int = 10,
                          scales: Sequence[float] = SCALES, batch_size: int = 128, seed: int = 0) -> tuple[np.ndarray, dict]:
    """The authors' ``data_generator.py`` as written: a Python loop per patch (the benchmark's baseline).

    Same recipe and counts as :func:`generate_patches`, and the same patches for the same seed.
    """
    import cv2

    rng = np.random.default_rng(seed)
    patches = []
    for image in images:
        h, w = image.shape
        for s in scales:
            hs, ws = scale_size(h, w, s)
            scaled = cv2.resize(image, (ws, hs), interpolation=cv2.INTER_CUBIC)
            for i in range(0, hs - patch_size + 1, stride):
                for j in range(0, ws - patch_size + 1, stride):
                    patches.append(scaled[i:i + patch_size, j:j + patch_size])
    modes = rng.integers(0, 8, size=len(patches))
    out = np.array([augment_patch(x, int(m)) for x, m in zip(patches, modes)], dtype=np.uint8)
    dropped = len(out) % batch_size
    return out[dropped:], {"count": len(out) - dropped, "count_before_truncation": len(out), "dropped_first": dropped}
