"""Scoring by DnCNN-3's protocol: MATLAB's PSNR and Wang et al.'s ``ssim_index`` on the 0-255 scale.

The study's own protocol (notebook 04) scores uint8-rounded images with scikit-image instead
(:mod:`dncnn.evaluation.metrics`).
"""

from __future__ import annotations

import numpy as np

from ...data import matlab
from ...data.matlab import matlab_psnr, matlab_ssim


def matlab_scores(target: np.ndarray, estimate: np.ndarray, *, shave: int = 0) -> dict:
    """``{"psnr", "ssim"}`` of an estimate against a target, both on the 0-255 scale (HxW or HxWx3;
    colour SSIM is the mean over channels, as the authors' ``Cal_PSNRSSIM``)."""
    target, estimate = np.asarray(target, dtype=np.float64), np.asarray(estimate, dtype=np.float64)
    if target.ndim == 3:
        ssim = float(np.mean([matlab_ssim(target[..., c], estimate[..., c], shave=shave) for c in range(3)]))
    else:
        ssim = matlab_ssim(target, estimate, shave=shave)
    return {"psnr": matlab_psnr(target, estimate, shave=shave), "ssim": ssim}


def score_bicubic(image: np.ndarray, scale: int) -> dict:
    """The bicubic baseline as super-resolution papers report it (SRCNN's and VDSR's test code): Y of
    ``rgb2ycbcr`` in double precision (a grey image as it is), cropped to a multiple of ``scale``,
    shrunk and enlarged with bicubic ``imresize`` in double precision, rounded to uint8; PSNR and SSIM
    with ``scale`` pixels shaved. Returns ``{"psnr", "ssim"}``."""
    hr = matlab.modcrop(np.asarray(image), scale)
    y = matlab.rgb2y(hr / 255.0) * 255.0 if hr.ndim == 3 else hr.astype(np.float64)
    bicubic = matlab.imresize(matlab.imresize(y / 255.0, 1 / scale), scale) * 255.0
    return matlab_scores(matlab.round_uint8(y), matlab.round_uint8(bicubic), shave=scale)
