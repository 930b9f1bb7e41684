"""What DnCNN-3's protocol feeds the network: the task images and their degraded inputs.

Super-resolution: the image is cropped to a multiple of the scale (top-left kept), shrunk with
bicubic ``imresize`` (antialiased) on uint8 and enlarged back with bicubic ``imresize`` in double
precision; a colour image's network input is the Y of ``rgb2ycbcr`` of the enlarged image and its
target the Y of the original (both unrounded, [16, 235] / 255); a grey image (``bridge.bmp``) is
enlarged as uint8 and used at full range. JPEG: the Y of ``rgb2ycbcr`` on uint8 (colour) or the
grey image, encoded at IJG quality Q and decoded. Denoising takes the study's noise
(:func:`dncnn.data.noise.add_gaussian_noise`).
"""

from __future__ import annotations

import math

import numpy as np

from ...data import matlab

SIGMAS = (15.0, 25.0, 50.0)
SCALES = (2, 3, 4)
QUALITIES = (10, 20, 30, 40)
SETS = {"denoising": ("BSD68",), "super-resolution": ("Set5", "Set14", "BSD100", "Urban100"), "jpeg": ("classic5", "LIVE1")}
COLOUR_SET, COLOUR_SIGMA = "LIVE1", 25.0  # the colour row: CDnCNN-B against colour BM3D


def load_task_images(dataset: str, *, limit: int | None = None, crop: int | None = None, raw_dir=None):
    """``(names, images)`` of one set (fetched and verified), the first ``limit`` images, each cut to
    its central ``crop`` x ``crop`` square (corner on a multiple of 24, so that every scale and the
    8x8 JPEG grid see a whole image). BSD68 images are grey; the others as stored (RGB or grey)."""
    from ... import config
    from ...data.datasets import crop_center, load_colour_dataset

    names, images = load_colour_dataset(dataset, root=raw_dir or config.RAW_DIR, limit=limit)
    return names, [crop_center(image, crop, multiple=24) for image in images]


def prepare_super_resolution(image: np.ndarray, scale: int) -> dict:
    """The authors' super-resolution pair for one uint8 image (HxW grey or HxWx3 RGB).

    Returns:
        ``{"target", "input", "colour", "shave", "ycbcr"}``: ``target`` and ``input`` HxW float32 on
        the [0, 1] scale (Y in [16, 235] / 255 for colour, unrounded), ``shave = ceil(scale)``,
        ``ycbcr`` the enlarged image's YCbCr (float64, for putting colour back) or None for grey.
    """
    hr = matlab.modcrop(np.asarray(image), scale)
    lr = matlab.imresize(hr, 1 / scale)
    if hr.ndim == 3:
        bicubic = matlab.imresize(lr / 255.0, scale)
        ycbcr = matlab.rgb2ycbcr(bicubic)
        target = matlab.rgb2y(hr / 255.0)
        net_input = ycbcr[:, :, 0]
    else:
        ycbcr, target = None, hr / 255.0
        net_input = matlab.imresize(lr, scale) / 255.0
    return {"target": target.astype(np.float32), "input": net_input.astype(np.float32), "colour": hr.ndim == 3,
            "shave": int(math.ceil(scale)), "ycbcr": ycbcr}


def prepare_jpeg(image: np.ndarray, quality: int) -> dict:
    """The authors' JPEG pair for one uint8 image: ``target`` HxW uint8 (Y of ``rgb2ycbcr`` for colour)
    and ``jpeg`` HxW uint8, the target encoded at IJG ``quality`` and decoded."""
    target = matlab.rgb2y(image) if np.asarray(image).ndim == 3 else np.asarray(image)
    return {"target": target, "jpeg": matlab.jpeg_roundtrip(target, quality)}
