"""The denoise command never damages or loses a user's image, and denoises many files at once.

Truncated JPEG/PNG/TIFF files are refused (or accepted with a flag and a warning saying how much is
missing), the input is never written over, an existing file only with --overwrite, and folder mode
loads the model once, keeps going past a bad file, reports it and exits 1, leaving no partial file.
A tiny deploy-form network (4 layers, 8 filters) keeps the tests fast.
"""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn import denoise  # noqa: E402
from dncnn.images import TruncatedImageError, read_image, read_noisy_image  # noqa: E402
from dncnn.io import atomic_path  # noqa: E402
from dncnn.model import build_dncnn  # noqa: E402

SIDE = 64


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    build_dncnn(4, 8, batch_norm=False, seed=0).save(path)
    return path


def _noisy(seed: int = 0) -> np.ndarray:
    """A 64x64 uint8 grey image: a smooth ramp with seeded noise."""
    ramp = np.add.outer(np.arange(SIDE), np.arange(SIDE)) * (200 / (2 * SIDE)) + 28
    noise = np.random.default_rng(seed).normal(0, 25, (SIDE, SIDE))
    return np.clip(np.round(ramp + noise), 0, 255).astype(np.uint8)


def _write(path: Path, image: np.ndarray) -> Path:
    """PNG and JPEG by OpenCV; TIFF by Pillow (directory before the strips, as many cameras write)."""
    if path.suffix == ".tif":
        from PIL import Image

        Image.fromarray(image).save(path)
    else:
        assert cv2.imwrite(str(path), image)
    return path


def _truncated(path: Path, fraction: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def _no_partial_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if ".part" in p.name]


def _run(argv, capsys):
    code = denoise.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ---- truncated files -------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_a_truncated_file_is_refused_by_every_reader(tmp_path, suffix):
    path = _truncated(_write(tmp_path / f"cut{suffix}", _noisy()))
    for reader in (read_image, read_noisy_image):
        with pytest.raises(TruncatedImageError, match=rf"cut\{suffix} is truncated: "):
            reader(path)


@pytest.mark.parametrize("suffix,cut,message", [
    (".png", 2, "before its IEND chunk"),  # all pixels present, the file still ends early
    (".jpg", 2, "end-of-image marker"),
    (".tif", 30, "bytes of image data present"),
])
def test_a_file_missing_only_its_last_bytes_is_refused(tmp_path, suffix, cut, message):
    path = _write(tmp_path / f"short{suffix}", _noisy())
    path.write_bytes(path.read_bytes()[:-cut])
    with pytest.raises(TruncatedImageError, match=message):
        read_noisy_image(path)


def test_a_tiff_whose_directory_is_cut_off_is_called_truncated(tmp_path):
    path = tmp_path / "cv.tif"
    cv2.imwrite(str(path), _noisy())  # OpenCV writes the directory after the pixels
    _truncated(path, 0.9)
    with pytest.raises(TruncatedImageError, match="cv.tif is truncated: its image directory"):
        read_noisy_image(path)


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_complete_files_still_read_and_bytes_after_a_jpeg_end_are_harmless(tmp_path, suffix):
    path = _write(tmp_path / f"ok{suffix}", _noisy())
    if suffix == ".jpg":
        path.write_bytes(path.read_bytes() + b"trailing bytes some cameras append")
    image, info = read_noisy_image(path)
    assert image.shape == (SIDE, SIDE) and info["truncated"] is None


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_accepting_a_truncated_file_says_how_many_rows_are_missing(tmp_path, suffix):
    original = _noisy()
    path = _truncated(_write(tmp_path / f"cut{suffix}", original))
    image, info = read_noisy_image(path, accept_truncated=True)
    assert image.shape == (SIDE, SIDE)
    assert "is truncated" in info["truncated"] and "could not be decoded" in info["truncated"]
    missing = int(info["truncated"].split("; ")[-1].split(" of ")[0])
    assert SIDE // 8 <= missing <= SIDE - 8, info["truncated"]  # about half the file is gone
    top = SIDE - missing - 8  # rows well above the cut are the file's own
    tolerance = 40 if suffix == ".jpg" else 0  # JPEG is lossy
    assert np.abs(image[:top] * 255.0 - original[:top]).max() <= tolerance


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_cli_refuses_a_truncated_file_and_accepts_it_with_the_flag(tmp_path, weights, capsys, suffix):
    path = _truncated(_write(tmp_path / f"cut{suffix}", _noisy()))
    out = tmp_path / f"out{suffix}"
    code, _, err = _run([path, out, "--weights", weights], capsys)
    assert code == 1 and err.startswith("error: ") and f"cut{suffix} is truncated" in err and "--accept-truncated" in err
    assert not out.exists() and _no_partial_files(tmp_path)
    code, stdout, err = _run([path, out, "--weights", weights, "--accept-truncated"], capsys)
    assert code == 0 and out.exists() and "denoised" in stdout
    assert "warning: " in err and f"cut{suffix} is truncated" in err and "rows (" in err and "could not be decoded" in err
    assert cv2.imread(str(out), cv2.IMREAD_UNCHANGED).shape == (SIDE, SIDE)


# ---- overwriting ------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [[], ["--overwrite"]])
def test_writing_over_the_input_is_refused_even_with_overwrite(tmp_path, weights, capsys, extra):
    path = _write(tmp_path / "only-copy.png", _noisy())
    before = path.read_bytes()
    same = tmp_path / "sub" / ".." / "only-copy.png"  # the same file under another spelling
    (tmp_path / "sub").mkdir()
    for target in (path, same):
        code, _, err = _run([path, target, "--weights", weights, *extra], capsys)
        assert code == 1 and "is the input itself" in err and "only-copy.png" in err
    assert path.read_bytes() == before and _no_partial_files(tmp_path)


def test_an_existing_output_is_kept_without_overwrite_and_replaced_with_it(tmp_path, weights, capsys):
    noisy = _write(tmp_path / "noisy.png", _noisy())
    out = tmp_path / "clean.png"
    out.write_bytes(b"the user's earlier result")
    code, _, err = _run([noisy, out, "--weights", weights], capsys)
    assert code == 1 and "clean.png already exists; pass --overwrite" in err
    assert out.read_bytes() == b"the user's earlier result"
    code, _, _ = _run([noisy, out, "--weights", weights, "--overwrite"], capsys)
    assert code == 0 and cv2.imread(str(out), cv2.IMREAD_UNCHANGED).shape == (SIDE, SIDE)
    assert _no_partial_files(tmp_path)


def test_no_clobber_publishing_loses_to_a_file_that_appears_while_writing(tmp_path):
    target = tmp_path / "race.png"
    with pytest.raises(FileExistsError, match="race.png already exists"):
        with atomic_path(target, overwrite=False) as tmp:
            tmp.write_bytes(b"ours")
            target.write_bytes(b"theirs")  # another program got there first
    assert target.read_bytes() == b"theirs" and _no_partial_files(tmp_path)


# ---- folders ----------------------------------------------------------------------------------

@pytest.fixture
def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, name in enumerate(["a.png", "b.jpg", "d.tif"]):
        _write(folder / name, _noisy(i))
    _truncated(_write(folder / "c.png", _noisy(9)))  # the bad one, in the middle
    (folder / "notes.txt").write_text("not an image: ignored")
    (folder / ".hidden.png").write_bytes(b"a hidden file: ignored")
    return folder


def test_folder_mode_keeps_going_past_a_bad_file_and_reports_it(photo_folder, tmp_path, weights, capsys, monkeypatch):
    loads = []
    real = denoise.load_denoiser
    monkeypatch.setattr(denoise, "load_denoiser", lambda **kw: loads.append(kw) or real(**kw))
    extra = _write(tmp_path / "extra.png", _noisy(5))
    out_dir = tmp_path / "clean"
    code, stdout, err = _run([photo_folder, extra, "--out-dir", out_dir, "--weights", weights], capsys)
    assert code == 1 and len(loads) == 1  # one model for all images
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.png", "b.jpg", "d.tif", "extra.png"]
    assert "denoised 4 of 5 images" in stdout
    assert "1 of 5 inputs failed" in err and f"{photo_folder / 'c.png'}: " in err and "is truncated" in err
    assert _no_partial_files(tmp_path)
    code, stdout, err = _run([photo_folder / "a.png", "--out-dir", out_dir, "--weights", weights], capsys)
    assert code == 1 and "a.png already exists; pass --overwrite" in err  # batch mode does not overwrite either
    code, stdout, err = _run([photo_folder / "a.png", extra, "--out-dir", out_dir, "--weights", weights, "--overwrite"], capsys)
    assert code == 0 and "denoised 2 of 2 images" in stdout


def test_folder_mode_refuses_inputs_that_would_write_the_same_output(tmp_path, weights, capsys):
    for folder in ("day1", "day2"):
        (tmp_path / folder).mkdir()
        _write(tmp_path / folder / "img.png", _noisy())
    out_dir = tmp_path / "clean"
    code, _, err = _run([tmp_path / "day1", tmp_path / "day2", "--out-dir", out_dir, "--weights", weights], capsys)
    assert code == 1 and "same name" in err and "day1/img.png and" in err and "day2/img.png" in err
    assert not out_dir.exists() or not list(out_dir.iterdir())


def test_folder_mode_into_the_input_folder_refuses_each_file(photo_folder, weights, capsys):
    before = {p.name: p.read_bytes() for p in photo_folder.iterdir()}
    code, _, err = _run([photo_folder, "--out-dir", photo_folder, "--weights", weights, "--overwrite"], capsys)
    assert code == 1 and err.count("is the input itself") == 4  # checked before reading, so c.png too
    assert {p.name: p.read_bytes() for p in photo_folder.iterdir()} == before


def test_an_interrupted_batch_leaves_complete_outputs_only(photo_folder, tmp_path, weights, capsys, monkeypatch):
    real, calls = denoise.denoise_tiled, []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(denoise, "denoise_tiled", interrupt_second)
    out_dir = tmp_path / "clean"
    code, _, err = _run([photo_folder, "--out-dir", out_dir, "--weights", weights], capsys)
    assert code == 130 and "interrupted" in err
    assert [p.name for p in out_dir.iterdir()] == ["a.png"] and _no_partial_files(tmp_path)


@pytest.mark.slow  # a subprocess importing TensorFlow: about 7 s
def test_cli_folder_mode_end_to_end_with_a_progress_bar(photo_folder, tmp_path, weights):
    out_dir = tmp_path / "clean"
    result = subprocess.run([sys.executable, "-m", "dncnn", "denoise", str(photo_folder), "--out-dir", str(out_dir),
                             "--weights", str(weights)], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "denoising" in result.stderr and "4/4" in result.stderr  # tqdm's bar
    assert "c.png" in result.stderr.split("inputs failed:")[1]
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.png", "b.jpg", "d.tif"]
