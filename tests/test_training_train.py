"""Training: a real step on both backends, checkpoints, resume, the wall-clock bound, faults."""

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn.files.atomic import save_npy  # noqa: E402
from dncnn.training.runs import check_training_run, read_log  # noqa: E402
from dncnn.training.train import train  # noqa: E402
import backend_jobs  # noqa: E402
from helpers import TINY, background_folder, copy_first_epoch, jax_job, start_two_devices, wait_background  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_training_steps_give_a_finite_decreasing_loss(backend, tmp_path_factory, tmp_path):
    if backend == "jax":  # in the session's one JAX process (tests/backend_jobs.py)
        out = jax_job(tmp_path_factory, "training_steps")
    else:
        if keras.config.backend() != "tensorflow":
            pytest.skip(f"this process runs Keras on {keras.config.backend()}")
        out = backend_jobs.training_steps(tmp_path)
    assert out["backend"] == backend
    losses = out["losses"]
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0], losses


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """``(patches, run folder, sidecar)`` of one uninterrupted TINY run (2 epochs of 3 steps, deterministic), for
    the tests that only read it or work on a copy of it (one training less each)."""
    folder = tmp_path_factory.mktemp("tiny")
    patches = save_npy(folder / "patches.npy", np.random.default_rng(0).integers(0, 256, (64, 40, 40), dtype=np.uint8))
    sidecar = train(TINY, patches_path=patches, run_dir=folder / "run", verbose=0, tensorboard=False, deterministic=True)
    return patches, folder / "run", sidecar


@pytest.mark.slow
def test_train_writes_model_log_checkpoints_and_sidecar(tiny_run):
    patches_file, run, sidecar = tiny_run
    assert sidecar["complete"] and sidecar["epochs"] == 2 and sidecar["steps"] == 6
    for key in ("device", "backend", "versions", "git_commit", "wall_seconds", "precision", "profile"):
        assert key in sidecar
    assert json.loads((run / "model.json").read_text())["steps"] == 6
    # what ran, not what was asked: "auto" on a machine without an accelerator is oneDNN, not XLA
    assert sidecar["xla"] == ("always (JAX)" if keras.config.backend() == "jax" else "off (auto: no accelerator or op determinism)")
    log = read_log(run / "log.csv")
    assert [r["epoch"] for r in log] == [1, 2] and [r["learning_rate"] for r in log] == [1e-3, 1e-4]
    assert sorted(p.name for p in (run / "checkpoints").glob("*.keras")) == ["epoch-001.keras", "epoch-002.keras"]
    model = keras.models.load_model(run / "model.keras", safe_mode=True)
    assert getattr(model, "optimizer", None) is None  # the exported model carries no optimizer state
    assert (run / "model.keras").stat().st_size < (run / "checkpoints" / "epoch-002.keras").stat().st_size
    with pytest.raises(FileExistsError, match="--resume"):
        train(TINY, patches_path=patches_file, run_dir=run, verbose=0, tensorboard=False)


@pytest.mark.slow
def test_resume_gives_the_same_state_as_an_uninterrupted_run(tiny_run, tmp_path):
    patches_file, straight, _ = tiny_run
    split = tmp_path / "split"
    copy_first_epoch(straight, split)  # the run as it stood after its first epoch
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


_KILLED = """
import json, sys
from dataclasses import replace
import keras
from dncnn.profiles import get_profile
from dncnn.training.train import train

class PauseInSecondEpoch(keras.callbacks.Callback):
    # says where it is, then blocks, so the test kills it at a known point inside epoch 2
    def on_train_batch_end(self, batch, logs=None):
        if self._epoch == 1 and batch == 2:
            print("inside epoch 2, step 3 of 8", flush=True)
            sys.stdin.read()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

profile = replace(get_profile("smoke"), **json.loads(sys.argv[3]))
train(profile, patches_path=sys.argv[1], run_dir=sys.argv[2], deterministic=True, verbose=0, tensorboard=False,
      callbacks=[PauseInSecondEpoch()])
"""
_KILLED_SIZE = {"depth": 4, "filters": 8, "batch_size": 4, "epochs": 3, "steps_per_epoch": 8, "validation_images": 0}


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path, capsys):
    from dncnn.profiles import get_profile

    patches = save_npy(tmp_path / "p.npy", np.random.default_rng(1).integers(0, 256, (256, 40, 40), dtype=np.uint8))
    profile = replace(get_profile("smoke"), **_KILLED_SIZE)
    killed = tmp_path / "killed"  # only the run that is killed needs a process of its own
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(patches), str(killed), json.dumps(_KILLED_SIZE)],
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        straight = tmp_path / "straight"  # meanwhile, here: the uninterrupted run
        train(profile, patches_path=patches, run_dir=straight, deterministic=True, verbose=0, tensorboard=False)
        line = proc.stdout.readline()  # blocks until the run is paused inside epoch 2 (or has ended)
        assert line.startswith("inside epoch 2"), f"the run ended before it could be killed: {line!r}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert sorted(p.name for p in (killed / "checkpoints").glob("*.keras")) == ["epoch-001.keras"]
    assert not (killed / "model.keras").exists()
    capsys.readouterr()
    sidecar = train(profile, patches_path=patches, run_dir=killed, resume=True, deterministic=True, verbose=0, tensorboard=False)
    assert "resuming from epoch-001.keras" in capsys.readouterr().err and sidecar["steps"] == 24
    a = keras.models.load_model(straight / "model.keras", safe_mode=True)
    b = keras.models.load_model(killed / "model.keras", safe_mode=True)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.slow
def test_damaged_checkpoint_falls_back_to_the_previous_one_and_says_so(tiny_run, tmp_path, capsys):
    patches_file, run = tiny_run[0], shutil.copytree(tiny_run[1], tmp_path / "run")
    last = run / "checkpoints" / "epoch-002.keras"
    last.write_bytes(last.read_bytes()[: len(last.read_bytes()) // 2])  # truncated
    sidecar = train(replace(TINY, epochs=3), patches_path=patches_file, run_dir=run, resume=True, verbose=0, tensorboard=False)
    err = capsys.readouterr().err
    assert "epoch-002.keras cannot be loaded" in err and "resuming from epoch-001.keras" in err
    assert sidecar["epochs"] == 3 and sidecar["steps"] == 9


@pytest.mark.slow
def test_no_loadable_checkpoint_is_an_error_not_a_silent_restart(tiny_run, tmp_path):
    patches_file, run = tiny_run[0], shutil.copytree(tiny_run[1], tmp_path / "run")
    for checkpoint in (run / "checkpoints").glob("epoch-*.keras"):
        checkpoint.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(RuntimeError, match="no checkpoint .* can be loaded"):
        train(TINY, patches_path=patches_file, run_dir=run, resume=True, verbose=0, tensorboard=False)


@pytest.mark.slow
def test_resume_on_jax_without_tensorflow_gives_identical_weights(tmp_path_factory):
    out = jax_job(tmp_path_factory, "resume")  # 2 epochs straight; 1, then resumed for a second (tests/backend_jobs.py)
    assert out["backend"] == "jax" and out["steps"] == 6
    a = keras.models.load_model(out["folder"] / "straight" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    b = keras.models.load_model(out["folder"] / "split" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    assert int(a.optimizer.iterations) == int(b.optimizer.iterations) == 6
    for wa, wb in zip(a.get_weights() + [v.numpy() for v in a.optimizer.variables],
                      b.get_weights() + [v.numpy() for v in b.optimizer.variables]):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.slow
def test_steps_per_execution_runs_every_step_of_an_epoch_that_it_does_not_divide(patches_file, tmp_path):
    sidecar = train(TINY, patches_path=patches_file, run_dir=tmp_path / "run", verbose=0, tensorboard=False,
                    steps_per_execution=2)  # 3 steps per epoch: executions of 2 and 1
    assert sidecar["complete"] and sidecar["steps"] == 6 and sidecar["steps_per_execution"] == 2
    model = keras.models.load_model(tmp_path / "run" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    assert int(model.optimizer.iterations) == 6


def test_a_run_that_fails_part_way_restores_the_dtype_policy(patches_file, tmp_path):
    class Boom(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):  # the mixed-precision model built, before its step is compiled
            raise RuntimeError("boom as training begins")

    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(RuntimeError, match="boom"):
        train(TINY, patches_path=patches_file, run_dir=tmp_path / "run", mixed_precision=True, verbose=0, tensorboard=False,
              callbacks=[Boom()])
    assert keras.config.dtype_policy().name == "float32"  # not left in mixed_bfloat16


def _smooth_patches(count: int, seed: int) -> np.ndarray:
    """(count, 40, 40) uint8 planes (a level and a gradient per patch): images whose noise a few
    training steps of a tiny DnCNN learn to remove."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:40, 0:40] / 39.0
    level, gx, gy = rng.uniform(50, 200, (count, 1, 1)), rng.uniform(-50, 50, (count, 1, 1)), rng.uniform(-50, 50, (count, 1, 1))
    return np.clip(np.round(level + gx * x + gy * y), 0, 255).astype(np.uint8)


@pytest.mark.slow
def test_train_learns_to_denoise_held_out_patches(tmp_path):
    # through train() itself: the trainer's loss, target and noise, the schedule, the exported model
    profile = replace(TINY, depth=3, filters=16, batch_size=16, epochs=1, steps_per_epoch=80, lr_schedule=((0, 1e-2),))
    patches = save_npy(tmp_path / "p.npy", _smooth_patches(256, seed=0))
    train(profile, patches_path=patches, run_dir=tmp_path / "run", verbose=0, tensorboard=False)
    model = keras.models.load_model(tmp_path / "run" / "model.keras", safe_mode=True)
    clean = _smooth_patches(32, seed=1).astype(np.float32) / 255  # held out: other patches, numpy's noise
    noisy = clean + np.float32(25 / 255) * np.random.default_rng(2).standard_normal(clean.shape).astype(np.float32)
    denoised = keras.ops.convert_to_numpy(model(noisy[..., None], training=False))[..., 0]

    def psnr(estimate):
        return 10 * np.log10(1 / np.mean((np.clip(estimate, 0, 1) - clean) ** 2))

    # about +7.6 dB on TensorFlow; a trainer whose target is the noisy input learns the identity (-0.3 dB)
    assert psnr(denoised) > psnr(noisy) + 3, (psnr(noisy), psnr(denoised))


@pytest.mark.slow
def test_mixed_precision_training_exports_a_float32_model_and_keeps_the_output_layers_float32(patches_file, tmp_path):
    # the path that made the shipped model: train(..., mixed_precision=True)
    run = tmp_path / "run"
    sidecar = train(replace(TINY, depth=3, epochs=1, steps_per_epoch=2), patches_path=patches_file, run_dir=run,
                    mixed_precision=True, verbose=0, tensorboard=False)
    assert sidecar["precision"] == "mixed_bfloat16" and np.isfinite(sidecar["final_loss"])
    check_training_run(run / "log.csv", run / "model.json", replace(TINY, depth=3, epochs=1, steps_per_epoch=2))
    assert keras.config.dtype_policy().name == "float32"  # restored after the run
    trained = keras.models.load_model(run / "checkpoints" / "epoch-001.keras", safe_mode=True)
    policies = {layer.name: layer.dtype_policy.name for layer in trained.layers if layer.name != "dncnn_input"}
    assert policies.pop("dncnn_conv3") == policies.pop("dncnn_residual") == "float32"  # the clean estimate in full precision
    assert set(policies.values()) == {"mixed_bfloat16"}, policies
    x = np.random.default_rng(0).random((1, 24, 24, 1)).astype("float32")
    assert keras.ops.convert_to_numpy(trained(x, training=False)).dtype == np.float32
    exported = keras.models.load_model(run / "model.keras", safe_mode=True)
    assert {layer.dtype_policy.name for layer in exported.layers} == {"float32"}
    assert all(w.dtype == np.float32 for w in exported.get_weights())
    for a, b in zip(trained.get_weights(), exported.get_weights()):
        np.testing.assert_array_equal(a, b)  # the same weights (variables stay float32 under mixed precision)


def test_check_training_run_compares_the_log_with_the_profile_and_the_sidecar(tmp_path):
    from dncnn.files.atomic import save_json
    from dncnn.training.runs import write_log as _write_log

    profile = replace(TINY, epochs=2, steps_per_epoch=3, lr_schedule=((0, 1e-3), (1, 1e-4)))
    history = [{"epoch": 1, "steps": 3, "loss": 0.05, "learning_rate": 1e-3, "epoch_seconds": 1.0, "wall_seconds": 1.0},
               {"epoch": 2, "steps": 6, "loss": 0.03, "learning_rate": 1e-4, "epoch_seconds": 1.0, "wall_seconds": 2.0}]
    facts = {"epochs": 2, "steps": 6, "final_loss": 0.03, "complete": True, "patches_count": 64}
    log, sidecar = tmp_path / "log.csv", save_json(tmp_path / "model.json", facts)
    _write_log(log, history)
    assert check_training_run(log, sidecar, profile) == 2
    _write_log(log, [history[0], {**history[1], "learning_rate": 1e-3}])
    with pytest.raises(ValueError, match="log.csv: the learning rates are not the schedule"):
        check_training_run(log, sidecar, profile)
    _write_log(log, [history[0], {**history[1], "loss": float("nan")}])
    with pytest.raises(ValueError, match="not finite"):
        check_training_run(log, sidecar, profile)
    _write_log(log, history[:1])
    save_json(sidecar, {**facts, "epochs": 1, "steps": 3, "final_loss": 0.05})
    with pytest.raises(ValueError, match="complete=True after 1 of 2 epochs"):
        check_training_run(log, sidecar, profile)


@pytest.mark.slow
def test_every_epoch_logs_the_validation_psnr_and_the_switches_shape_the_network(patches_file, tmp_path, mirror):
    from dncnn.model.network import count_layers

    profile = replace(TINY, residual=False, batch_norm=False, optimizer="sgd", loss="half_sum", weight_decay=1e-4,
                      lr_schedule=((0, 1e-5),), validation_images=2, validation_crop=24)
    sidecar = train(profile, patches_path=patches_file, run_dir=tmp_path / "run", verbose=0, tensorboard=False)
    log = read_log(tmp_path / "run" / "log.csv")
    assert [r["epoch"] for r in log] == [1, 2] and all(np.isfinite(r["val_psnr"]) for r in log)
    facts = sidecar["validation"]
    assert facts["set"] == "Set5" and facts["crop"] == 24 and facts["sigmas"] == [25.0]
    assert facts["final_psnr"] == log[-1]["val_psnr"] and facts["best_psnr"] == max(r["val_psnr"] for r in log)
    assert sidecar["patches_seen"] == 6 * 4 and sidecar["devices"] == 1
    exported = keras.models.load_model(tmp_path / "run" / "model.keras", safe_mode=True)
    assert count_layers(exported, "bn") == 0 and not any(isinstance(l, keras.layers.Subtract) for l in exported.layers)
    checkpoint = keras.models.load_model(tmp_path / "run" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    assert type(checkpoint.optimizer).__name__ == "SGD" and checkpoint.optimizer.momentum == 0.9


def test_the_authors_loss_scale_and_weight_decay_enter_the_objective():
    from dncnn.model.network import build_dncnn
    from dncnn.training.pipeline import DenoiserTrainer

    net = build_dncnn(3, 4, seed=0)
    patches = np.zeros((4, 10, 10), np.uint8)
    plain = DenoiserTrainer(net, patches, sigma=25)
    authors = DenoiserTrainer(net, patches, sigma=25, loss="half_sum", weight_decay=1e-2)
    rng = np.random.default_rng(0)
    denoised, clean = rng.random((2, 10, 10, 1)).astype("float32"), rng.random((2, 10, 10, 1)).astype("float32")
    mse = float(np.mean((denoised - clean) ** 2))
    kernels = sum(float(np.sum(layer.kernel.numpy() ** 2)) for layer in net.layers if isinstance(layer, keras.layers.Conv2D))
    assert float(plain.compute_loss(y_pred=(denoised, clean))) == pytest.approx(mse, rel=1e-5)
    # vl_nnloss.m: half the squared error summed over a 10x10 patch, averaged over the batch; MatConvNet's decay
    assert float(authors.compute_loss(y_pred=(denoised, clean))) == pytest.approx(50 * mse + 0.5e-2 * kernels, rel=1e-5)




@pytest.fixture(scope="session")
def two_devices_run(mirror, tmp_path_factory):
    """``(result, folder)`` of tests/two_devices_job.py (started by conftest.py when the session begins)."""
    pytest.importorskip("jax")
    start_two_devices(tmp_path_factory.getbasetemp() / "two-devices", mirror=mirror)  # unless it runs already
    code, out, err = wait_background("two-devices", timeout=600)
    assert code == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1]), background_folder("two-devices")


@pytest.mark.slow
def test_two_devices_train_the_weights_of_one_and_resume(two_devices_run):
    out, tmp_path = two_devices_run
    assert out["devices"] == ["cpu:0", "cpu:1"] and out["sharded_over"] == [2]  # data parallel: weights on both devices
    assert out["sidecar_devices"] == 2 and out["epochs"] == 2 and np.isfinite(out["val_psnr"])
    one = keras.models.load_model(tmp_path / "one" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    two = keras.models.load_model(tmp_path / "two" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    assert int(one.optimizer.iterations) == int(two.optimizer.iterations) == 4
    for a, b in zip(one.get_weights(), two.get_weights()):  # the same global batches: equal up to the order of sums
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_clipped_sgd_moves_no_weight_by_more_than_its_bound_and_survives_a_checkpoint():
    from dncnn.training.optimizer import ClippedSGD, make_optimizer

    opt = ClippedSGD(0.1, momentum=0.9, clip_step=0.005 / 128)
    weights = keras.Variable(np.zeros(4, np.float32))
    opt.apply_gradients([(keras.ops.convert_to_tensor(np.array([1e-5, -1e-5, 1.0, -3.0], np.float32)), weights)])
    bound = 0.005 / 128 / 0.1  # MatConvNet: the batch-summed gradient clipped to theta / lr, i.e. the mean to theta / (lr * batch)
    np.testing.assert_allclose(weights.numpy(), -0.1 * np.array([1e-5, -1e-5, bound, -bound]), rtol=1e-6)
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(again) is ClippedSGD and again.clip_step == opt.clip_step and again.momentum == 0.9
    sgd = replace(TINY, optimizer="sgd", gradient_clip=0.005, lr_schedule=((0, 1e-1),))
    assert isinstance(make_optimizer(sgd), ClippedSGD) and make_optimizer(sgd).clip_step == 0.005 / TINY.batch_size


@pytest.mark.skipif(keras.config.backend() != "tensorflow", reason="XLA is a choice on TensorFlow only")
def test_the_sidecar_says_when_keras_turned_the_xla_that_was_asked_for_off():
    from types import SimpleNamespace

    from dncnn.training.train import describe_xla

    assert describe_xla(SimpleNamespace(jit_compile=False), asked=True).startswith("off (asked on")
    assert describe_xla(SimpleNamespace(jit_compile=True), asked=True) == "on"
    assert describe_xla(SimpleNamespace(jit_compile=True), asked="auto") == "on (auto: an accelerator)"
    assert describe_xla(SimpleNamespace(jit_compile=False), asked=False) == "off"
