"""Paths: every output under one root (DNCNN_OUTPUT_ROOT), staged runs, the committed weights."""

import os
import subprocess
import sys

from dncnn import config


def test_outputs_of_a_profile_and_of_a_staged_run(tmp_path):
    assert config.results_dir("quick") == config.RESULTS_DIR / "quick"
    assert config.figures_dir("quick", stage=tmp_path) == tmp_path / "figures" / "quick"
    assert config.results_dir("paper", stage=tmp_path) == tmp_path / "results" / "paper"
    assert config.patches_path("smoke") == config.DATA_DIR / "patches" / "smoke" / "patches.npy"
    assert config.run_dir("smoke") == config.RUNS_DIR / "smoke"


def test_output_root_moves_every_output_but_not_the_project(tmp_path):
    code = "from dncnn import config as c; print(c.DATA_DIR, c.RESULTS_DIR, c.FIGURES_DIR, c.BUILD_DIR, c.WEIGHTS_DIR, sep='\\n')"
    env = {**os.environ, "DNCNN_OUTPUT_ROOT": str(tmp_path)}
    lines = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert lines[:4] == [str(tmp_path / name) for name in ("data", "results", "figures", "build")]
    assert lines[4] == str(config.PROJECT_ROOT / "weights")  # committed, not an output


def test_shipped_models_are_committed_with_their_log_and_sidecar():
    from dncnn.model.catalog import SHIPPED, entries

    shipped = entries(source=SHIPPED)
    assert [e.key for e in shipped] == ["dncnn-s-sigma25"]
    for entry in shipped:
        assert entry.sigma > 0 and entry.name and entry.file == f"weights/{entry.key}.keras"
        for suffix in (".keras", ".json", ".log.csv"):
            assert (config.WEIGHTS_DIR / f"{entry.key}{suffix}").is_file(), entry.key + suffix
