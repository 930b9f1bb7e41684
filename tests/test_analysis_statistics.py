"""Batch and batch-norm statistics, against direct computations."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn.analysis import statistics as analysis  # noqa: E402
from dncnn.model.network import build_dncnn  # noqa: E402


@pytest.fixture(scope="module")
def patches():
    return np.random.default_rng(0).integers(0, 256, size=(300, 40, 40), dtype=np.uint8)


def test_sample_batches_residual_is_the_noise(patches):
    batches = analysis.sample_batches(patches, n_batches=2, batch_size=128, sigma=25, seed=1)
    assert len(batches) == 2
    for b in batches:
        assert b["clean"].shape == (128, 40, 40)
        np.testing.assert_allclose(b["noisy"] - b["clean"], b["residual"], atol=1e-7)
        assert abs(b["residual"].std() * 255 - 25) < 0.5
    assert not np.array_equal(batches[0]["clean"], batches[1]["clean"])


def test_bn_input_statistics_equal_a_direct_computation(patches):
    model = build_dncnn(5, 8, seed=0)
    stats = analysis.bn_input_statistics(model, patches, n_batches=2, batch_size=16, sigma=25, seed=1)
    assert sorted(stats["layer"].unique()) == [2, 3, 4] and len(stats) == 6
    batch = analysis.sample_batches(patches, n_batches=1, batch_size=16, sigma=25, seed=1)[0]
    z = keras.Model(model.input, model.get_layer("dncnn_conv3").output)(batch["noisy"][..., None], training=False)
    z = keras.ops.convert_to_numpy(z).astype(np.float64)
    row = stats[(stats.layer == 3) & (stats.batch == 0)].iloc[0]
    assert row["mean"] == pytest.approx(z.mean(axis=(0, 1, 2)).mean(), abs=1e-5)
    assert row["std"] == pytest.approx(z.std(axis=(0, 1, 2)).mean(), rel=1e-4)
    assert row["moving_mean"] == 0 and row["moving_std"] == pytest.approx(np.sqrt(1 + 1e-4))


def test_bn_statistics_need_batch_norm_layers(patches):
    with pytest.raises(ValueError, match="no batch-norm layers"):
        analysis.bn_input_statistics(build_dncnn(4, 8, batch_norm=False), patches, n_batches=1, batch_size=8, sigma=25, seed=0)


def test_batch_statistics_equal_numpy(patches):
    batches = analysis.sample_batches(patches, n_batches=2, batch_size=16, sigma=25, seed=1)
    table = analysis.batch_statistics(batches)
    assert len(table) == 6
    row = table[(table.batch == 1) & (table.kind == "residual")].iloc[0]
    assert row["std"] == pytest.approx(float(batches[1]["residual"].std()))


def test_bn_statistics_of_two_models_use_each_models_batch_size(patches):
    a, b = build_dncnn(4, 8, seed=0), build_dncnn(5, 8, seed=1)
    stats = analysis.bn_statistics_of_models({"a": (a, 8), "b": (b, 16)}, patches, n_batches=2, sigma=25, seed=1)
    assert list(dict.fromkeys(stats.model)) == ["a", "b"]
    assert sorted(stats[stats.model == "a"].layer.unique()) == [2, 3] and sorted(stats[stats.model == "b"].layer.unique()) == [2, 3, 4]
    alone = analysis.bn_input_statistics(b, patches, n_batches=2, batch_size=16, sigma=25, seed=1)
    np.testing.assert_array_equal(stats[stats.model == "b"]["mean"].to_numpy(), alone["mean"].to_numpy())


def test_check_noise_level_accepts_the_training_noise_and_refuses_a_clipped_or_wrong_level(patches):
    batches = analysis.sample_batches(patches, n_batches=2, batch_size=32, sigma=25, seed=1)
    facts = analysis.check_noise_level(batches, sigma=25)
    assert facts["values"] == 2 * 32 * 40 * 40 and abs(facts["std"] - 25) < 0.2
    with pytest.raises(ValueError, match="standard deviation"):
        analysis.check_noise_level(batches, sigma=24)
    clipped = [{**b, "noisy": np.clip(b["noisy"], 0, 1), "residual": np.clip(b["noisy"], 0, 1) - b["clean"]} for b in batches]
    with pytest.raises(ValueError):  # clipping shifts the residual's mean and shrinks its spread
        analysis.check_noise_level(clipped, sigma=25)
    with pytest.raises(ValueError, match="looks clipped"):
        analysis.check_noise_level([{**b, "noisy": np.clip(b["noisy"], 0, 1)} for b in batches], sigma=25)
