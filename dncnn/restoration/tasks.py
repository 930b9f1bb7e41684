"""JPEG deblocking and bicubic-plus-DnCNN-3 upscaling of a user's own image, as in the authors'
DnCNN-3 demo (``python -m dncnn deblock in.jpg out.png`` and ``python -m dncnn upscale in.png out.png --scale 3``
call it).

A colour image goes through Y: it is converted with MATLAB's ``rgb2ycbcr``, DnCNN-3 restores Y,
and Cb and Cr (of the JPEG, or of the bicubic enlargement) are kept; a grey image is restored as it
is. Inputs and outputs get the checks of ``python -m dncnn denoise`` (a bad or truncated file, an
output that is the input or already exists).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import matlab
from ..evaluation.tasks.inputs import SCALES
from ..files.images import read_noisy_colour_image, write_image
from .files import check_output
from .models import load_dncnn3
from .tiling import DEFAULT_TILE, denoise_tiled

JPEG_SUFFIXES = (".jpg", ".jpeg")


def restore_y(image: np.ndarray, *, tile: int = DEFAULT_TILE, model=None) -> np.ndarray:
    """DnCNN-3 on an HxW float image in [0, 1], or on the Y of an HxWx3 RGB one (Cb, Cr kept).

    Returns:
        Same shape, float32, clipped to [0, 1].
    """
    denoiser, field = model or load_dncnn3()
    if image.ndim == 2:
        out = denoise_tiled(denoiser, np.asarray(image, np.float32), tile=tile, margin=field)
    else:
        ycbcr = matlab.rgb2ycbcr(np.asarray(image, np.float64))
        ycbcr[:, :, 0] = denoise_tiled(denoiser, ycbcr[:, :, 0].astype(np.float32), tile=tile, margin=field)
        out = matlab.ycbcr2rgb(ycbcr)
    return np.clip(out, 0, 1).astype(np.float32)


def deblock_file(source: str | Path, target: str | Path, *, tile: int = DEFAULT_TILE, overwrite: bool = False,
                 accept_truncated: bool = False) -> dict:
    """Remove JPEG blocking from ``source`` (a .jpg/.jpeg file) into ``target`` (8-bit).

    Raises:
        ValueError: if ``source`` is not a JPEG file name. OutputError/ImageError: as ``denoise``.
    """
    if Path(source).suffix.lower() not in JPEG_SUFFIXES:
        raise ValueError(f"deblock needs a JPEG file (.jpg or .jpeg). Received: {source}")
    check_output(source, target, overwrite=overwrite)
    image, info = read_noisy_colour_image(source, accept_truncated=accept_truncated)
    out = restore_y(image, tile=tile)
    write_image(target, out, bits=8, overwrite=overwrite)
    return {**info, "shape": image.shape, "input": str(source), "output": str(target)}


def upscale_file(source: str | Path, target: str | Path, *, scale: int, tile: int = DEFAULT_TILE,
                 overwrite: bool = False, accept_truncated: bool = False) -> dict:
    """Enlarge ``source`` by ``scale`` (2, 3 or 4) with MATLAB's bicubic ``imresize`` then DnCNN-3
    into ``target`` (same bit depth).

    Raises:
        ValueError: for a scale other than 2, 3, 4. OutputError/ImageError: as ``denoise``.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be 2, 3 or 4 (the scales DnCNN-3 was trained for). Received: scale={scale}")
    check_output(source, target, overwrite=overwrite)
    image, info = read_noisy_colour_image(source, accept_truncated=accept_truncated)
    bicubic = matlab.imresize(image.astype(np.float64), scale)
    out = restore_y(np.clip(bicubic, 0, 1), tile=tile)
    write_image(target, out, bits=info["bits"], overwrite=overwrite)
    return {**info, "shape": out.shape, "input": str(source), "output": str(target)}
