"""Training: data stream, a real step on both backends, checkpoints, resume, the wall-clock bound."""

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn import config  # noqa: E402
from dncnn.io import save_npy  # noqa: E402
from dncnn.profiles import PROFILES, get_profile  # noqa: E402
from dncnn.batches import NoisyPatchBatches  # noqa: E402
from dncnn.train import read_log, train  # noqa: E402

TINY = replace(get_profile("smoke"), depth=4, filters=8, epochs=2, steps_per_epoch=3, batch_size=4)


@pytest.fixture
def patches_file(tmp_path):
    rng = np.random.default_rng(0)
    return save_npy(tmp_path / "patches.npy", rng.integers(0, 256, size=(64, 40, 40), dtype=np.uint8))


def test_batches_have_fresh_seeded_noise_of_the_right_level():
    patches = np.random.default_rng(0).integers(0, 256, size=(256, 40, 40), dtype=np.uint8)
    batches = NoisyPatchBatches(patches, batch_size=128, sigma=25, seed=0, epoch=0)
    assert len(batches) == 2
    noisy, clean = batches[0]
    assert noisy.shape == clean.shape == (128, 40, 40, 1) and noisy.dtype == np.float32
    assert 0 <= clean.min() and clean.max() <= 1
    assert abs((noisy - clean).std() * 255 - 25) < 0.5
    again = NoisyPatchBatches(patches, batch_size=128, sigma=25, seed=0, epoch=0)[0]
    np.testing.assert_array_equal(noisy, again[0])
    next_batch = batches[1][0] - batches[1][1]
    assert not np.allclose(noisy - clean, next_batch)
    other_epoch = NoisyPatchBatches(patches, batch_size=128, sigma=25, seed=0, epoch=1)[0]
    assert not np.array_equal(clean, other_epoch[1])


def test_batches_refuse_bad_sizes():
    patches = np.zeros((10, 40, 40), np.uint8)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        NoisyPatchBatches(patches, batch_size=0, sigma=25, seed=0, epoch=0)
    with pytest.raises(ValueError, match="need at least batch_size=16 patches"):
        NoisyPatchBatches(patches, batch_size=16, sigma=25, seed=0, epoch=0)


def test_unknown_profile_names_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed are paper, quick, smoke"):
        get_profile("fast")


def test_paper_profile_is_the_authors_recipe():
    p = PROFILES["paper"]
    assert (p.depth, p.filters, p.batch_size, p.epochs, p.sigma, p.patch_size, p.stride) == (17, 64, 128, 50, 25.0, 40, 10)
    assert [p.learning_rate(e) for e in (0, 29, 30, 49)] == [1e-3, 1e-3, 1e-4, 1e-4]
    assert p.steps_per_epoch is None and p.train_images is None


_STEP = textwrap.dedent("""
    import json, numpy as np, keras
    from dncnn.model import build_dncnn
    keras.utils.set_random_seed(0)
    model = build_dncnn(5, 16, seed=0)  # the size does not matter here: that a step learns does
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mean_squared_error")
    rng = np.random.default_rng(0)
    clean = rng.random((8, 40, 40, 1)).astype("float32")
    noisy = clean + 25 / 255 * rng.standard_normal(clean.shape).astype("float32")
    losses = [float(model.train_on_batch(noisy, clean)) for _ in range(6)]
    print(json.dumps({"backend": keras.config.backend(), "losses": losses}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_training_steps_give_a_finite_decreasing_loss(backend):
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", _STEP], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["backend"] == backend
    losses = out["losses"]
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0], losses


@pytest.mark.slow
def test_train_writes_model_log_checkpoints_and_sidecar(patches_file, tmp_path):
    run = tmp_path / "run"
    sidecar = train(TINY, patches_path=patches_file, run_dir=run, verbose=0, tensorboard=False)
    assert sidecar["complete"] and sidecar["epochs"] == 2 and sidecar["steps"] == 6
    for key in ("device", "backend", "versions", "git_commit", "wall_seconds", "precision", "profile"):
        assert key in sidecar
    assert json.loads((run / "model.json").read_text())["steps"] == 6
    log = read_log(run / "log.csv")
    assert [r["epoch"] for r in log] == [1, 2] and [r["learning_rate"] for r in log] == [1e-3, 1e-4]
    assert sorted(p.name for p in (run / "checkpoints").glob("*.keras")) == ["epoch-001.keras", "epoch-002.keras"]
    model = keras.models.load_model(run / "model.keras", safe_mode=True)
    assert getattr(model, "optimizer", None) is None  # the exported model carries no optimizer state
    assert (run / "model.keras").stat().st_size < (run / "checkpoints" / "epoch-002.keras").stat().st_size
    with pytest.raises(FileExistsError, match="--resume"):
        train(TINY, patches_path=patches_file, run_dir=run, verbose=0, tensorboard=False)


@pytest.mark.slow
def test_resume_gives_the_same_state_as_an_uninterrupted_run(patches_file, tmp_path):
    straight = tmp_path / "straight"
    train(TINY, patches_path=patches_file, run_dir=straight, verbose=0, tensorboard=False, deterministic=True)
    split = tmp_path / "split"
    first = train(replace(TINY, epochs=1), patches_path=patches_file, run_dir=split, verbose=0, tensorboard=False, deterministic=True)
    assert first["epochs"] == 1
    resumed = train(TINY, patches_path=patches_file, run_dir=split, resume=True, verbose=0, tensorboard=False, deterministic=True)
    assert resumed["epochs"] == 2 and resumed["steps"] == 6
    a = keras.models.load_model(straight / "checkpoints" / "epoch-002.keras", safe_mode=True)
    b = keras.models.load_model(split / "checkpoints" / "epoch-002.keras", safe_mode=True)
    assert int(a.optimizer.iterations) == int(b.optimizer.iterations) == 6
    for wa, wb in zip(a.get_weights() + [v.numpy() for v in a.optimizer.variables],
                      b.get_weights() + [v.numpy() for v in b.optimizer.variables]):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    assert [r["loss"] for r in read_log(straight / "log.csv")] == pytest.approx([r["loss"] for r in read_log(split / "log.csv")], rel=1e-6)


@pytest.mark.slow
def test_max_minutes_stops_cleanly_and_resume_finishes(patches_file, tmp_path):
    run = tmp_path / "run"
    sidecar = train(TINY, patches_path=patches_file, run_dir=run, max_minutes=1e-4, verbose=0, tensorboard=False)
    assert not sidecar["complete"] and sidecar["epochs"] == 0 and "discarded" in sidecar["stop_reason"]
    assert not list(run.glob("checkpoints/*.keras"))
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train(TINY, patches_path=patches_file, run_dir=run, resume=True, verbose=0, tensorboard=False)
    one = train(replace(TINY, epochs=1), patches_path=patches_file, run_dir=run, overwrite=True, verbose=0, tensorboard=False)
    assert one["epochs"] == 1
    done = train(TINY, patches_path=patches_file, run_dir=run, resume=True, verbose=0, tensorboard=False)
    assert done["complete"] and done["steps"] == 6


def test_missing_patches_name_the_step_that_makes_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="notebook 01"):
        train(TINY, patches_path=tmp_path / "none.npy", run_dir=tmp_path / "run", verbose=0)


def test_cli_refuses_an_unknown_profile():
    result = subprocess.run([sys.executable, "-m", "dncnn.train", "--profile", "nope"], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=config.PROJECT_ROOT)
    assert result.returncode == 2 and "invalid choice: 'nope'" in result.stderr
