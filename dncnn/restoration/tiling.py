"""Denoising an image of any size in tiles: memory stays bounded and the result equals whole-image
inference (within float rounding), because each tile's margins exceed the network's receptive field."""

from __future__ import annotations

import numpy as np

DEFAULT_TILE = 512  # tile side in pixels


def denoise_tiled(denoiser, image: np.ndarray, *, sigma: float | None = None, tile: int = DEFAULT_TILE, margin: int = 35,
                  progress=None) -> np.ndarray:
    """Apply ``denoiser(noisy, sigma)`` tile by tile.

    Each ``tile`` x ``tile`` block is denoised with ``margin`` extra pixels of context on every side
    that has image there, and only its centre is kept. With ``margin`` at least the network's
    receptive radius (17 for 17 layers; the default 35 is its whole receptive field) the result
    equals whole-image inference. ``progress(total)`` (e.g. :func:`dncnn.runtime.progress.tile_progress`)
    gives a bar that is updated after each of the ``total`` tiles of an image larger than one tile.
    """
    if tile < 1 or margin < 0:
        raise ValueError(f"tile must be >= 1 and margin >= 0. Received: tile={tile}, margin={margin}")
    h, w = image.shape[:2]
    if h <= tile and w <= tile:
        return denoiser(image, sigma)
    out = np.empty(image.shape, np.float32)
    bar = progress(-(-h // tile) * -(-w // tile)) if progress is not None else None
    try:
        for top in range(0, h, tile):
            for left in range(0, w, tile):
                t0, l0 = max(top - margin, 0), max(left - margin, 0)
                b1, r1 = min(top + tile + margin, h), min(left + tile + margin, w)
                block = denoiser(image[t0:b1, l0:r1], sigma)
                bh, bw = min(tile, h - top), min(tile, w - left)
                out[top:top + bh, left:left + bw] = block[top - t0:top - t0 + bh, left - l0:left - l0 + bw]
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    return out
