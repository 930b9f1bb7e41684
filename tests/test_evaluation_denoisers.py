"""Every denoiser: BM3D (reproducible, parallel, cached), the authors' and our networks."""

import numpy as np
import pytest

from dncnn.data.noise import add_gaussian_noise
from dncnn.model import reference
from dncnn.model import weights as M
from dncnn.evaluation.denoisers import BM3DDenoiser, KerasDenoiser, denoise_bm3d, shipped_denoiser
from dncnn.evaluation.metrics import compute_psnr
from dncnn.model.catalog import get_entry


def test_bm3d_beats_the_noisy_input_and_is_cached(crops, tmp_path):
    names, images = crops
    bm3d = BM3DDenoiser(cache_dir=tmp_path)
    noisy = add_gaussian_noise(images[0], 25, seed=0)
    estimate = bm3d(noisy, 25)
    assert estimate.shape == images[0].shape and estimate.dtype == np.float32
    assert compute_psnr(images[0], estimate) > compute_psnr(images[0], noisy) + 3
    assert len(list(tmp_path.glob("*.npy"))) == 1
    np.testing.assert_array_equal(bm3d(noisy, 25), estimate)
    assert len(list(tmp_path.glob("*.npy"))) == 1


def test_bm3d_gives_identical_bytes_on_every_call(noisy_crops):
    outputs = [denoise_bm3d(noisy_crops[0][:48, :48], 25).tobytes() for _ in range(3)]
    assert outputs[0] == outputs[1] == outputs[2]


def test_bm3d_in_parallel_processes_equals_one_process(noisy_crops):
    small = [crop[:48, :48] for crop in noisy_crops]  # the size does not matter here: the processes do
    serial = BM3DDenoiser(cache_dir=None, workers=1).denoise_many(small, 25)
    parallel = BM3DDenoiser(cache_dir=None, workers=2).denoise_many(small, 25)
    assert len(serial) == len(parallel) == 3
    for (a, _), (b, _) in zip(serial, parallel):
        assert a.dtype == np.float32 and a.tobytes() == b.tobytes()
    assert serial[0][0].tobytes() != serial[1][0].tobytes()  # the order is kept, not one result repeated


def test_bm3d_workers_setting_is_validated(monkeypatch):
    monkeypatch.setenv("DNCNN_BM3D_WORKERS", "3")
    assert BM3DDenoiser(cache_dir=None).workers == 3
    with pytest.raises(ValueError, match="workers must be >= 1"):
        BM3DDenoiser(cache_dir=None, workers=0)


@pytest.mark.slow
def test_sigma25_weights_denoise_bsd68_images(weights_dir, raw_dir, monkeypatch):
    from dncnn.data import datasets as data

    monkeypatch.setenv(reference.WEIGHTS_MIRROR_ENV, str(weights_dir))
    denoiser = KerasDenoiser(reference.load_reference_model(weights_dir / "dncnn_s_sigma25.mat"))
    _, images = data.load_dataset("BSD68", root=raw_dir, limit=3)
    gains = []
    for index, image in enumerate(images):
        clean = data.crop_center(image, 160)  # a sixth of the pixels: the weights show as well
        noisy = add_gaussian_noise(clean, 25, seed=0, index=index)
        gains.append(compute_psnr(clean, denoiser(noisy, 25)) - compute_psnr(clean, noisy))
    # the released model gains about 9 dB on BSD68 on average at sigma 25, less on textured images; on these
    # central crops 6.0, 7.0 and 7.2 dB (8.2 dB on average on the whole images)
    assert min(gains) > 4 and np.mean(gains) > 6, gains


@pytest.mark.slow
def test_the_shipped_model_denoises_like_its_unfolded_self(bsd68_crops):
    keras = pytest.importorskip("keras")
    denoiser = shipped_denoiser("dncnn-s-sigma25")
    assert denoiser.name == get_entry("ours").name and denoiser.trained_sigma == 25.0
    assert denoiser.weights == "loaded: weights/dncnn-s-sigma25.keras"  # the tables say it was loaded, not trained
    trained = M.load_shipped_model("dncnn-s-sigma25")
    for index, clean in enumerate(bsd68_crops):
        noisy = add_gaussian_noise(clean, 25, seed=0, index=index)
        estimate = denoiser(noisy, 25)
        direct = keras.ops.convert_to_numpy(trained(noisy[None, :, :, None], training=False))[0, :, :, 0]
        assert np.abs(estimate - direct).max() < 1e-4  # batch norm folded: same outputs up to rounding
        # a converged sigma-25 model gains about 9 dB on BSD68 on average, less on these textured crops
        assert compute_psnr(clean, estimate) > compute_psnr(clean, noisy) + 5


# BM3D against an independent computation: the bm3d package called here directly, with the noise level
# on the [0, 1] scale of the image (sigma / 255) and bm3d's default profile on one thread.

def _bm3d_direct(noisy, sigma, *, colour=False):
    import bm3d
    from bm3d.profiles import BM3DProfile

    profile = BM3DProfile()
    profile.num_threads = 1
    call = bm3d.bm3d_rgb if colour else bm3d.bm3d
    return np.asarray(call(noisy, sigma_psd=sigma / 255.0, profile=profile), dtype=np.float32)


@pytest.mark.parametrize("sigma", [15.0, 50.0])
def test_bm3d_wrapper_equals_bm3d_called_directly_with_sigma_over_255(noisy_crops, sigma):
    import bm3d

    noisy = noisy_crops[1][:48, :48]
    direct = _bm3d_direct(noisy, sigma)
    np.testing.assert_array_equal(denoise_bm3d(noisy, sigma), direct)
    np.testing.assert_array_equal(BM3DDenoiser(cache_dir=None, workers=1)(noisy, sigma), direct)
    # bm3d's own default call (profile "np" on every thread, whose sums and block matches may come in
    # another order): within half a grey level everywhere and 1e-4 on average
    threaded = np.abs(bm3d.bm3d(noisy, sigma / 255.0) - direct)
    assert threaded.max() < 0.5 / 255 and threaded.mean() < 1e-4
    # told twice the sigma, BM3D gives another image, far outside those bounds
    doubled = np.abs(_bm3d_direct(noisy, 2 * sigma) - direct)
    assert doubled.max() > 2 / 255 and doubled.mean() > 1e-3


def test_bm3d_rows_of_a_table_score_what_bm3d_gives_on_the_protocols_noisy_input(crops, tmp_path):
    from skimage.metrics import peak_signal_noise_ratio

    from dncnn.evaluation.protocol import evaluate_denoisers

    names, images = crops
    images = [image[:64, :64] for image in images]
    rows = evaluate_denoisers([BM3DDenoiser(cache_dir=tmp_path, workers=1)], images, names, dataset="BSD68", sigma=25.0,
                              seed=0, progress=False)
    for index, (image, row) in enumerate(zip(images, rows)):
        z = np.random.default_rng([0, index]).standard_normal(image.shape)  # the protocol's noise, written out
        noisy = image.astype(np.float32) / np.float32(255.0) + np.float32(25.0 / 255.0) * z.astype(np.float32)
        estimate = np.round(np.clip(_bm3d_direct(noisy, 25.0), 0, 1) * 255.0).astype(np.uint8)
        expected = peak_signal_noise_ratio(image, estimate, data_range=255)
        assert row["method"] == "BM3D" and row["image"] == names[index]
        assert row["psnr"] == pytest.approx(expected, abs=1e-6)


def test_a_changed_sigma_misses_the_bm3d_cache(noisy_crops, tmp_path):
    from dncnn.files.atomic import save_npy

    noisy = noisy_crops[0][:48, :48]
    bm3d = BM3DDenoiser(cache_dir=tmp_path, workers=1)
    bm3d(noisy, 25.0)
    (cached,) = tmp_path.glob("*.npy")
    planted = np.full(noisy.shape, 0.5, np.float32)
    save_npy(cached, planted)  # what the cache holds is what a hit returns...
    np.testing.assert_array_equal(bm3d(noisy, 25.0), planted)
    at_26 = bm3d(noisy, 26.0)  # ...and another sigma is never served from it
    np.testing.assert_array_equal(at_26, _bm3d_direct(noisy, 26.0))
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test_the_bm3d_cache_key_holds_the_input_the_code_the_sigma_and_every_setting(noisy_crops, monkeypatch, tmp_path):
    from bm3d.profiles import BM3DProfile

    from dncnn.evaluation import denoisers
    from dncnn.evaluation.colour import ColourBM3DDenoiser

    noisy = np.ascontiguousarray(noisy_crops[0][:48, :48])
    key = denoisers.bm3d_cache_key(noisy, 25.0, worker="w")
    assert key == denoisers.bm3d_cache_key(noisy.copy(), 25.0, worker="w")  # the same input and settings: a hit
    changed = noisy.copy()
    changed[0, 0] += np.float32(1e-3)
    others = [denoisers.bm3d_cache_key(changed, 25.0, worker="w"),  # another pixel
              denoisers.bm3d_cache_key(noisy.reshape(24, 96), 25.0, worker="w"),  # the same bytes, another shape
              denoisers.bm3d_cache_key(noisy, 25.000001, worker="w"),  # another sigma
              denoisers.bm3d_cache_key(noisy, 25.0, worker="v")]  # other code
    monkeypatch.setattr(BM3DProfile, "gamma", 4.0)  # another profile setting
    others.append(denoisers.bm3d_cache_key(noisy, 25.0, worker="w"))
    monkeypatch.undo()
    real = denoisers.bm3d_arguments
    monkeypatch.setattr(denoisers, "bm3d_arguments", lambda sigma: {**real(sigma), "sigma_psd": sigma / 127.5})
    others.append(denoisers.bm3d_cache_key(noisy, 25.0, worker="w"))  # another sigma_psd for the same sigma
    monkeypatch.undo()
    assert len({key, *others}) == len(others) + 1
    # grey and colour BM3D never read each other's results, even from one folder
    rgb = np.ascontiguousarray(np.repeat(noisy[:, :16, None], 3, axis=2).reshape(48, 48))
    assert BM3DDenoiser(cache_dir=tmp_path)._cache_path(rgb, 25.0) != ColourBM3DDenoiser(cache_dir=tmp_path)._cache_path(rgb, 25.0)


def test_the_compiled_predict_traces_once_for_every_image_shape_and_matches_the_plain_call():
    """One compiled predict per model: images of several shapes and batch sizes never retrace it
    (TensorFlow's retracing warning reached the pages of notebook 06), and each output equals the
    model's own call."""
    import keras

    from dncnn.evaluation.denoisers import compile_predict
    from dncnn.model.network import build_dncnn

    keras.utils.set_random_seed(0)
    model = build_dncnn(depth=3, filters=8)
    predict = compile_predict(model)
    rng = np.random.default_rng(0)
    for shape in [(1, 21, 17, 1), (1, 17, 21, 1), (2, 9, 9, 1), (1, 32, 32, 1)]:
        x = rng.random(shape, dtype=np.float32)
        np.testing.assert_allclose(predict(x), keras.ops.convert_to_numpy(model(x, training=False)), atol=1e-5)
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        traced = [fn for fn in predict.__closure__ or () if isinstance(fn.cell_contents, tf.types.experimental.PolymorphicFunction)]
        assert traced and traced[0].cell_contents.experimental_get_tracing_count() == 1


def test_the_comparison_at_sigma_50_keeps_what_runs_there_and_adds_the_authors_s50_and_b_once(weights_dir, monkeypatch):
    """Notebook 04's visual comparison is drawn at sigma 50: a sigma-25 network is left out, the
    noisy input and BM3D kept, and the authors' DnCNN-S50 and DnCNN-B added unless already there."""
    from dncnn.evaluation.denoisers import IdentityDenoiser, comparison_denoisers, reference_denoisers

    monkeypatch.setenv(reference.WEIGHTS_MIRROR_ENV, str(weights_dir))
    quick = [IdentityDenoiser(), BM3DDenoiser(), shipped_denoiser()]  # a profile that evaluates sigma 25 only
    chosen = comparison_denoisers(quick, sigma=50)
    assert [d.trained_sigma for d in chosen] == [None, None, 50.0, None]
    assert chosen[:2] == quick[:2] and shipped_denoiser().name not in [d.name for d in chosen]
    paper = quick + reference_denoisers([15, 25, 50], blind=True)  # already holds S50 and B
    again = comparison_denoisers(paper, sigma=50)
    assert len(again) == 4 and all(d in paper for d in again)


_PREDICT_BYTES = """
import hashlib, sys
import numpy as np
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(int(sys.argv[1]))
import keras
from dncnn.evaluation.denoisers import compile_predict
from dncnn.model.network import build_dncnn
keras.utils.set_random_seed(0)
predict = compile_predict(build_dncnn(depth=5, filters=16, batch_norm=False))
x = np.random.default_rng(1).random((1, 97, 131, 1), dtype=np.float32)
first, second = predict(x), predict(x)
assert first.tobytes() == second.tobytes(), "two calls differ"
print(hashlib.sha256(first.tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_the_denoising_path_gives_the_same_bytes_with_one_thread_or_two():
    """The rule behind INFERENCE_PATHS: the path every command denoises with is bit-stable from call
    to call and whatever the number of intra-op threads (parallelism never changes a result)."""
    import subprocess
    import sys

    import keras

    if keras.config.backend() != "tensorflow":
        pytest.skip("the thread setting is TensorFlow's")
    digests = [subprocess.run([sys.executable, "-c", _PREDICT_BYTES, str(threads)], capture_output=True, text=True, check=True,
                              env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"}).stdout.split()[-1]
               for threads in (1, 2)]
    assert digests[0] == digests[1]


def test_the_inference_path_is_one_the_backend_offers():
    import keras

    from dncnn.evaluation.denoisers import INFERENCE_PATHS, TENSORFLOW_PATHS, compile_predict
    from dncnn.model.network import build_dncnn

    assert INFERENCE_PATHS["tensorflow"] in TENSORFLOW_PATHS
    if keras.config.backend() == "tensorflow":
        with pytest.raises(ValueError, match="Received: path='onnx'"):
            compile_predict(build_dncnn(depth=3, filters=4), path="onnx")


def test_many_models_compiled_one_after_another_never_warn_of_retracing():
    """Notebook 06 compiles seven networks: TensorFlow counts traces per Python code object, so the
    compiled forward passes must not share one (its "frequent retracing" warning reached the page)."""
    import logging

    import keras

    from dncnn.evaluation.denoisers import compile_predict
    from dncnn.model.network import build_dncnn

    if keras.config.backend() != "tensorflow":
        pytest.skip("the warning is TensorFlow's")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        x = np.zeros((1, 12, 10, 1), np.float32)
        for depth in (3, 3, 4, 4, 5, 5, 3):
            compile_predict(build_dncnn(depth=depth, filters=4))(x)
    finally:
        logger.removeHandler(handler)
    assert not [r.getMessage() for r in records if "retracing" in r.getMessage()]
