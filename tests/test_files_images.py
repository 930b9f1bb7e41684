"""Reading image files: clear errors for files that cannot work, truncated files refused."""

import struct
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncnn.files.images import ImageError, TruncatedImageError, read_image, read_noisy_image
from helpers import SIDE, noisy_ramp, png_chunk, truncate_file, write_image_file


def test_a_header_claiming_a_huge_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "huge.png"
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)  # 3.6 gigapixels, grey
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 100))
                     + png_chunk(b"IEND", b""))
    for reader in (read_image, read_noisy_image):
        with pytest.raises(ImageError, match="huge.png claims"):
            reader(path)


def test_palette_16_bit_and_rgba_images_are_converted_or_refused_as_documented(tmp_path):
    import cv2
    from PIL import Image

    grey16 = (np.arange(64 * 48).reshape(48, 64) * 20).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), grey16)
    image, info = read_noisy_image(tmp_path / "g16.png")
    assert info == {"converted": None, "truncated": None, "bits": 16} and image.max() == pytest.approx(grey16.max() / 65535)
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
