"""The training batch stream: seeded order and fresh seeded noise per batch."""

import numpy as np
import pytest

pytest.importorskip("keras")

from dncnn.data.noise import gaussian_noise  # noqa: E402
from dncnn.training.batches import NoisyPatchBatches  # noqa: E402


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


def test_the_noise_of_a_batch_is_the_one_formula_seeded_by_seed_epoch_and_step():
    patches = np.random.default_rng(0).integers(0, 256, size=(64, 40, 40), dtype=np.uint8)
    noisy, clean = NoisyPatchBatches(patches, batch_size=16, sigma=25, seed=4, epoch=2)[3]
    np.testing.assert_array_equal(noisy, clean + gaussian_noise(clean.shape, 25, seed=[4, 2, 3], dtype=np.float32))

