"""``python -m dncnn ablation``: the named runs of the paper's Fig. 2, resumable, bounded, published."""

import json
from dataclasses import replace

import numpy as np
import pytest

from dncnn import config
from dncnn.commands import ablation
from dncnn.profiles import get_profile


def test_the_runs_differ_only_in_the_switches_and_the_optimizer_and_sgd_gets_the_papers_schedule():
    base = get_profile("ablation-gpu")
    adam = ablation.ablation_profile(base, "adam-bn", patches_count=238_336)
    assert (adam.residual, adam.batch_norm, adam.optimizer, adam.loss) == (False, True, "adam", "mse")
    assert replace(adam, residual=True) == base  # nothing else changed
    sgd = ablation.ablation_profile(base, "sgd-rl", patches_count=238_336)
    assert (sgd.residual, sgd.batch_norm, sgd.momentum, sgd.weight_decay, sgd.loss) == (True, False, 0.9, 1e-4, "half_sum")
    assert (sgd.gradient_clip, sgd.init) == (0.005, "matconvnet")  # MatConvNet's clipping and initialisation
    # 1,862 steps a pass = 7 epochs of 266: the paper's logspace(-1, -4, 50) per pass, pass k at epoch 7k
    np.testing.assert_allclose([sgd.learning_rate(7 * k) for k in range(50)], np.logspace(-1, -4, 50), rtol=1e-12)
    assert ablation.describe_switches("sgd-plain") == "neither (SGD)" and ablation.describe_switches("adam-rl-bn") == "RL+BN (Adam)"
    assert ablation.resolve_runs(["sgd-bn", "adam"]) == ["adam-rl-bn", "adam-rl", "adam-bn", "adam-plain", "sgd-bn"]
    with pytest.raises(ValueError, match="allowed are adam, sgd, all"):
        ablation.resolve_runs(["adam-resnet"])


@pytest.fixture
def tiny(tmp_path, monkeypatch, mirror):
    monkeypatch.setattr(config, "RUNS_DIR", tmp_path / "runs")
    from dncnn.files.atomic import save_npy

    patches = save_npy(tmp_path / "p.npy", np.random.default_rng(0).integers(0, 256, (32, 40, 40), dtype=np.uint8))
    profile = replace(get_profile("ablation"), name="tiny", depth=3, filters=4, batch_size=4, epochs=1, steps_per_epoch=2,
                      validation_images=1, validation_crop=16)
    return profile, patches, tmp_path / "out"


@pytest.mark.slow
def test_a_run_continues_across_calls_and_its_curve_is_published_with_its_budget(tiny):
    profile, patches, out = tiny
    options = dict(profile=profile, runs=["adam-rl"], out_dir=out, patches_path=patches, verbose=0)
    first = ablation.run_ablation(**options)
    assert [f["status"] for f in first] == ["complete"] and first[0]["steps"] == 2
    later = ablation.run_ablation(**options, epochs=3, argv=["ablation", "--epochs", "3"])[0]  # resumes from epoch 1
    assert later["status"] == "complete" and later["steps"] == 6 and later["epochs"] == 3
    assert later["budget"] == {"steps_planned": 6, "steps_done": 6, "batch_size": 4, "patches_planned": 24, "patches_seen": 24,
                               "paper_epochs_planned": round(24 / 238_336, 4), "max_minutes": None}
    log = (out / "tiny" / "adam-rl.log.csv").read_text()
    assert log == (config.RUNS_DIR / "ablation" / "tiny" / "adam-rl" / "log.csv").read_text()
    assert [row.split(",")[1] for row in log.splitlines()[1:]] == ["2", "4", "6"]  # steps: the first call's epoch is kept
    facts = json.loads((out / "tiny" / "adam-rl.json").read_text())
    assert facts["label"] == "RL (Adam)" and facts["argv"] == ["ablation", "--epochs", "3"]
    assert facts["profile"]["residual"] and not facts["profile"]["batch_norm"]
    assert ablation.run_ablation(**options, time_limit=0.001) == []  # no time left: nothing starts


@pytest.mark.slow
def test_a_diverged_run_is_recorded_and_not_retried(tiny, monkeypatch):
    profile, patches, out = tiny

    def diverge(*args, **kwargs):
        raise FloatingPointError("the training loss became nan in epoch 1; the last good checkpoint is kept")

    from dncnn.training import train as train_module

    monkeypatch.setattr(train_module, "train", diverge)
    first = ablation.run_ablation(profile=profile, runs=["sgd-plain"], out_dir=out, patches_path=patches, verbose=0)
    assert first[0]["status"].startswith("diverged (the training loss became nan")
    monkeypatch.setattr(train_module, "train", lambda *a, **k: pytest.fail("a diverged run must not train again"))
    again = ablation.run_ablation(profile=profile, runs=["sgd-plain"], out_dir=out, patches_path=patches, verbose=0)
    assert again[0]["status"] == first[0]["status"]
    assert json.loads((out / "tiny" / "sgd-plain.json").read_text())["status"] == first[0]["status"]
