"""Reading image files: clear errors for files that cannot work, truncated files refused."""

import struct
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncnn.files.images import DECODER_MAX_PIXELS, ImageError, TruncatedImageError, check_header, read_image, read_noisy_image
from helpers import SIDE, noisy_ramp, truncate_file, write_image_file


def _forge_size(path, width: int, height: int):
    """Write into ``path``'s header (PNG IHDR, JPEG SOF0, TIFF tags 256/257) another size; the data stays."""
    data = bytearray(path.read_bytes())
    if path.suffix == ".png":
        data[16:24] = struct.pack(">II", width, height)
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # a valid CRC: only the size is forged
    elif path.suffix == ".jpg":
        sof = data.index(b"\xff\xc0")
        data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    else:
        (ifd,) = struct.unpack("<I", data[4:8])
        (count,) = struct.unpack("<H", data[ifd:ifd + 2])
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            (tag,) = struct.unpack("<H", data[entry:entry + 2])
            if tag in (256, 257):  # ImageWidth, ImageLength: one LONG each
                data[entry + 2:entry + 12] = struct.pack("<HII", 4, 1, width if tag == 256 else height)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("suffix,side", [  # a few kB claiming side x side pixels: beyond what OpenCV decodes, or within it
    (".png", 100_000), (".tif", 100_000), (".jpg", 65_000), (".png", 30_000), (".tif", 30_000), (".jpg", 30_000)])
def test_a_header_the_files_size_cannot_back_is_refused_before_decoding(tmp_path, suffix, side):
    path = _forge_size(write_image_file(tmp_path / f"huge{suffix}", noisy_ramp()), side, side)  # a few kB claiming side x side
    reason = "OpenCV decodes" if side * side > DECODER_MAX_PIXELS else "bytes can hold"
    for reader in (read_image, read_noisy_image):
        with pytest.raises(ImageError, match=rf"huge\{suffix} claims {side}x{side} pixels, more than .*{reason}"):
            reader(path)


def test_a_real_photo_of_108_megapixels_passes_the_header_check(tmp_path):
    rows = (np.arange(9000) // 100).astype(np.uint8)[:, None]
    path = tmp_path / "photo.jpg"
    assert cv2.imwrite(str(path), rows + (np.arange(12000) // 100).astype(np.uint8)[None, :])  # smooth, 12000x9000
    check_header(path)  # the header and the file's size only: nothing is decoded


def test_the_most_compressible_real_files_pass_the_size_check(tmp_path):
    from PIL import Image

    blank = Image.new("1", (4000, 4000), 0)  # 1 bit per pixel, all equal: what compresses best
    blank.save(tmp_path / "blank.png", optimize=True, compress_level=9)
    for compression in ("raw", "packbits", "tiff_lzw", "tiff_adobe_deflate"):
        blank.save(tmp_path / f"blank-{compression}.tif", compression=compression)
    flat = np.full((4096, 4096), 128, np.uint8)
    cv2.imwrite(str(tmp_path / "flat.jpg"), flat, [cv2.IMWRITE_JPEG_QUALITY, 5, cv2.IMWRITE_JPEG_OPTIMIZE, 1,
                                                   cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    for path in sorted(tmp_path.iterdir()):
        check_header(path)


def test_a_png_with_a_bad_crc_is_refused_naming_the_file_and_the_chunk(tmp_path, valid_png):
    data = bytearray(valid_png)
    idat = data.index(b"IDAT") - 4
    data[idat + 18] ^= 0xFF  # one byte of the image data flipped in a copy
    path = tmp_path / "bad-crc.png"
    path.write_bytes(bytes(data))
    for reader in (read_image, read_noisy_image):
        with pytest.raises(ImageError, match=rf"bad-crc.png is damaged: its IDAT chunk at byte {idat} fails its CRC check"):
            reader(path)


def test_the_decoders_own_warning_lines_stay_off_the_terminal(tmp_path, capfd):
    path = write_image_file(tmp_path / "extra.jpg", noisy_ramp())
    data = path.read_bytes()
    path.write_bytes(data[:-2] + b"\x12\x34" + data[-2:])  # libjpeg: "Corrupt JPEG data: extraneous bytes before marker"
    image, info = read_noisy_image(path)
    assert image.shape == (SIDE, SIDE) and info["truncated"] is None
    assert capfd.readouterr().err == ""


def test_palette_16_bit_and_rgba_images_are_converted_or_refused_as_documented(tmp_path):
    import cv2
    from PIL import Image

    grey16 = (np.arange(64 * 48).reshape(48, 64) * 20).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), grey16)
    image, info = read_noisy_image(tmp_path / "g16.png")
    assert info == {"converted": None, "truncated": None, "bits": 16, "oriented": None} and image.max() == pytest.approx(grey16.max() / 65535)
    with pytest.raises(ImageError, match="uint16 pixels; 8-bit was expected"):
        read_image(tmp_path / "g16.png")
    Image.fromarray(np.arange(48 * 64, dtype=np.uint8).reshape(48, 64) % 7, mode="L").convert("P").save(tmp_path / "pal.png")
    image, info = read_noisy_image(tmp_path / "pal.png")
    assert image.shape == (48, 64)
    rgba = np.dstack([np.full((20, 30), v, np.uint8) for v in (10, 20, 30, 255)])
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    _, info = read_noisy_image(tmp_path / "rgba.png")
    assert "alpha dropped" in info["converted"]
    with pytest.raises(ImageError, match="4 channels; an 8-bit grey image"):
        read_image(tmp_path / "rgba.png")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.one_of(st.binary(max_size=2000), st.integers(min_value=0, max_value=10**6).map(lambda n: ("cut", n))))
def test_fuzzed_files_give_a_clear_error_or_an_image(blob, valid_png, tmp_path):
    path = tmp_path / "fuzz.png"
    cut = isinstance(blob, tuple)
    path.write_bytes(valid_png[: blob[1] % len(valid_png)] if cut else blob)
    for reader in (read_image, read_noisy_image):
        try:
            out = reader(path)
        except ImageError as err:
            assert str(path) in str(err)
        else:  # every proper prefix of a PNG is refused (even one missing only its IEND chunk)
            assert not cut, f"a {blob[1] % len(valid_png)}-byte prefix of a {len(valid_png)}-byte PNG was accepted"
            image = out[0] if isinstance(out, tuple) else out
            assert image.ndim == 2 and image.size > 0


@pytest.mark.parametrize("kind,message", [("empty", "is empty"), ("junk", "not an image"), ("tiny", "is 2x2; at least 8x8")])
def test_bad_inputs_get_a_clear_error(user_images, kind, message):
    _, paths = user_images
    with pytest.raises(ImageError, match=message):
        read_noisy_image(paths[kind])


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_a_truncated_file_is_refused_by_every_reader(tmp_path, suffix):
    path = truncate_file(write_image_file(tmp_path / f"cut{suffix}", noisy_ramp()))
    for reader in (read_image, read_noisy_image):
        with pytest.raises(TruncatedImageError, match=rf"cut\{suffix} is truncated: "):
            reader(path)


@pytest.mark.parametrize("suffix,cut,message", [
    (".png", 2, "before its IEND chunk"),  # all pixels present, the file still ends early
    (".jpg", 2, "end-of-image marker"),
    (".tif", 30, "bytes of image data present"),
])
def test_a_file_missing_only_its_last_bytes_is_refused(tmp_path, suffix, cut, message):
    path = write_image_file(tmp_path / f"short{suffix}", noisy_ramp())
    path.write_bytes(path.read_bytes()[:-cut])
    with pytest.raises(TruncatedImageError, match=message):
        read_noisy_image(path)


def test_a_tiff_whose_directory_is_cut_off_is_called_truncated(tmp_path):
    path = tmp_path / "cv.tif"
    cv2.imwrite(str(path), noisy_ramp())  # OpenCV writes the directory after the pixels
    truncate_file(path, 0.9)
    with pytest.raises(TruncatedImageError, match="cv.tif is truncated: its image directory"):
        read_noisy_image(path)


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_complete_files_still_read_and_bytes_after_a_jpeg_end_are_harmless(tmp_path, suffix):
    path = write_image_file(tmp_path / f"ok{suffix}", noisy_ramp())
    if suffix == ".jpg":
        path.write_bytes(path.read_bytes() + b"trailing bytes some cameras append")
    image, info = read_noisy_image(path)
    assert image.shape == (SIDE, SIDE) and info["truncated"] is None


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_accepting_a_truncated_file_says_how_many_rows_are_missing(tmp_path, suffix):
    original = noisy_ramp()
    path = truncate_file(write_image_file(tmp_path / f"cut{suffix}", original))
    image, info = read_noisy_image(path, accept_truncated=True)
    assert image.shape == (SIDE, SIDE)
    assert "is truncated" in info["truncated"] and "could not be decoded" in info["truncated"]
    missing = int(info["truncated"].split("; ")[-1].split(" of ")[0])
    assert SIDE // 8 <= missing <= SIDE - 8, info["truncated"]  # about half the file is gone
    top = SIDE - missing - 8  # rows well above the cut are the file's own
    tolerance = 40 if suffix == ".jpg" else 0  # JPEG is lossy
    assert np.abs(image[:top] * 255.0 - original[:top]).max() <= tolerance


# --- EXIF orientation: read upright, as viewers show the file ---

def _photo(shape, seed=0) -> np.ndarray:
    """A uint8 picture with no symmetry (a ramp and noise), HxW or HxWx3."""
    rng = np.random.default_rng(seed)
    ramp = np.add.outer(np.arange(shape[0]) * 0.3, np.arange(shape[1]) * 0.1)
    ramp = ramp[..., None] * (1, 0.6, 0.3) if len(shape) == 3 else ramp
    return np.clip(ramp + rng.normal(0, 8, shape), 0, 255).astype(np.uint8)


def _save_with_orientation(path, pixels: np.ndarray, orientation: int | None):
    """Save ``pixels`` (RGB or grey) with Pillow, with the EXIF orientation tag (274) when given."""
    from PIL import Image

    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, **({"quality": 90} if path.suffix == ".jpg" else {}), exif=exif.tobytes())
    return path


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
def test_every_exif_orientation_is_read_as_pillows_exif_transpose_shows_it(tmp_path, orientation, colour):
    from PIL import Image, ImageOps

    from dncnn.files.images import read_noisy_colour_image

    path = _save_with_orientation(tmp_path / "tagged.png", _photo((24, 40, 3) if colour else (24, 40)), orientation)
    with Image.open(path) as image:
        shown = np.asarray(ImageOps.exif_transpose(image)).astype(np.float32) / 255  # Pillow's reading: the reference
    read = read_noisy_colour_image(path) if colour else read_noisy_image(path)
    assert read[0].shape == shown.shape and np.array_equal(read[0], shown)
    assert (read[1]["oriented"] is None) == (orientation == 1)


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
def test_a_sideways_jpeg_is_read_upright_and_says_so(tmp_path, colour):
    """The issue's photo: a 384x512 JPEG stored sideways (EXIF orientation 6, turn 90 degrees clockwise)."""
    from dncnn.files.images import read_noisy_colour_image

    reader = read_noisy_colour_image if colour else read_noisy_image
    pixels = _photo((384, 512, 3) if colour else (384, 512))
    stored, info_stored = reader(_save_with_orientation(tmp_path / "stored.jpg", pixels, None))
    upright, info = reader(_save_with_orientation(tmp_path / "sideways.jpg", pixels, 6))
    assert stored.shape[:2] == (384, 512) and upright.shape[:2] == (512, 384) and upright.flags.c_contiguous
    assert np.array_equal(upright, np.rot90(stored, -1))  # the same JPEG data, turned clockwise
    assert info_stored["oriented"] is None and "EXIF orientation 6" in info["oriented"] and "upright" in info["oriented"]


def test_a_colour_photo_is_decoded_once_into_one_float_copy(tmp_path):
    """Reading keeps colour with one float32 array beside the decoded bytes (it once decoded the
    file twice and made two float copies)."""
    import tracemalloc

    from dncnn.files.images import read_noisy_colour_image

    photo = _photo((900, 1200, 3))
    cv2.imwrite(str(tmp_path / "photo.jpg"), photo)
    read_noisy_colour_image(tmp_path / "photo.jpg")  # imports: not the image's memory
    tracemalloc.start()
    try:
        image, _ = read_noisy_colour_image(tmp_path / "photo.jpg")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert image.shape == photo.shape and image.dtype == np.float32
    assert peak < 1.5 * image.nbytes, f"peak {peak / 1e6:.1f} MB for a {image.nbytes / 1e6:.1f} MB float32 image"
