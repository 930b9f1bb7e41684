"""Same inputs, same tables: BM3D is bit-reproducible, parallelism changes no bit, two runs agree exactly."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from dncnn import evaluate
from dncnn.denoisers import BM3DDenoiser, IdentityDenoiser, denoise_bm3d
from dncnn.noise import add_gaussian_noise


@pytest.fixture(scope="module")
def noisy_crops(raw_dir):
    from dncnn import data

    _, images = data.load_dataset("BSD68", root=raw_dir, limit=3)
    crops = [evaluate.crop_center(image, 96) for image in images]
    return [add_gaussian_noise(clean, 25, seed=0, index=i) for i, clean in enumerate(crops)]


def test_bm3d_gives_identical_bytes_on_every_call(noisy_crops):
    outputs = [denoise_bm3d(noisy_crops[0], 25).tobytes() for _ in range(3)]
    assert outputs[0] == outputs[1] == outputs[2]


def test_bm3d_in_parallel_processes_equals_one_process(noisy_crops):
    serial = BM3DDenoiser(cache_dir=None, workers=1).denoise_many(noisy_crops, 25)
    parallel = BM3DDenoiser(cache_dir=None, workers=2).denoise_many(noisy_crops, 25)
    assert len(serial) == len(parallel) == 3
    for (a, _), (b, _) in zip(serial, parallel):
        assert a.dtype == np.float32 and a.tobytes() == b.tobytes()
    assert serial[0][0].tobytes() != serial[1][0].tobytes()  # the order is kept, not one result repeated


def test_bm3d_workers_setting_is_validated(monkeypatch):
    monkeypatch.setenv("DNCNN_BM3D_WORKERS", "3")
    assert BM3DDenoiser(cache_dir=None).workers == 3
    with pytest.raises(ValueError, match="workers must be >= 1"):
        BM3DDenoiser(cache_dir=None, workers=0)


def _tables_of_one_run(root, raw_dir):
    """Every table the notebooks write, made by the same package calls, at a small model size."""
    keras = pytest.importorskip("keras")
    from dncnn import analysis
    from dncnn.denoisers import KerasDenoiser
    from dncnn.prepare import patch_count_table, prepare_patches
    from dncnn.profiles import get_profile
    from dncnn.model import load_model
    from dncnn.train import train

    profile = replace(get_profile("smoke"), depth=5, filters=16)
    patches, sidecar = prepare_patches(profile, raw_dir=raw_dir, out_path=root / "patches.npy")
    train(profile, patches_path=root / "patches.npy", run_dir=root / "run", verbose=0, tensorboard=False)
    model = load_model(root / "run" / "model.keras")
    batches = analysis.sample_batches(patches, n_batches=2, batch_size=profile.batch_size, sigma=profile.sigma, seed=1)
    denoisers = [IdentityDenoiser(), BM3DDenoiser(cache_dir=root / "bm3d", workers=2),
                 KerasDenoiser(model, name="ours", sigma=profile.sigma)]
    per_image = evaluate.evaluate_profile(profile, denoisers, raw_dir=raw_dir, progress=False)
    keras.config.set_dtype_policy("float32")
    return {
        "patch_counts": patch_count_table(sidecar).to_csv(index=False),
        "batch_statistics": analysis.batch_statistics(batches).to_csv(index=False),
        "bn_statistics": analysis.bn_input_statistics(model, patches, n_batches=2, batch_size=profile.batch_size,
                                                      sigma=profile.sigma, seed=1).to_csv(index=False),
        "per_image": per_image.drop(columns="seconds").to_csv(index=False),  # seconds are timings
        "summary": evaluate.summarize(per_image).to_csv(index=False),
        "weights": b"".join(w.tobytes() for w in model.get_weights()),
    }


@pytest.mark.slow
def test_two_runs_of_the_table_making_functions_give_identical_tables(raw_dir, tmp_path):
    first = _tables_of_one_run(tmp_path / "a", raw_dir)
    second = _tables_of_one_run(tmp_path / "b", raw_dir)
    for name in first:
        assert first[name] == second[name], name
    assert "BM3D" in first["summary"] and "ours" in first["summary"]
