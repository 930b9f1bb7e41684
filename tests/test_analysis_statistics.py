"""Batch and batch-norm statistics, against direct computations."""

import numpy as np
import pandas as pd
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


def _batch(clean, residual=None):
    clean = np.asarray(clean, np.float32)
    return {"clean": clean, "residual": np.zeros_like(clean) if residual is None else residual.astype(np.float32)}


def test_the_super_resolution_residual_is_bicubic_minus_the_patch_zero_on_flat_patches():
    from dncnn.data import matlab

    rng = np.random.default_rng(3)
    flat = np.full((2, 40, 40), 100 / 255, np.float32)
    noise = rng.normal(0, 25 / 255, flat.shape)
    (out,) = analysis.residual_batches([_batch(flat, noise)])
    assert {k: v.shape for k, v in out.items()} == {"noise": (2, 40, 40), "x2": (2, 40, 40), "x3": (2, 39, 39), "x4": (2, 40, 40)}
    np.testing.assert_array_equal(out["noise"], noise.astype(np.float32))  # the batch's own noise, passed on
    for scale in (2, 3, 4):
        assert np.abs(out[f"x{scale}"]).max() < 1e-6  # bicubic keeps a constant
    textured = rng.integers(0, 256, (1, 40, 40)).astype(np.float32) / 255
    (out,) = analysis.residual_batches([_batch(textured)], scales=(3,))
    hr = np.round(textured[0, :39, :39] * 255).astype(np.uint8)
    expected = matlab.imresize(matlab.imresize(hr, 1 / 3) / 255.0, 3) - hr / 255.0
    np.testing.assert_allclose(out["x3"][0], expected, atol=1e-6)


def test_residual_statistics_give_a_gaussian_kurtosis_near_zero_and_an_edge_a_large_one():
    rng = np.random.default_rng(4)
    gauss = rng.normal(0, 25 / 255, (8, 40, 40))
    sparse = np.zeros((8, 40, 40))
    sparse[:, 20, 20] = 0.5  # one large value per patch: the shape of a residual near zero but at an edge
    stats = analysis.residual_statistics([{"noise": gauss, "edge": sparse}])
    noise, edge = stats.set_index("kind").loc["noise"], stats.set_index("kind").loc["edge"]
    assert noise["std"] == pytest.approx(25, rel=0.02) and abs(noise["kurtosis"]) < 0.2 and noise.patches == 8
    v = sparse.ravel() * 255
    assert edge["kurtosis"] == pytest.approx(np.mean((v - v.mean()) ** 4) / np.var(v) ** 2 - 3)
    assert edge["kurtosis"] > 1000


def test_the_spread_summary_and_the_verdict_follow_the_batches():
    def stats(noise_stds, sr_stds, sr_kurtosis):
        rows = [{"batch": b, "kind": "noise", "patches": 4, "mean": 0.0, "std": s, "kurtosis": 0.0} for b, s in enumerate(noise_stds)]
        rows += [{"batch": b, "kind": "x2", "patches": 4, "mean": 0.0, "std": s, "kurtosis": k}
                 for b, (s, k) in enumerate(zip(sr_stds, sr_kurtosis))]
        return pd.DataFrame(rows)

    spread = analysis.summarize_residual_spread(stats([25.0, 25.1, 24.9], [10.0, 14.0, 12.0], [8.0, 6.0, 9.0]))
    x2 = spread.set_index("kind").loc["x2"]
    assert x2.std_cv == pytest.approx(np.std([10, 14, 12], ddof=1) / 12) and (x2.std_min, x2.std_max) == (10, 14)
    judged = analysis.judge_residual_property(spread)
    assert judged["holds"] and judged["ratios"]["x2"] == pytest.approx(x2.std_cv / (0.1 / 25))
    steady = analysis.summarize_residual_spread(stats([25.0, 25.1, 24.9], [12.0, 12.05, 11.95], [8.0, 6.0, 9.0]))
    assert not analysis.judge_residual_property(steady)["holds"]  # varies no more than the noise
    gaussian = analysis.summarize_residual_spread(stats([25.0, 25.1, 24.9], [10.0, 14.0, 12.0], [8.0, 0.1, 9.0]))
    assert not analysis.judge_residual_property(gaussian)["holds"]  # one batch as Gaussian as the noise
