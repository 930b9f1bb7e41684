"""Faults and bad inputs: a hard kill mid-epoch, damaged checkpoints, staged publishing, fuzzed images."""

import os
import signal
import struct
import subprocess
import sys
import zlib
from dataclasses import replace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dncnn import config, reproduce  # noqa: E402
from dncnn.images import ImageError, read_image, read_noisy_image  # noqa: E402
from dncnn.io import save_npy  # noqa: E402
from dncnn.profiles import get_profile  # noqa: E402
from dncnn.train import train  # noqa: E402

TINY = replace(get_profile("smoke"), depth=4, filters=8, epochs=2, steps_per_epoch=3, batch_size=4)


@pytest.fixture
def patches_file(tmp_path):
    return save_npy(tmp_path / "patches.npy", np.random.default_rng(0).integers(0, 256, (64, 40, 40), dtype=np.uint8))


_DRIVER = """
import sys
from dataclasses import replace
import keras
from dncnn.profiles import get_profile
from dncnn.train import train

class PauseInSecondEpoch(keras.callbacks.Callback):
    # says where it is, then blocks, so the test kills it at a known point inside epoch 2
    def on_train_batch_end(self, batch, logs=None):
        if self.pause and self._epoch == 1 and batch == 2:
            print("inside epoch 2, step 3 of 8", flush=True)
            sys.stdin.read()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

profile = replace(get_profile("smoke"), depth=4, filters=8, batch_size=4, epochs=3, steps_per_epoch=8)
pause = PauseInSecondEpoch()
pause.pause = sys.argv[3] == "pause"
sidecar = train(profile, patches_path=sys.argv[1], run_dir=sys.argv[2], resume=sys.argv[3] == "resume",
                deterministic=True, verbose=0, tensorboard=False, callbacks=[pause])
print("steps", sidecar["steps"], flush=True)
"""


def _driver(patches, run_dir, mode):
    return [sys.executable, "-c", _DRIVER, str(patches), str(run_dir), mode]


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path):
    patches = save_npy(tmp_path / "p.npy", np.random.default_rng(1).integers(0, 256, (256, 40, 40), dtype=np.uint8))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    straight = tmp_path / "straight"
    subprocess.run(_driver(patches, straight, "straight"), env=env, check=True, capture_output=True, timeout=600)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_driver(patches, killed, "pause"), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()  # blocks until the run is paused inside epoch 2 (or has ended)
        assert line.startswith("inside epoch 2"), f"the run ended before it could be killed: {line!r}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert sorted(p.name for p in (killed / "checkpoints").glob("*.keras")) == ["epoch-001.keras"]
    assert not (killed / "model.keras").exists()
    result = subprocess.run(_driver(patches, killed, "resume"), env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "resuming from epoch-001.keras" in result.stderr and "steps 24" in result.stdout
    a = keras.models.load_model(straight / "model.keras", safe_mode=True)
    b = keras.models.load_model(killed / "model.keras", safe_mode=True)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.slow
def test_damaged_checkpoint_falls_back_to_the_previous_one_and_says_so(patches_file, tmp_path, capsys):
    run = tmp_path / "run"
    train(TINY, patches_path=patches_file, run_dir=run, verbose=0, tensorboard=False)
    last = run / "checkpoints" / "epoch-002.keras"
    last.write_bytes(last.read_bytes()[: len(last.read_bytes()) // 2])  # truncated
    sidecar = train(replace(TINY, epochs=3), patches_path=patches_file, run_dir=run, resume=True, verbose=0, tensorboard=False)
    err = capsys.readouterr().err
    assert "epoch-002.keras cannot be loaded" in err and "resuming from epoch-001.keras" in err
    assert sidecar["epochs"] == 3 and sidecar["steps"] == 9


@pytest.mark.slow
def test_no_loadable_checkpoint_is_an_error_not_a_silent_restart(patches_file, tmp_path):
    run = tmp_path / "run"
    train(replace(TINY, epochs=1), patches_path=patches_file, run_dir=run, verbose=0, tensorboard=False)
    (run / "checkpoints" / "epoch-001.keras").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(RuntimeError, match="no checkpoint .* can be loaded"):
        train(TINY, patches_path=patches_file, run_dir=run, resume=True, verbose=0, tensorboard=False)


@pytest.mark.slow
def test_a_failing_notebook_leaves_the_published_tables_alone(tmp_path, monkeypatch):
    import nbformat

    results = tmp_path / "results"
    monkeypatch.setattr(config, "RESULTS_DIR", results)
    monkeypatch.setattr(config, "FIGURES_DIR", tmp_path / "figures")
    monkeypatch.setattr(config, "BUILD_DIR", tmp_path / "build")
    (results / "smoke").mkdir(parents=True)
    (results / "smoke" / "summary.csv").write_text("previous run\n")

    def notebook(name, code):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell('profile = "smoke"')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(code)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    writes = notebook("01-writes.ipynb", "from dncnn import config, io\nio.save_text(config.results_dir(profile) / 'summary.csv', 'partial\\n')")
    fails = notebook("02-fails.ipynb", "raise ValueError('half-way')")
    with pytest.raises(reproduce.NotebookFailed, match="02-fails.ipynb failed in cell"):
        reproduce.reproduce("smoke", notebooks=[writes, fails])
    assert (results / "smoke" / "summary.csv").read_text() == "previous run\n"
    reproduce.reproduce("smoke", notebooks=[writes])
    assert (results / "smoke" / "summary.csv").read_text() == "partial\n"


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def test_a_header_claiming_a_huge_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "huge.png"
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)  # 3.6 gigapixels, grey
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 100))
                     + _png_chunk(b"IEND", b""))
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


@pytest.fixture(scope="module")
def valid_png(tmp_path_factory):
    import cv2

    path = tmp_path_factory.mktemp("png") / "ok.png"
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 256, (40, 50), dtype=np.uint8))
    return path.read_bytes()


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


@pytest.mark.parametrize("args,message", [
    (["--sigma", "-5"], "sigma must be in [0, 255]"),
    (["--sigma", "300"], "sigma must be in [0, 255]"),
    (["--model", "dncnn_s_sigma30"], "unknown model 'dncnn_s_sigma30': allowed are"),
])
def test_denoise_parameters_out_of_range_are_refused(args, message, tmp_path, valid_png):
    noisy = tmp_path / "in.png"
    noisy.write_bytes(valid_png)
    result = subprocess.run([sys.executable, "-m", "dncnn", "denoise", str(noisy), str(tmp_path / "out.png"), *args],
                            capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 1 and message in result.stderr
    assert not (tmp_path / "out.png").exists()
