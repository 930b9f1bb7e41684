"""Colour images: reading the BMP test sets as RGB, the authors' colour CDnCNN-B, and colour BM3D.

Colour BM3D (``bm3d.bm3d_rgb``) runs like :class:`dncnn.denoisers.BM3DDenoiser`: one thread per
image (exactly reproducible) and images in parallel processes, so no result depends on the number
of cores.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from . import config
from .denoisers import BM3DDenoiser, KerasDenoiser
from .images import ImageError, decode_image


def read_colour_image(path: str | os.PathLike) -> np.ndarray:
    """Read an 8-bit grey or colour image file (the BMP test sets) as stored.

    Returns:
        HxWx3 uint8 RGB in [0, 255] for a colour file, HxW uint8 for a grey one (alpha dropped).

    Raises:
        ImageError: naming the file if it cannot be decoded, is not 8-bit, or has 2 or >4 channels.
    """
    image = decode_image(path)  # OpenCV's layout: BGR(A)
    if image.dtype != np.uint8:
        raise ImageError(f"{path} has {image.dtype} pixels; 8-bit was expected")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3:
        if image.shape[2] not in (3, 4):
            raise ImageError(f"{path} has {image.shape[2]} channels; grey, RGB or RGBA was expected")
        image = np.ascontiguousarray(image[:, :, 2::-1])
    return image


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
    from . import data

    rels = data.list_files([name])[: limit if limit is not None else None]
    if fetch:
        data.fetch_datasets([name], dest=root, files=rels, progress=False)
    names, images = [], []
    for rel in rels:
        path = Path(root) / rel
        if not path.exists():
            raise data.DataError(f"{path} is missing. Run `python -m dncnn fetch {name}` first.")
        try:
            images.append(read_colour_image(path))
        except ImageError as err:
            raise data.DataError(f"{err}. Delete it and run `python -m dncnn fetch {name}` to fetch it again.") from err
        names.append(Path(rel).name)
    return names, images


class ColourKerasDenoiser(KerasDenoiser):
    """A Keras DnCNN on RGB images (the authors' CDnCNN-B: 3 channels in and out, blind to sigma).

    ``noisy``: HxWx3 float32 RGB on the [0, 1] scale (not clipped); returns HxWx3 float32.
    """

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        x = np.asarray(noisy, dtype=np.float32)[None]
        return np.asarray(self._predict(x), dtype=np.float32)[0]


def cdncnn_denoiser(*, name: str = "CDnCNN-B authors' weights") -> ColourKerasDenoiser:
    """The authors' colour blind model (``model/GD_Color_Blind.mat``), fetched and verified."""
    from .reference import load_reference_model

    return ColourKerasDenoiser(load_reference_model("cdncnn_b_color_blind"), name=name)


class ColourBM3DDenoiser(BM3DDenoiser):
    """Colour BM3D (``bm3d.bm3d_rgb``, opponent colour space, bm3d's default profile), one thread per
    image and images in parallel processes, cached like :class:`dncnn.denoisers.BM3DDenoiser`.

    ``noisy``: HxWx3 float32 RGB on the [0, 1] scale; returns HxWx3 float32.
    """

    def __init__(self, *, cache_dir: str | Path | None = config.CACHE_DIR / "bm3d_rgb", name: str = "CBM3D",
                 workers: int | None = None):
        super().__init__(cache_dir=cache_dir, name=name, workers=workers)
        self.worker = denoise_bm3d_rgb_timed


def denoise_bm3d_rgb(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Colour BM3D of one HxWx3 float32 RGB image in [0, 1] at ``sigma`` (0-255 scale),
    single-threaded (the same input always gives the same bytes). Returns HxWx3 float32."""
    import bm3d
    from bm3d.profiles import BM3DProfile

    noisy = np.asarray(noisy, dtype=np.float32)
    if noisy.ndim != 3 or noisy.shape[2] != 3:
        raise ValueError(f"colour BM3D needs an HxWx3 RGB image. Received: shape {noisy.shape}")
    profile = BM3DProfile()
    profile.num_threads = 1
    return np.asarray(bm3d.bm3d_rgb(noisy, sigma_psd=float(sigma) / 255.0, profile=profile), dtype=np.float32)


def denoise_bm3d_rgb_timed(args: tuple[np.ndarray, float]) -> tuple[np.ndarray, float]:
    """``(estimate, seconds)`` of :func:`denoise_bm3d_rgb` for ``(noisy, sigma)`` (a process-pool job)."""
    noisy, sigma = args
    start = time.perf_counter()
    estimate = denoise_bm3d_rgb(noisy, sigma)
    return estimate, time.perf_counter() - start


def read_noisy_colour_image(path: str | os.PathLike, *, accept_truncated: bool = False) -> tuple[np.ndarray, dict]:
    """Read a user's 8- or 16-bit image keeping its colour: HxWx3 float32 RGB in [0, 1] for a colour
    (or palette) file, HxW float32 in [0, 1] for a grey one; alpha is dropped (``info["converted"]``
    says so). Every check of :func:`dncnn.images.read_noisy_image` applies, with its errors and ``info``.

    Raises:
        ImageError: naming the file, as :func:`dncnn.images.read_noisy_image`.
        TruncatedImageError: naming the file, when it is truncated and ``accept_truncated`` is false.
    """
    from .images import read_noisy_image

    grey, info = read_noisy_image(path, accept_truncated=accept_truncated)  # every check, and the bit depth
    if info["converted"] is None:
        return grey, info
    image = decode_image(path, accept_truncated=accept_truncated)  # BGR(A), as OpenCV decodes
    peak = 255.0 if image.dtype == np.uint8 else 65535.0
    rgb = np.ascontiguousarray(image[:, :, 2::-1]).astype(np.float32) / np.float32(peak)
    info = {**info, "converted": "alpha dropped" if image.shape[2] == 4 else None}
    return rgb, info
