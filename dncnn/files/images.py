"""Reading and writing image files, with clear errors for files that cannot work.

Every reader checks the file before decoding it: it must exist, be non-empty, be undamaged (every
chunk of a PNG must pass its CRC check), be complete (a PNG must reach its IEND chunk, a JPEG its
end-of-image marker, a TIFF's directory and strips must lie inside the file, and Pillow's strict
decoder must not run out of data), be an image whose header Pillow can identify, and claim no more
pixels than the file's size can back (:func:`max_pixels_backed`; so a forged header cannot make
the decoder allocate gigabytes, while a real photo of any size OpenCV decodes is accepted).
Decoding is OpenCV's, its own warning lines kept off the terminal (our errors say what is wrong).
A truncated file (an interrupted download) is refused with :class:`TruncatedImageError` unless the
caller accepts it explicitly; it is then decoded as far as its data goes
(:func:`decode_partial_image`) and the missing rows are counted.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np

SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")  # the image files written for users
MIN_SIDE = 8  # the smallest image the denoise command accepts
DECODER_MAX_PIXELS = 1 << 30  # OpenCV's imread refuses larger images (its OPENCV_IO_MAX_IMAGE_PIXELS default)
UNBOUNDED_MAX_PIXELS = 100_000_000  # the limit for codings whose file size bounds no pixel count (below)

# The most pixels one byte of a real file can describe, per format and coding. A header claiming
# more pixels than the file's size times this cannot be backed by the file's data (it is forged, or
# the data is missing) and is refused before any decoder allocates the image. Each bound takes the
# format's cheapest pixel and its coding's greatest expansion, so no real image comes near it:
# - PNG: the filtered rows hold at least 1 bit per pixel (1-bit grey), and deflate expands at most
#   1032:1 (zlib's technical details, https://zlib.net/zlib_tech.html: "the limit, 1032:1"):
#   8 x 1032 = 8,256 pixels per byte.
# - JPEG, Huffman-coded (baseline, extended, progressive, lossless; ITU-T T.81 | ISO/IEC 10918-1):
#   the frame's full-resolution component codes each of its 8x8 blocks with at least one Huffman code
#   of its own (the block's DC difference, T.81 F.1.2.1; a progressive file's DC scan comes first,
#   Annex G), and a Huffman code is 1 to 16 bits long (Annex C): at most 64 pixels per bit, 512 per
#   byte (an optimized progressive JPEG of a flat grey image, by OpenCV, reaches 255). Arithmetic
#   coding (SOF9-SOF15, Annex D) can code a block in a small fraction of a bit: no useful bound.
# - TIFF, by its Compression tag (TIFF 6.0 specification, Adobe 1992): none (1), at least 1 bit per
#   pixel: 8 per byte; PackBits (32773, section 9), a 2-byte run stands for at most 128 bytes: 512;
#   LZW (5, section 13), a code of at least 9 bits stands for at most 4,096 bytes (the size of its
#   table): 8 x 4096 x 8 / 9 = 29,127; Deflate (8 and 32946, zlib's deflate as in PNG): 8,256; JPEG
#   (7): 512 as JPEG. The CCITT fax codings code a blank row in a few bits whatever its width (Pillow's
#   Group 4 file of a blank 4000x4000 image holds 16,000 pixels per byte): no useful bound.
# tests/test_files_images.py writes the most compressible real files of each bounded coding and
# checks that they pass. Other formats and codings get UNBOUNDED_MAX_PIXELS (the study's BMP test
# images are far below it).
PNG_PIXELS_PER_BYTE = 8 * 1032
JPEG_PIXELS_PER_BYTE = 64 * 8
TIFF_PIXELS_PER_BYTE = {1: 8, 32773: 512, 5: 8 * 4096 * 8 // 9, 8: PNG_PIXELS_PER_BYTE, 32946: PNG_PIXELS_PER_BYTE,
                        7: JPEG_PIXELS_PER_BYTE}
_JPEG_HUFFMAN_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7}  # SOF0-3, SOF5-7


class ImageError(ValueError):
    """A file is not a usable image. The message names the file."""


class TruncatedImageError(ImageError):
    """A file ends before its image data does (an interrupted download or copy). Names the file."""


def decode_image(path: str | os.PathLike, *, accept_truncated: bool = False) -> np.ndarray:
    """Decode an image file as stored (``cv2.IMREAD_UNCHANGED``: HxW or HxWxC, uint8/uint16/...).

    With ``accept_truncated`` a truncated file is decoded as far as its data goes
    (:func:`decode_partial_image`; the rows it lacks are grey) instead of being refused.

    Raises:
        ImageError: naming the file if it is missing, empty, damaged, not an image, or claims more
            pixels in its header than its size can back (checked before decoding).
        TruncatedImageError: naming the file and what is missing, if it is truncated and
            ``accept_truncated`` is false.
    """
    path = Path(path)
    problem = check_file(path)
    if problem is not None:
        if not accept_truncated:
            raise TruncatedImageError(problem)
        return decode_partial_image(path)[0]
    return _decode_complete(path)


def check_file(path: str | os.PathLike) -> str | None:
    """Check that ``path`` exists, is a non-empty, undamaged image whose size backs the pixels its
    header claims, and whether it is complete; return ``None`` if it is, else a sentence naming the
    file and what is missing.

    Raises:
        ImageError: naming the file if it is missing, empty, damaged (a PNG chunk failing its CRC),
            not an image or claims more pixels than its size can back.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path} does not exist")
    if path.stat().st_size == 0:
        raise ImageError(f"{path} is empty")
    data = path.read_bytes()
    damage = find_damage(data)  # the container, before any decoding
    if damage is not None:
        raise ImageError(f"{path} is damaged: {damage}; the file was corrupted (in a copy or download?): fetch it again")
    problem = find_truncation(data)
    if problem is not None:
        return f"{path} is truncated: {problem}"
    check_header(path, data)
    problem = find_decoder_truncation(path)
    return None if problem is None else f"{path} is truncated: {problem}"


def check_header(path: Path, data: bytes | None = None) -> None:
    """Raise :class:`ImageError` unless Pillow identifies ``path``'s header and the pixels it claims
    are at most :func:`max_pixels_backed` by the file's bytes ``data`` (read if not given) and at
    most ``DECODER_MAX_PIXELS``. Decodes nothing."""
    from PIL import Image, UnidentifiedImageError

    data = Path(path).read_bytes() if data is None else data
    try:
        with _pillow_settings(truncated=False), Image.open(path) as header:  # reads the header only
            width, height = header.size
            compression = getattr(header, "tag_v2", {}).get(259, 1) if header.format == "TIFF" else None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise ImageError(f"{path} is not an image (PNG, JPEG or TIFF expected): {err}") from None
    pixels = width * height
    if pixels > DECODER_MAX_PIXELS:
        raise ImageError(f"{path} claims {width}x{height} pixels, more than the {DECODER_MAX_PIXELS:,} OpenCV decodes")
    backed = max_pixels_backed(data, tiff_compression=compression)
    if pixels > backed:
        raise ImageError(f"{path} claims {width}x{height} pixels, more than its {len(data):,} bytes can hold "
                         f"(at most {backed:,}): a forged or damaged header")


def max_pixels_backed(data: bytes, *, tiff_compression: int | None = None) -> int:
    """The most pixels a real PNG, JPEG or TIFF file of ``data``'s size can describe (the bounds and
    their sources are in this module's comments); ``UNBOUNDED_MAX_PIXELS`` for other formats and for
    codings without a bound (arithmetic-coded JPEG, CCITT fax TIFF). ``tiff_compression``: the
    TIFF's Compression tag (259)."""
    per_byte = None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        per_byte = PNG_PIXELS_PER_BYTE
    elif data.startswith(b"\xff\xd8"):
        per_byte = JPEG_PIXELS_PER_BYTE if _jpeg_frame_marker(data) in _JPEG_HUFFMAN_FRAMES else None
    elif data[:4] in (b"II*\x00", b"MM\x00*"):
        per_byte = TIFF_PIXELS_PER_BYTE.get(tiff_compression)
    return UNBOUNDED_MAX_PIXELS if per_byte is None else per_byte * len(data)


def _jpeg_frame_marker(data: bytes) -> int | None:
    """The start-of-frame marker (0xC0-0xCF but DHT 0xC4, JPG 0xC8, DAC 0xCC) of a JPEG, or None."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return marker
        if marker == 0xFF:  # a fill byte
            pos += 1
        elif marker in _JPEG_STANDALONE:
            pos += 2
        elif marker == 0xDA:  # image data before any frame header: not a structure we know
            return None
        else:
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return None


def _decode_complete(path: Path) -> np.ndarray:
    import cv2

    from .. import silence_stderr

    with silence_stderr():  # libpng's and libjpeg's own lines ("IDAT: CRC error", ...): our error says it
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError(f"{path} is not an image OpenCV can decode (corrupted?)")
    return image


def find_damage(data: bytes) -> str | None:
    """What is damaged in a PNG file's container: the first complete chunk whose CRC does not match
    its type and data (PNG specification, section 5.3), as a phrase, else ``None`` (also for other
    formats, and for a chunk cut off by truncation, which :func:`find_truncation` reports)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    pos, size = 8, len(data)
    while pos + 12 <= size:
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if pos + 12 + length > size:
            return None
        (stored,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        computed = zlib.crc32(data[pos + 4:pos + 8 + length])
        if stored != computed:
            name = kind.decode("latin-1")
            return (f"its {name} chunk at byte {pos:,} fails its CRC check (stored {stored:08x}, "
                    f"computed {computed:08x})")
        if kind == b"IEND":
            return None
        pos += 12 + length
    return None


def find_truncation(data: bytes) -> str | None:
    """What is missing from a PNG, JPEG or TIFF file's container (``None`` if it is complete or of
    another format): a PNG must reach its IEND chunk, a JPEG its end-of-image marker, and a TIFF's
    first directory and its strips or tiles must lie inside the file. Nothing is decoded."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_truncation(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_truncation(data)
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff_truncation(data)
    return None


def _png_truncation(data: bytes) -> str | None:
    pos, size = 8, len(data)
    while pos + 8 <= size:
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        name = kind.decode("latin-1")
        if pos + 12 + length > size:
            return (f"its {name} chunk at byte {pos:,} is cut off ({max(size - pos - 8, 0):,} of its {length + 4:,} bytes "
                    f"present) and the file ends after {size:,} bytes, before its IEND chunk")
        if kind == b"IEND":
            return None
        pos += 12 + length
    return f"it ends after {size:,} bytes, before its IEND chunk"


_JPEG_STANDALONE = {0x01, 0xD8, *range(0xD0, 0xD8)}  # TEM, SOI, RST0-7: markers without a length


def _jpeg_truncation(data: bytes) -> str | None:
    pos, size = 2, len(data)
    while pos < size:
        if data[pos] != 0xFF:
            return None  # not the structure expected: leave the verdict to the decoders
        while pos + 1 < size and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 1 >= size:
            break
        marker = data[pos + 1]
        if marker == 0xD9:  # EOI
            return None
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if pos + 4 > size or pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big") > size:
            break
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next marker other than FF00 and RSTn
            pos = _jpeg_scan_end(data, pos)
            if pos is None:
                return (f"it ends after {size:,} bytes inside its image data: the rest of the image data and "
                        "the end-of-image marker are missing")
    return f"it ends after {size:,} bytes, before its end-of-image marker"


def _jpeg_scan_end(data: bytes, pos: int) -> int | None:
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return None
        if data[pos + 1] == 0x00 or 0xD0 <= data[pos + 1] <= 0xD7 or data[pos + 1] == 0xFF:
            pos += 1 if data[pos + 1] == 0xFF else 2
            continue
        return pos


def _tiff_truncation(data: bytes) -> str | None:
    endian, size = "<" if data[:2] == b"II" else ">", len(data)
    if size < 8:
        return f"it ends after {size:,} bytes, inside its header"
    (offset,) = struct.unpack(endian + "I", data[4:8])
    if offset + 2 > size:
        return f"its image directory at byte {offset:,} lies beyond its end ({size:,} bytes)"
    (count,) = struct.unpack(endian + "H", data[offset:offset + 2])
    if offset + 2 + 12 * count > size:
        return f"its image directory at byte {offset:,} is cut off at byte {size:,}"
    tags = {}
    for entry in range(offset + 2, offset + 2 + 12 * count, 12):
        tag, kind, n = struct.unpack(endian + "HHI", data[entry:entry + 8])
        if tag in (273, 279, 324, 325) and kind in (3, 4):  # strip/tile offsets and byte counts, SHORT or LONG
            width = 2 if kind == 3 else 4
            start = entry + 8 if n * width <= 4 else struct.unpack(endian + "I", data[entry + 8:entry + 12])[0]
            if start + n * width > size:
                return f"its table of image-data offsets at byte {start:,} lies beyond its end ({size:,} bytes)"
            tags[tag] = struct.unpack(endian + ("H" if kind == 3 else "I") * n, data[start:start + n * width])
    offsets, counts = tags.get(273, tags.get(324)), tags.get(279, tags.get(325))
    if not offsets or not counts or len(offsets) != len(counts):
        return None
    total = sum(counts)
    present = sum(min(max(size - o, 0), c) for o, c in zip(offsets, counts))
    if present < total:
        return f"{present:,} of {total:,} bytes of image data present (the file ends after {size:,} bytes)"
    return None


@contextlib.contextmanager
def _pillow_settings(*, truncated: bool):
    """Pillow's globals for the block: ``LOAD_TRUNCATED_IMAGES`` set to ``truncated``, and no
    decompression-bomb limit (:func:`check_header` bounds the pixels by the file's size instead);
    its warnings silenced."""
    from PIL import Image, ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = truncated, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = before


def find_decoder_truncation(path: str | os.PathLike) -> str | None:
    """Decode ``path`` with Pillow's strict decoder; the reason if it runs out of data, else ``None``
    (other decoder failures are left to OpenCV). Call only after :func:`check_header`."""
    from PIL import Image

    try:
        with _pillow_settings(truncated=False), Image.open(path) as image:
            image.load()
    except Exception as err:  # noqa: BLE001 - Pillow is only the witness here; OpenCV decodes
        if "truncated" in str(err):
            return f"the decoder ran out of data ({err})"
    return None


def decode_partial_image(path: str | os.PathLike) -> tuple[np.ndarray, int, str]:
    """Decode a truncated image as far as its data goes.

    Returns:
        The image as :func:`decode_image` gives it (HxW or HxWxC, uint8 or uint16, colour in BGR
        order), the number of rows the file's data does not fully determine, and how they were
        filled: a JPEG's as the JPEG decoder fills them (flat grey, or a coarse version of a
        progressive JPEG's rows); other formats' with mid-grey.

    Raises:
        ImageError: naming the file if nothing of it can be decoded.
    """

    path = Path(path)
    data = path.read_bytes()
    try:
        check_header(path, data)
    except ImageError as err:
        if "claims" in str(err):
            raise
        raise ImageError(f"{path} is truncated and nothing of it can be decoded: its header cannot be read") from None
    try:
        if data.startswith(b"\xff\xd8"):
            # the decoder ends the data with an end-of-image marker; rows that change when other
            # data is appended first are the ones the file does not determine
            image = _decode_pillow(data, fill=None)[0]
            tail = bytes(np.random.default_rng(0).integers(0, 255, 4096, dtype=np.uint8)) + b"\xff\xd9"
            other = _decode_pillow(data.rstrip(b"\xff") + tail, fill=None)[0]
            differs = (image != other).reshape(image.shape[0], -1).any(axis=1)
            missing = image.shape[0] - int(differs.argmax()) if differs.any() else 0
            return _to_opencv_layout(image), missing, "filled by the JPEG decoder: flat grey, or coarse for a progressive JPEG"
        (image, low), (_, high) = _decode_pillow(data, fill=0), _decode_pillow(data, fill=255)
        undecoded = (low != high).reshape(low.shape[0], low.shape[1], -1).any(axis=2)
        image[undecoded] = 32768 if image.dtype == np.uint16 else 128
        return _to_opencv_layout(image), int(undecoded.any(axis=1).sum()), "filled with grey"
    except Exception as err:  # noqa: BLE001 - any decoder failure means nothing usable
        raise ImageError(f"{path} is truncated and nothing of it can be decoded: {err}") from None


def _decode_pillow(data: bytes, *, fill: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Pillow's lenient decode of ``data``: HxW or HxWxC (RGB order) uint8 or uint16, and the
    decoder's own pixels (palette indices, ...). With ``fill``, pixels the decoder never reaches keep
    that value in every band (0, or 255 meaning the mode's peak)."""
    from PIL import Image

    with _pillow_settings(truncated=True), Image.open(io.BytesIO(data)) as image:
        if fill is not None:
            bands = len(image.getbands())
            value = fill if fill == 0 or image.mode in ("L", "P", "RGB", "RGBA", "LA", "CMYK", "YCbCr", "1") else 65535
            image.im = Image.core.fill(image.mode, image.size, value if bands == 1 else (value,) * bands)
        image.load()
        return _pillow_array(image), np.array(image)


def _pillow_array(image) -> np.ndarray:
    if image.mode in ("L", "RGB", "RGBA"):
        return np.array(image)
    if image.mode.startswith("I;16") or image.mode == "I":
        array = np.array(image)
        if array.min() < 0 or array.max() > 65535:
            raise ImageError(f"{image.filename or 'the image'} has pixel values outside 16 bits")
        return array.astype(np.uint16)
    if image.mode == "P":
        return np.array(image.convert("RGBA" if "transparency" in image.info else "RGB"))
    if image.mode in ("LA", "PA"):
        return np.array(image.convert("RGBA"))
    if image.mode == "1":
        return np.array(image.convert("L"))
    return np.array(image.convert("RGB"))


def _to_opencv_layout(image: np.ndarray) -> np.ndarray:
    """RGB(A) -> BGR(A), as OpenCV decodes files."""
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return np.ascontiguousarray(image[:, :, [2, 1, 0, *([3] if image.shape[2] == 4 else [])]])
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


def read_noisy_image(path: str | os.PathLike, *, accept_truncated: bool = False) -> tuple[np.ndarray, dict]:
    """Read a user's 8- or 16-bit grey or colour image as float32 HxW in [0, 1], upright as viewers
    show it (its EXIF orientation applied: :func:`read_orientation`).

    Colour (and palette) images are converted to grey with OpenCV's ITU-R BT.601 weights and alpha
    is dropped; ``info["converted"]`` says so, ``info["bits"]`` is the bit depth to write back.
    ``info["oriented"]`` says how the stored pixels were turned (``None`` when they are upright).
    A truncated file is refused unless ``accept_truncated``; it is then decoded as far as its data
    goes and ``info["truncated"]`` says what is missing and how many rows could not be decoded
    (``None`` for a complete file). The file is decoded once; the result is the only full-size
    float copy made.

    Raises:
        ImageError: naming the file when it is empty, not an image, smaller than ``MIN_SIDE``,
            or of an unsupported pixel type.
        TruncatedImageError: naming the file and what is missing, when it is truncated and
            ``accept_truncated`` is false.
    """
    image, info = read_stored_pixels(path, accept_truncated=accept_truncated)
    return _grey_unit_float(path, image, info)


def read_stored_pixels(path: str | os.PathLike, *, accept_truncated: bool = False) -> tuple[np.ndarray, dict]:
    """A user's image file checked and decoded once, as stored: HxW, or HxWxC in OpenCV's BGR(A)
    order, uint8 or uint16 (or what else the file holds), with
    ``info = {"converted": None, "truncated": ..., "orientation": EXIF value 1-8}``.

    Raises:
        ImageError, TruncatedImageError: as :func:`read_noisy_image`.
    """
    problem = check_file(path)
    info = {"converted": None, "truncated": None, "orientation": read_orientation(path)}
    if problem is None:
        image = _decode_complete(Path(path))
    elif not accept_truncated:
        raise TruncatedImageError(problem)
    else:
        image, missing, filled = decode_partial_image(path)
        info["truncated"] = problem + (
            f"; {missing} of {image.shape[0]} rows ({missing / image.shape[0]:.0%}) could not be decoded ({filled})"
            if missing else "; every row could be decoded")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3 and image.shape[2] not in (3, 4):
        raise ImageError(f"{path} has {image.shape[2]} channels; grey, RGB or RGBA expected")
    return image, info


def _grey_unit_float(path, image: np.ndarray, info: dict) -> tuple[np.ndarray, dict]:
    """``image`` as stored (:func:`read_stored_pixels`) -> float32 HxW grey in [0, 1], upright."""
    import cv2

    if image.ndim == 3:
        info["converted"] = f"{image.shape[2]}-channel image converted to grey (ITU-R BT.601 weights)" + (
            ", alpha dropped" if image.shape[2] == 4 else "")
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    return _unit_float(path, image, info)


PEAKS = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}  # the readable pixel types and their full scale


def _unit_float(path, pixels: np.ndarray, info: dict) -> tuple[np.ndarray, dict]:
    """``pixels`` (HxW or HxWx3, uint8 or uint16, a view is fine) turned upright by
    ``info["orientation"]`` -> C-contiguous float32 in [0, 1] (one allocation), and ``info`` with
    ``bits`` and ``oriented`` (a note, or None) in place of ``orientation``."""
    if pixels.dtype not in PEAKS:
        raise ImageError(f"{path} has {pixels.dtype} pixels; 8- or 16-bit integers expected")
    if min(pixels.shape[:2]) < MIN_SIDE:
        raise ImageError(f"{path} is {pixels.shape[1]}x{pixels.shape[0]}; at least {MIN_SIDE}x{MIN_SIDE} pixels expected")
    info = dict(info)
    orientation = info.pop("orientation")
    info.update(bits=8 if pixels.dtype == np.uint8 else 16, oriented=describe_orientation(orientation))
    out = orient_pixels(pixels, orientation).astype(np.float32, order="C")
    out /= np.float32(PEAKS[pixels.dtype])
    return out, info


# EXIF orientation (tag 274, 0x0112) -> (times np.rot90 turns the stored pixels counter-clockwise
# after a left-right flip if the flag is set, what a viewer does in words); the EXIF 2.32 standard's
# values 1-8, and Pillow's ImageOps.exif_transpose (the tests' reference) for the turn each means
ORIENTATIONS = {
    1: (0, False, None),
    2: (0, True, "mirrored left to right"),
    3: (2, False, "turned 180 degrees"),
    4: (2, True, "mirrored top to bottom"),
    5: (1, True, "mirrored and turned 90 degrees counter-clockwise (transposed)"),
    6: (3, False, "turned 90 degrees clockwise"),
    7: (3, True, "mirrored and turned 90 degrees clockwise (transversed)"),
    8: (1, False, "turned 90 degrees counter-clockwise"),
}


def read_orientation(path: str | os.PathLike) -> int:
    """The EXIF orientation (1-8) of an image file (a JPEG's, a TIFF's or a PNG's eXIf), as Pillow
    reads it from the header; 1 (upright) when there is none or it is not one of 1-8."""
    from PIL import Image

    try:
        with _pillow_settings(truncated=True), Image.open(path) as image:
            value = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - an unreadable tag is no orientation; the decoders judge the file
        return 1
    return value if value in ORIENTATIONS else 1


def orient_pixels(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """``pixels`` (HxW or HxWxC) as a viewer shows them for an EXIF ``orientation`` (1-8): a view,
    flipped and turned; the same array for 1."""
    turns, flip, _ = ORIENTATIONS.get(orientation, ORIENTATIONS[1])
    if flip:
        pixels = pixels[:, ::-1]
    return np.rot90(pixels, turns) if turns else pixels


def describe_orientation(orientation: int) -> str | None:
    """A note for the user when a file's EXIF orientation turned its pixels (None for upright files)."""
    words = ORIENTATIONS.get(orientation, ORIENTATIONS[1])[2]
    return None if words is None else (f"stored sideways or mirrored (EXIF orientation {orientation}): {words} as viewers show "
                                       "it, and written upright, without the tag")


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


def read_noisy_colour_image(path: str | os.PathLike, *, accept_truncated: bool = False) -> tuple[np.ndarray, dict]:
    """Read a user's 8- or 16-bit image keeping its colour: HxWx3 float32 RGB in [0, 1] for a colour
    (or palette) file, HxW float32 in [0, 1] for a grey one, upright as viewers show it; alpha is
    dropped (``info["converted"]`` says so). Every check of :func:`read_noisy_image` applies, with
    its errors and ``info``. The file is decoded once; the result is the only full-size float copy.

    Raises:
        ImageError: naming the file, as :func:`read_noisy_image`.
        TruncatedImageError: naming the file, when it is truncated and ``accept_truncated`` is false.
    """
    image, info = read_stored_pixels(path, accept_truncated=accept_truncated)
    if image.ndim == 2:
        return _grey_unit_float(path, image, info)
    info["converted"] = "alpha dropped" if image.shape[2] == 4 else None
    return _unit_float(path, image[:, :, 2::-1], info)  # BGR(A) -> RGB, a view


class OutputError(ValueError):
    """An output that must not be written (the input itself, an existing file, a name clash). Names the file."""


def write_image(path: str | Path, image: np.ndarray, *, bits: int = 8, overwrite: bool = True) -> Path:
    """Write a float [0, 1] HxW image as 8- or 16-bit grey (clipped, rounded), atomically; an HxWx3
    image (RGB) is written in colour. Beyond the file's pixels (:func:`quantize_image`) it takes a
    few megabytes, whatever the image's size.

    With ``overwrite=False`` an existing ``path`` (even one that appears while writing) is left
    alone and :class:`OutputError` raised.
    """
    import cv2

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"output must end in one of {', '.join(SUFFIXES)}. Received: {path.name}")
    peak, dtype = (255.0, np.uint8) if bits == 8 else (65535.0, np.uint16)
    if bits == 16 and path.suffix.lower() in (".jpg", ".jpeg"):
        peak, dtype = 255.0, np.uint8  # JPEG is 8-bit
    pixels = quantize_image(image, peak=peak, dtype=dtype)
    from .atomic import atomic_path

    try:
        with atomic_path(path, overwrite=overwrite) as tmp:
            if not cv2.imwrite(str(tmp), pixels):
                raise OSError(f"OpenCV could not write {path}")
    except FileExistsError:
        raise OutputError(f"{path} already exists; pass `overwrite=True` to replace it") from None
    return path


QUANTIZE_BAND = 1 << 18  # values per band of quantize_image: 2 MB of float64 at a time


def quantize_image(image: np.ndarray, *, peak: float, dtype) -> np.ndarray:
    """``image`` (float HxW, or HxWx3 RGB, on [0, 1]) as the pixels OpenCV writes: times ``peak``,
    rounded in float64, clipped to [0, ``peak``], as ``dtype`` (uint8 or uint16), colour in BGR order.

    Computed a band of rows at a time, so the only full-size array made is the result (the same
    values as on the whole image at once)."""
    out = np.empty(image.shape, dtype)
    band = max(1, QUANTIZE_BAND // max(1, image[0].size))
    for top in range(0, image.shape[0], band):
        rows = image[top:top + band].astype(np.float64)
        rows *= peak
        rows = np.clip(np.round(rows, out=rows), 0, peak, out=rows)
        out[top:top + band] = rows[:, :, ::-1] if rows.ndim == 3 else rows  # RGB -> OpenCV's BGR
    return out
