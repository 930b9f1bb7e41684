"""Every denoiser: BM3D (reproducible, parallel, cached), the authors' and our networks."""

import numpy as np
import pytest

from dncnn.data.noise import add_gaussian_noise
from dncnn.model import reference
from dncnn.model import weights as M
from dncnn.evaluation.denoisers import BM3DDenoiser, KerasDenoiser, denoise_bm3d, shipped_denoiser
from dncnn.evaluation.metrics import compute_psnr


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
    assert denoiser.name == "DnCNN-S ours, paper recipe (GPU)" and denoiser.trained_sigma == 25.0
    assert denoiser.weights == "loaded: weights/dncnn-s-sigma25.keras"  # the tables say it was loaded, not trained
    trained = M.load_shipped_model("dncnn-s-sigma25")
    for index, clean in enumerate(bsd68_crops):
        noisy = add_gaussian_noise(clean, 25, seed=0, index=index)
        estimate = denoiser(noisy, 25)
        direct = keras.ops.convert_to_numpy(trained(noisy[None, :, :, None], training=False))[0, :, :, 0]
        assert np.abs(estimate - direct).max() < 1e-4  # batch norm folded: same outputs up to rounding
        # a converged sigma-25 model gains about 9 dB on BSD68 on average, less on these textured crops
        assert compute_psnr(clean, estimate) > compute_psnr(clean, noisy) + 5
