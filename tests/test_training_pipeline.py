"""The device pipeline: clean batches in the seeded order written out independently, stateless seeded noise of the right level,
the compiled step's draw equal to the eager one, on TensorFlow and JAX."""

import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn.training.pipeline import PatchBank, draw_batch, epoch_inputs, epoch_order, patch_sigmas, step_seeds  # noqa: E402
from dncnn.training.train import _Deadline  # noqa: E402
import backend_jobs  # noqa: E402
from helpers import jax_job  # noqa: E402


@pytest.fixture(scope="module")
def patches():
    # 0 and 255 in every patch, so that clipping would show at both ends
    p = np.random.default_rng(0).integers(0, 256, size=(300, 40, 40), dtype=np.uint8)
    p[:, 0, 0], p[:, 0, 1] = 0, 255
    return p


def _reference_order(count, batch_size, steps, seed, epoch):
    """The patch order as the host stream always computed it, written out independently."""
    rng = np.random.default_rng([seed, epoch])
    needed = steps * batch_size
    return np.concatenate([rng.permutation(count) for _ in range(math.ceil(needed / count))])[:needed]


def test_epoch_order_is_the_host_streams_permutation_across_epoch_boundaries():
    order = epoch_order(50, batch_size=16, steps=7, seed=3, epoch=2)  # 112 indices: three permutations
    assert order.shape == (7, 16) and order.dtype == np.int32
    np.testing.assert_array_equal(order.reshape(-1), _reference_order(50, 16, 7, 3, 2))
    np.testing.assert_array_equal(epoch_order(50, batch_size=16, steps=3, seed=3, epoch=2), order[:3])


@pytest.mark.parametrize("seed, epoch, step", [(0, 0, 0), (4, 2, 3), (1, 7, 5)])
def test_clean_batches_are_the_seeded_order_of_the_patches(patches, seed, epoch, step):
    _, clean = draw_batch(patches, batch_size=32, sigma=25, seed=seed, epoch=epoch, step=step)
    assert clean.dtype == np.float32 and clean.shape == (32, 40, 40, 1)
    idx = _reference_order(len(patches), 32, step + 1, seed, epoch)[step * 32:(step + 1) * 32]
    np.testing.assert_array_equal(clean[..., 0], patches[idx].astype(np.float32) / np.float32(255))


def test_step_seeds_are_pure_functions_of_seed_epoch_and_step():
    seeds = step_seeds(seed=0, epoch=1, steps=5)
    assert seeds.shape == (5, 2) and seeds.dtype == np.int32
    np.testing.assert_array_equal(step_seeds(seed=0, epoch=1, steps=2, first=3), seeds[3:])
    assert len({tuple(s) for s in seeds} | {tuple(s) for s in step_seeds(seed=0, epoch=2, steps=5)}) == 10


def test_noise_is_reproducible_fresh_per_step_and_epoch_of_the_right_level_and_not_clipped(patches):
    noisy, clean = draw_batch(patches, batch_size=128, sigma=25, seed=0, epoch=0, step=0)
    again, _ = draw_batch(patches, batch_size=128, sigma=25, seed=0, epoch=0, step=0)
    np.testing.assert_array_equal(noisy, again)
    noise = (noisy - clean).astype(np.float64) * 255
    n = noise.size  # 204,800 values: the standard error of the mean is 25/sqrt(n) = 0.055, of the std 25/sqrt(2n) = 0.039
    assert abs(noise.mean()) < 5 * 25 / np.sqrt(n)
    assert abs(noise.std() - 25) < 5 * 25 / np.sqrt(2 * n)
    assert noisy.min() < 0 and noisy.max() > 1  # not clipped
    next_step, next_clean = draw_batch(patches, batch_size=128, sigma=25, seed=0, epoch=0, step=1)
    other_epoch, other_clean = draw_batch(patches, batch_size=128, sigma=25, seed=0, epoch=1, step=0)
    for other in (next_step - next_clean, other_epoch - other_clean):
        assert abs(np.corrcoef(noise.ravel(), other.ravel())[0, 1]) < 0.02  # fresh noise, not the same draw


def test_blind_noise_draws_each_patchs_level_uniformly_from_the_range(patches):
    from scipy import stats

    noisy, clean = draw_batch(patches, batch_size=256, sigma=25, seed=0, epoch=0, step=0, sigma_range=(0.0, 55.0))
    again, _ = draw_batch(patches, batch_size=256, sigma=25, seed=0, epoch=0, step=0, sigma_range=(0.0, 55.0))
    np.testing.assert_array_equal(noisy, again)
    levels = keras.ops.convert_to_numpy(patch_sigmas(256, seed=step_seeds(seed=0, epoch=0, steps=1)[0], sigma_range=(0.0, 55.0)))
    assert levels.shape == (256,) and levels.min() >= 0 and levels.max() <= 55
    assert stats.kstest(levels / 55, "uniform").pvalue > 0.01  # uniform on [0, 55], not one fixed level
    measured = (noisy - clean).reshape(256, -1).std(axis=1) * 255  # 1,600 values a patch: within a few % of its level
    np.testing.assert_allclose(measured, levels, rtol=0.1, atol=0.05)
    fixed, _ = draw_batch(patches, batch_size=256, sigma=25, seed=0, epoch=0, step=0)
    z = (fixed - clean) / np.float32(25 / 255)  # the fixed-level step's standard normal draw, scaled per patch
    np.testing.assert_allclose(noisy - clean, z * (levels / np.float32(255))[:, None, None, None], atol=1e-5)


def test_several_devices_split_each_steps_batch_into_rows_with_its_seed():
    one = epoch_inputs(100, batch_size=8, steps=3, seed=1, epoch=2)
    two = epoch_inputs(100, batch_size=8, steps=3, seed=1, epoch=2, devices=2)
    assert one["indices"].shape == (3, 8) and two["indices"].shape == (6, 4) and two["seeds"].shape == (6, 2)
    np.testing.assert_array_equal(two["indices"].reshape(3, 8), one["indices"])
    np.testing.assert_array_equal(two["seeds"][::2], one["seeds"])
    np.testing.assert_array_equal(two["seeds"][1::2], one["seeds"])
    with pytest.raises(ValueError, match="split evenly"):
        epoch_inputs(100, batch_size=8, steps=3, seed=1, epoch=2, devices=3)


def test_the_patch_bank_is_never_saved(patches):
    bank = PatchBank(patches, sigma=25)
    store = {}
    bank.save_own_variables(store)
    assert store == {} and bank.patches.dtype == "uint8" and not bank.trainable_weights


def test_the_deadline_counts_steps_by_the_index_keras_passes():
    deadline = _Deadline(None)
    deadline.on_epoch_begin(0)
    for end_step in (3, 7, 9):  # steps_per_execution=4 over 10 steps: three calls
        deadline.on_train_batch_end(end_step)
    assert deadline.batches == 10


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_the_compiled_step_draws_what_the_eager_draw_returns(backend, tmp_path_factory, tmp_path):
    if backend == "jax":  # in the session's one JAX process, TensorFlow blocked as on the GPU machine
        out = jax_job(tmp_path_factory, "compiled_step")
        assert not out["tensorflow_loaded"]
    else:  # here: the suite runs on TensorFlow
        pytest.importorskip("tensorflow")
        if keras.config.backend() != "tensorflow":
            pytest.skip(f"this process runs Keras on {keras.config.backend()}")
        out = backend_jobs.compiled_step(tmp_path)
        assert out["xla_max_diff"] < 1e-6  # with and without XLA: the same draw (XLA may fuse the add: 1 ulp)
    assert out["backend"] == backend and out["clean_equal"]
    assert out["noise_max_diff"] < 1e-6, out  # the same stateless draw, compiled or eager
    assert out["blind_max_diff"] < 1e-6, out  # and the same per-patch levels
    assert abs(out["noise_std"] - 25) < 1.5


def test_the_noise_is_float32_sigma_over_255_times_the_stateless_normals_added_to_the_clean_batch(patches):
    from dncnn.training.pipeline import stateless_normal

    noisy, clean = draw_batch(patches, batch_size=16, sigma=25, seed=3, epoch=2, step=1)
    seed = keras.ops.convert_to_tensor(step_seeds(seed=3, epoch=2, steps=1, first=1)[0])
    z = keras.ops.convert_to_numpy(stateless_normal((16, 40, 40, 1), seed=seed))
    np.testing.assert_array_equal(noisy, clean + z * np.float32(25 / 255))  # the formula of dncnn.data.noise


def test_epoch_order_takes_batches_of_one_and_refuses_empty_ones():
    np.testing.assert_array_equal(epoch_order(4, batch_size=1, steps=4, seed=0, epoch=0).ravel(),
                                  np.random.default_rng([0, 0]).permutation(4))
    for batch_size, steps in ((0, 1), (1, 0)):
        with pytest.raises(ValueError, match="batch_size and steps must be >= 1"):
            epoch_order(4, batch_size=batch_size, steps=steps, seed=0, epoch=0)
