"""MATLAB-faithful image operations for the DnCNN-3 protocol: ``imresize`` (bicubic), ``rgb2ycbcr``,
``ycbcr2rgb``, JPEG at an IJG quality, and Wang et al.'s ``ssim_index``.

The authors' test code (``Demo_test_DnCNN3.m``) runs these in MATLAB; super-resolution numbers move
by tenths of a dB with another resize, so they are ported here in numpy and checked against the
bicubic baseline every super-resolution paper reports (``tests/test_data_matlab.py``).

``imresize`` follows MATLAB's ``imresize.m``: the cubic kernel with a = -0.5; when shrinking, the
kernel is widened by 1/scale (antialiasing); output pixel ``x`` (1-based) maps to input position
``x / scale + 0.5 * (1 - 1 / scale)``; indices beyond the border are mirrored (symmetric padding,
the edge pixel repeated); rows are resized first, then columns (MATLAB's order for equal scales);
a uint8 image is rounded (half away from zero) and clipped to uint8 after each pass, as MATLAB's
``imresizemex`` returns the class of its input.
"""

from __future__ import annotations

import io
import math

import numpy as np

# MATLAB rgb2ycbcr: ITU-R BT.601, Y in [16, 235], Cb and Cr in [16, 240] (on the 0-255 scale)
YCBCR_MATRIX = np.array([[65.481, 128.553, 24.966],
                         [-37.797, -74.203, 112.0],
                         [112.0, -93.786, -18.214]])
YCBCR_OFFSET = np.array([16.0, 128.0, 128.0])


def cubic(x: np.ndarray) -> np.ndarray:
    """MATLAB's bicubic kernel (Keys, a = -0.5) at positions ``x`` (float64 array, any shape)."""
    absx = np.abs(x)
    absx2, absx3 = absx ** 2, absx ** 3
    return ((1.5 * absx3 - 2.5 * absx2 + 1) * (absx <= 1)
            + (-0.5 * absx3 + 2.5 * absx2 - 4 * absx + 2) * ((absx > 1) & (absx <= 2)))


def compute_contributions(in_length: int, out_length: int, scale: float, *, antialiasing: bool = True,
                          kernel_width: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Weights and 0-based input indices of MATLAB's ``imresize`` along one axis.

    Returns:
        ``(weights, indices)``: both ``(out_length, P)``; ``weights`` float64 rows summing to 1,
        ``indices`` int64 in ``[0, in_length)`` (symmetric padding already applied).
    """
    if antialiasing and scale < 1:
        def kernel(x):
            return scale * cubic(scale * x)
        kernel_width = kernel_width / scale
    else:
        kernel = cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]  # 1-based, as in MATLAB
    weights = kernel(u[:, None] - indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    indices = mirror[np.mod(indices.astype(np.int64) - 1, mirror.size)]
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], indices[:, keep]


def imresize(image: np.ndarray, scale: float, *, antialiasing: bool = True) -> np.ndarray:
    """MATLAB's ``imresize(image, scale, 'bicubic')``.

    Args:
        image: HxW or HxWxC, uint8 in [0, 255] or float (any range, e.g. [0, 1]).
        scale: factor > 0; the output is ``ceil(scale * H) x ceil(scale * W)``.
        antialiasing: widen the kernel when shrinking (MATLAB's default).

    Returns:
        The resized image: uint8 for uint8 input (rounded half away from zero, clipped after each
        pass, as MATLAB does), float64 otherwise (not clipped).

    Raises:
        ValueError: for a non-positive scale or an image that is not 2-D or 3-D.
    """
    image = np.asarray(image)
    if not scale > 0:
        raise ValueError(f"scale must be > 0. Received: scale={scale}")
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be HxW or HxWxC. Received: shape {image.shape}")
    is_uint8 = image.dtype == np.uint8
    out = image.astype(np.float64)
    for axis in (0, 1):
        in_length = out.shape[axis]
        weights, indices = compute_contributions(in_length, int(math.ceil(scale * in_length)), scale,
                                                 antialiasing=antialiasing)
        gathered = np.take(out, indices, axis=axis)  # axis becomes (out_length, P)
        moved = np.moveaxis(gathered, (axis, axis + 1), (0, 1))
        out = np.moveaxis(np.einsum("op,op...->o...", weights, moved), 0, axis)
        if is_uint8:
            out = round_uint8(out).astype(np.float64)
    return round_uint8(out) if is_uint8 else out


def round_uint8(values: np.ndarray) -> np.ndarray:
    """float on the 0-255 scale -> uint8, rounded half away from zero and clipped (MATLAB's casting)."""
    return np.clip(np.floor(np.asarray(values, dtype=np.float64) + 0.5), 0, 255).astype(np.uint8)


def im2uint8(image: np.ndarray) -> np.ndarray:
    """float [0, 1] -> uint8 [0, 255] as MATLAB's ``im2uint8``: scaled by 255, clipped, rounded half
    away from zero (:func:`round_uint8`). The study's own protocol rounds half to even instead
    (:func:`dncnn.evaluation.metrics.to_uint8`); the two differ only on exact halves."""
    return round_uint8(np.asarray(image, dtype=np.float64) * 255.0)


def rgb2ycbcr(image: np.ndarray) -> np.ndarray:
    """MATLAB's ``rgb2ycbcr`` (BT.601, "studio swing").

    Args:
        image: HxWx3 RGB, uint8 in [0, 255] or float in [0, 1].

    Returns:
        HxWx3 YCbCr of the same kind: uint8 (rounded as MATLAB does) for uint8 input, float64 on the
        [0, 1] scale otherwise (Y in [16, 235] / 255, not rounded).
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"rgb2ycbcr needs an HxWx3 RGB image. Received: shape {image.shape}")
    if image.dtype == np.uint8:
        return round_uint8(image.astype(np.float64) @ (YCBCR_MATRIX / 255.0).T + YCBCR_OFFSET)
    return image.astype(np.float64) @ (YCBCR_MATRIX / 255.0).T + YCBCR_OFFSET / 255.0


def rgb2y(image: np.ndarray) -> np.ndarray:
    """The Y channel of :func:`rgb2ycbcr`: HxW, uint8 for uint8 input, float64 in [16, 235] / 255 otherwise."""
    return rgb2ycbcr(image)[:, :, 0]


RGB2GRAY_WEIGHTS = (0.298936021293775, 0.587043074451121, 0.114020904255103)  # MATLAB's rgb2gray (BT.601, normalised)


def rgb2gray(image: np.ndarray) -> np.ndarray:
    """MATLAB's ``rgb2gray`` of an HxWx3 uint8 RGB image: the weighted sum of :data:`RGB2GRAY_WEIGHTS`
    in double precision, rounded half away from zero to HxW uint8 (OpenCV's and PIL's grey conversions
    round differently and differ by one grey level on some pixels)."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"rgb2gray needs an HxWx3 uint8 image. Received: shape {image.shape}, dtype {image.dtype}")
    return round_uint8(image.astype(np.float64) @ np.asarray(RGB2GRAY_WEIGHTS))


def ycbcr2rgb(image: np.ndarray) -> np.ndarray:
    """MATLAB's ``ycbcr2rgb`` for float input: HxWx3 YCbCr on the [0, 1] scale -> RGB float64 (not clipped)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"ycbcr2rgb needs an HxWx3 image. Received: shape {image.shape}")
    inverse = np.linalg.inv(YCBCR_MATRIX / 255.0)
    return (image - YCBCR_OFFSET / 255.0) @ inverse.T


def modcrop(image: np.ndarray, modulo: int) -> np.ndarray:
    """The top-left part of an HxW(xC) image whose sides are multiples of ``modulo`` (MATLAB ``modcrop``)."""
    h, w = image.shape[:2]
    return image[: h - h % modulo, : w - w % modulo]


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode an HxW uint8 grey image as baseline JPEG at IJG ``quality`` and decode it again.

    MATLAB's ``imwrite(..., 'quality', Q)`` uses the IJG library: the standard quantisation tables
    scaled by the IJG rule (5000 / Q below 50, 200 - 2 Q above, entries clamped to [1, 255]) and
    the integer ("islow") DCT. Pillow's libjpeg(-turbo) does the same for a grey image; the decode
    uses islow too.

    Returns:
        HxW uint8 in [0, 255].
    """
    from PIL import Image

    image = np.asarray(image)
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError(f"jpeg_roundtrip needs an HxW uint8 grey image. Received: shape {image.shape}, dtype {image.dtype}")
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"quality must be in [1, 100]. Received: quality={quality}")
    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="JPEG", quality=int(quality), optimize=False,
                                          progressive=False)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.array(decoded.convert("L"))


def ijg_quant_table(quality: int) -> np.ndarray:
    """The IJG luminance quantisation table at ``quality`` (8x8 int, row-major), baseline-clamped."""
    base = np.array([
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]).reshape(8, 8)
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return np.clip((base * scale + 50) // 100, 1, 255)


def matlab_psnr(reference: np.ndarray, estimate: np.ndarray, *, shave: int = 0) -> float:
    """PSNR in dB, peak 255, as the authors' ``Cal_PSNRSSIM``: both images on the 0-255 scale (any
    dtype; nothing rounded or clipped here), ``shave`` pixels dropped from every border."""
    a, b = _shave(reference, shave), _shave(estimate, shave)
    mse = np.mean((a - b) ** 2)
    return float(10 * np.log10(255.0 ** 2 / mse))


def matlab_ssim(reference: np.ndarray, estimate: np.ndarray, *, shave: int = 0) -> float:
    """SSIM of Wang et al.'s ``ssim_index.m`` (2003): 11x11 Gaussian window, sigma 1.5, K = (0.01,
    0.03), L = 255, 'valid' filtering, mean of the map. HxW images on the 0-255 scale (any dtype)."""
    from scipy.ndimage import correlate

    a, b = _shave(reference, shave), _shave(estimate, shave)
    if a.ndim != 2:
        raise ValueError(f"matlab_ssim needs HxW images. Received: shape {a.shape}")
    g = np.exp(-((np.arange(11) - 5.0) ** 2) / (2 * 1.5 ** 2))
    window = np.outer(g, g)
    window /= window.sum()

    def filt(x):  # filter2(window, x, 'valid')
        return correlate(x, window, mode="constant")[5:-5, 5:-5]

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu1, mu2 = filt(a), filt(b)
    s11, s22, s12 = filt(a * a) - mu1 ** 2, filt(b * b) - mu2 ** 2, filt(a * b) - mu1 * mu2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s11 + s22 + c2))
    return float(ssim_map.mean())


def _shave(image: np.ndarray, shave: int) -> np.ndarray:
    image = np.asarray(image, dtype=np.float64)
    return image[shave:image.shape[0] - shave, shave:image.shape[1] - shave] if shave else image
