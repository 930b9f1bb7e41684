"""Notebook 02's time estimate from real steps (whether the profile trains here: tests/test_state.py)."""

from dataclasses import replace

import pytest

from dncnn import config
from dncnn.training import plan
from dncnn.training.train import time_training_steps
from helpers import TINY


@pytest.mark.slow
def test_time_training_steps_times_real_steps_and_leaves_no_run_behind(patches_file, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")  # any stray run folder would land here
    profile = replace(TINY, epochs=7, steps_per_epoch=None, batch_size=4)
    estimate = time_training_steps(profile, steps=3, warmup=2, patches_path=patches_file)
    assert estimate["steps_total"] == 7 * (64 // 4)  # 64 patches, batch 4, 7 epochs
    assert estimate["steps_timed"] == 3 and estimate["warmup_steps"] == 2
    assert 0 < estimate["seconds_per_step"] < 60
    assert estimate["estimated_seconds"] == pytest.approx(estimate["seconds_per_step"] * 112, rel=1e-3, abs=0.06)
    assert estimate["device"].startswith("CPU") and estimate["batch_size"] == 4
    assert not (tmp_path / "data").exists()
    text = plan.describe_estimate(estimate)
    assert "112 steps of batch 4" in text and "3 steps after 2 warm-up steps" in text


def test_count_training_steps_follows_the_profile_and_names_the_missing_patches(patches_file, tmp_path):
    assert plan.count_training_steps(replace(TINY, epochs=3, steps_per_epoch=5)) == 15
    assert plan.count_training_steps(replace(TINY, epochs=2, steps_per_epoch=None, batch_size=8), patches_path=patches_file) == 16
    with pytest.raises(FileNotFoundError, match="notebook 01"):
        plan.count_training_steps(replace(TINY, steps_per_epoch=None), patches_path=tmp_path / "none.npy")
