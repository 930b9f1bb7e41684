"""Colour denoising: the authors' colour CDnCNN-B and colour BM3D.

Colour BM3D (``bm3d.bm3d_rgb``) runs like :class:`dncnn.evaluation.denoisers.BM3DDenoiser`: one
thread per image (exactly reproducible) and images in parallel processes, so no result depends on
the number of cores.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import config
from .denoisers import BM3DDenoiser, KerasDenoiser


class ColourKerasDenoiser(KerasDenoiser):
    """A Keras DnCNN on RGB images (the authors' CDnCNN-B: 3 channels in and out, blind to sigma).

    ``noisy``: HxWx3 float32 RGB on the [0, 1] scale (not clipped); returns HxWx3 float32.
    """

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        x = np.asarray(noisy, dtype=np.float32)[None]
        return np.asarray(self._predict(x), dtype=np.float32)[0]


def cdncnn_denoiser(*, name: str | None = None) -> ColourKerasDenoiser:
    """The authors' colour blind model (``model/GD_Color_Blind.mat``), fetched and verified, named
    ``name`` (default its catalogue name, ``"CDnCNN-B authors' weights"``)."""
    from ..model.catalog import get_entry
    from .denoisers import load_entry_denoiser

    return load_entry_denoiser(get_entry("cdncnn_b_color_blind"), name=name)


class ColourBM3DDenoiser(BM3DDenoiser):
    """Colour BM3D (``bm3d.bm3d_rgb``, opponent colour space, bm3d's default profile), one thread per
    image and images in parallel processes, cached like :class:`dncnn.evaluation.denoisers.BM3DDenoiser`.

    ``noisy``: HxWx3 float32 RGB on the [0, 1] scale; returns HxWx3 float32.
    """

    def __init__(self, *, cache_dir: str | Path | None = config.CACHE_DIR / "bm3d_rgb", name: str | None = None,
                 workers: int | None = None):
        """``name``: default the catalogue's (``"CBM3D"``)."""
        from ..model.catalog import get_entry

        name = name or get_entry("cbm3d").name
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
