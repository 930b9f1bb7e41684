"""make bench's CPU training sweep: each configuration measured, compared with the profiles' in the
same process, and a choice that keeps the recipe."""

import os

import pandas as pd
import pytest

from dncnn.bench import training
from dncnn.profiles import get_profile


def _row(ratio, *, baseline=False, **config):
    row = {**training.PROFILE_CONFIG, "deterministic": True, "intra_op": 2, "inter_op": 1, "best": 30.0 * ratio,
           "median": 29.0 * ratio, "ratio": ratio, "baseline": baseline, "group": 0}
    return {**row, **config}


def test_the_profiles_configuration_is_what_the_quick_and_ablation_profiles_train_with():
    for name in ("quick", "ablation"):
        p = get_profile(name)
        assert (p.batch_size, p.steps_per_execution, p.deterministic) == (
            training.PROFILE_CONFIG["batch_size"], training.PROFILE_CONFIG["steps_per_execution"], True)


def test_a_faster_configuration_is_chosen_only_if_it_keeps_the_recipe_and_beats_the_spread():
    rows = [_row(1.0, baseline=True), _row(1.6, precision="mixed_bfloat16"), _row(1.2, batch_size=128),
            _row(1.02, steps_per_execution=5), _row(0.8, xla=True, deterministic=False), _row(1.3, inter_op=2)]
    choice = training.choose_training_config(pd.DataFrame(rows))
    # bf16 and batch 128 change the recipe, two inter-op threads the reruns' bits; 2 % is the host's spread
    assert not choice["changed"] and choice["row"]["baseline"]
    assert "steps per call" in choice["why"] and "1.02x" in choice["why"]
    rows.append(_row(1.10, steps_per_execution=10))
    choice = training.choose_training_config(pd.DataFrame(rows))
    assert choice["changed"] and choice["row"]["steps_per_execution"] == 10 and "1.10x" in choice["why"]


def test_the_sweep_table_names_every_configuration_and_the_choice():
    rows = [_row(1.0, baseline=True), _row(0.8, xla=True, deterministic=False, group=2), _row(1.01, inter_op=2, group=1)]
    text = training.format_training_sweep(pd.DataFrame(rows), machine="test CPU")
    lines = [line for line in text.splitlines() if line.startswith("| batch")]
    assert len(lines) == 3 and "(the profiles')" in lines[0] and "XLA, 1 step per call, no op determinism" in lines[1]
    assert "2 inter-op threads | 2 |" in lines[2] and "0.80x" in lines[1] and "| 3 |" in lines[1]
    assert "Chosen for the quick and ablation profiles: batch 32, float32, no XLA" in text


@pytest.mark.slow
def test_a_tiny_sweep_measures_each_configuration_in_a_process_with_its_settings():
    groups = (({"deterministic": False, "threads": (1, 1)}, [{"steps_per_execution": 2}, {"xla": True}]),)
    table = training.sweep_cpu_training(rounds=2, patches_per_epoch=64, groups=groups, depth=3, filters=4, patch_size=8)
    assert list(table.group) == [0, 0, 0] and list(table.baseline) == [True, False, False]
    assert list(table.inter_op) == list(table.intra_op) == [1, 1, 1] and not table.deterministic.any()
    assert list(table.steps_per_execution) == [1, 2, 1] and list(table.xla) == [False, False, True]
    assert (table.steps % table.steps_per_execution == 0).all() and (table.steps * table.batch_size >= 64).all()
    assert (table["best"] >= table["median"]).all() and (table["median"] > 0).all()
    assert table.ratio.iloc[0] == 1.0 and table.ratio.iloc[2] == table["best"].iloc[2] / table["best"].iloc[0]
