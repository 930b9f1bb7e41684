"""Reading images from files, with clear errors for files that cannot work.

Every reader checks the file before decoding it: it must exist, be non-empty, be an image whose
header Pillow can identify, and claim at most ``MAX_PIXELS`` pixels (so a forged header cannot make
the decoder allocate gigabytes). Decoding is OpenCV's.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MAX_PIXELS = 100_000_000  # 100 megapixels: 400 MB as float32, far above any test image
MIN_SIDE = 8  # the smallest image the denoise command accepts


class ImageError(ValueError):
    """A file is not a usable image. The message names the file."""


def decode_image(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file as stored (``cv2.IMREAD_UNCHANGED``: HxW or HxWxC, uint8/uint16/...).

    Raises:
        ImageError: naming the file if it is missing, empty, not an image, or claims more than
            ``MAX_PIXELS`` pixels in its header (checked before decoding).
    """
    import cv2
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path} does not exist")
    if path.stat().st_size == 0:
        raise ImageError(f"{path} is empty")
    try:
        with Image.open(path) as header:  # reads the header only
            width, height = header.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise ImageError(f"{path} is not an image (PNG, JPEG or TIFF expected): {err}") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{path} claims more pixels than allowed ({MAX_PIXELS:,})") from None
    if width * height > MAX_PIXELS:
        raise ImageError(f"{path} claims {width}x{height} pixels, more than the {MAX_PIXELS:,} allowed")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError(f"{path} is not an image OpenCV can decode (truncated or corrupted?)")
    return image


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an 8-bit grey image file (the datasets).

    Returns:
        HxW uint8 array in [0, 255].

    Raises:
        ImageError: if the file cannot be decoded or is not 8-bit grey.
    """
    image = decode_image(path)
    if image.ndim != 2:
        raise ImageError(f"{path} has {image.shape[2]} channels; an 8-bit grey image was expected")
    if image.dtype != np.uint8:
        raise ImageError(f"{path} has {image.dtype} pixels; 8-bit was expected")
    return image


def read_noisy_image(path: str | os.PathLike) -> tuple[np.ndarray, dict]:
    """Read a user's 8- or 16-bit grey or colour image as float32 HxW in [0, 1].

    Colour (and palette) images are converted to grey with OpenCV's ITU-R BT.601 weights and alpha
    is dropped; ``info["converted"]`` says so, ``info["bits"]`` is the bit depth to write back.

    Raises:
        ImageError: naming the file when it is empty, not an image, smaller than ``MIN_SIDE``,
            of an unsupported pixel type, or holds non-finite values.
    """
    import cv2

    image = decode_image(path)
    info = {"converted": None}
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3:
        code = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}.get(image.shape[2])
        if code is None:
            raise ImageError(f"{path} has {image.shape[2]} channels; grey, RGB or RGBA expected")
        info["converted"] = f"{image.shape[2]}-channel image converted to grey (ITU-R BT.601 weights)" + (
            ", alpha dropped" if image.shape[2] == 4 else "")
        image = cv2.cvtColor(image, code)
    peaks = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}
    if image.dtype not in peaks:
        raise ImageError(f"{path} has {image.dtype} pixels; 8- or 16-bit integers expected")
    if min(image.shape) < MIN_SIDE:
        raise ImageError(f"{path} is {image.shape[1]}x{image.shape[0]}; at least {MIN_SIDE}x{MIN_SIDE} pixels expected")
    info["bits"] = 8 if image.dtype == np.uint8 else 16
    out = image.astype(np.float32) / np.float32(peaks[image.dtype])
    if not np.isfinite(out).all():
        raise ImageError(f"{path} holds non-finite values")
    return out, info
