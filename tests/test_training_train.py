"""Training: a real step on both backends, checkpoints, resume, the wall-clock bound, faults."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn.files.atomic import save_npy  # noqa: E402
from dncnn.training.train import read_log, train  # noqa: E402
from helpers import TINY  # noqa: E402


_STEP = textwrap.dedent("""
    import json, numpy as np, keras
    from dncnn.model.network import build_dncnn
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


_DRIVER = """
import sys
from dataclasses import replace
import keras
from dncnn.profiles import get_profile
from dncnn.training.train import train

class PauseInSecondEpoch(keras.callbacks.Callback):
    # says where it is, then blocks, so the test kills it at a known point inside epoch 2
    def on_train_batch_end(self, batch, logs=None):
        if self.pause and self._epoch == 1 and batch == 2:
            print("inside epoch 2, step 3 of 8", flush=True)
            sys.stdin.read()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

profile = replace(get_profile("smoke"), depth=4, filters=8, batch_size=4, epochs=3, steps_per_epoch=8, validation_images=0)
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


_JAX_RESUME = textwrap.dedent("""
    import sys
    sys.modules["tensorflow"] = None  # as on the GPU machine
    from dataclasses import replace
    import numpy as np
    from dncnn.files.atomic import save_npy
    from dncnn.profiles import get_profile
    from dncnn.training.train import train
    tmp = sys.argv[1]
    profile = replace(get_profile("smoke"), depth=4, filters=8, epochs=2, steps_per_epoch=3, batch_size=4, validation_images=0)
    patches = save_npy(tmp + "/p.npy", np.random.default_rng(0).integers(0, 256, (64, 40, 40), dtype=np.uint8))
    train(profile, patches_path=patches, run_dir=tmp + "/straight", verbose=0, steps_per_execution=2)
    train(replace(profile, epochs=1), patches_path=patches, run_dir=tmp + "/split", verbose=0, steps_per_execution=2)
    print(train(profile, patches_path=patches, run_dir=tmp + "/split", resume=True, verbose=0, steps_per_execution=2)["backend"])
""")


@pytest.mark.slow
def test_resume_on_jax_without_tensorflow_gives_identical_weights(tmp_path):
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", _JAX_RESUME, str(tmp_path)], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "jax" in result.stdout
    a = keras.models.load_model(tmp_path / "straight" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    b = keras.models.load_model(tmp_path / "split" / "checkpoints" / "epoch-002.keras", safe_mode=True)
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
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("boom in the first step")

    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(RuntimeError, match="boom"):
        train(TINY, patches_path=patches_file, run_dir=tmp_path / "run", mixed_precision=True, verbose=0, tensorboard=False,
              callbacks=[Boom()])
    assert keras.config.dtype_policy().name == "float32"  # not left in mixed_bfloat16


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


_DEVICES = textwrap.dedent("""
    import json, sys
    sys.modules["tensorflow"] = None  # as on the GPU machine
    from dataclasses import replace
    import keras, numpy as np
    from dncnn.files.atomic import save_npy
    from dncnn.profiles import get_profile
    from dncnn.training.train import train
    tmp = sys.argv[1]

    class Where(keras.callbacks.Callback):  # on how many devices the weights live while training
        devices = set()
        def on_train_batch_end(self, batch, logs=None):
            Where.devices.add(len(self.model.trainable_weights[0].value.sharding.device_set))

    profile = replace(get_profile("smoke"), depth=3, filters=4, epochs=2, steps_per_epoch=2, batch_size=4,
                      validation_images=1, validation_crop=16)
    patches = save_npy(tmp + "/p.npy", np.random.default_rng(0).integers(0, 256, (32, 40, 40), dtype=np.uint8))
    train(profile, patches_path=patches, run_dir=tmp + "/one", verbose=0)
    train(replace(profile, epochs=1), patches_path=patches, run_dir=tmp + "/two", verbose=0, devices=2, callbacks=[Where()])
    two = train(profile, patches_path=patches, run_dir=tmp + "/two", resume=True, verbose=0, devices="all")
    print(json.dumps({"devices": keras.distribution.list_devices(), "sharded_over": sorted(Where.devices),
                      "sidecar_devices": two["devices"], "epochs": two["epochs"], "val_psnr": two["validation"]["final_psnr"]}))
""")


@pytest.mark.slow
def test_two_devices_train_the_weights_of_one_and_resume(tmp_path, mirror):
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    result = subprocess.run([sys.executable, "-c", _DEVICES, str(tmp_path)], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["devices"] == ["cpu:0", "cpu:1"] and out["sharded_over"] == [2]  # data parallel: weights on both devices
    assert out["sidecar_devices"] == 2 and out["epochs"] == 2 and np.isfinite(out["val_psnr"])
    one = keras.models.load_model(tmp_path / "one" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    two = keras.models.load_model(tmp_path / "two" / "checkpoints" / "epoch-002.keras", safe_mode=True)
    assert int(one.optimizer.iterations) == int(two.optimizer.iterations) == 4
    for a, b in zip(one.get_weights(), two.get_weights()):  # the same global batches: equal up to the order of sums
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_clipped_sgd_moves_no_weight_by_more_than_its_bound_and_survives_a_checkpoint():
    from dncnn.training.train import ClippedSGD, make_optimizer

    opt = ClippedSGD(0.1, momentum=0.9, clip_step=0.005 / 128)
    weights = keras.Variable(np.zeros(4, np.float32))
    opt.apply_gradients([(keras.ops.convert_to_tensor(np.array([1e-5, -1e-5, 1.0, -3.0], np.float32)), weights)])
    bound = 0.005 / 128 / 0.1  # MatConvNet: the batch-summed gradient clipped to theta / lr, i.e. the mean to theta / (lr * batch)
    np.testing.assert_allclose(weights.numpy(), -0.1 * np.array([1e-5, -1e-5, bound, -bound]), rtol=1e-6)
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(again) is ClippedSGD and again.clip_step == opt.clip_step and again.momentum == 0.9
    sgd = replace(TINY, optimizer="sgd", gradient_clip=0.005, lr_schedule=((0, 1e-1),))
    assert isinstance(make_optimizer(sgd), ClippedSGD) and make_optimizer(sgd).clip_step == 0.005 / TINY.batch_size
