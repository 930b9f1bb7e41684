"""Importing dncnn silences TensorFlow's C++ start-up and XLA lines; a user can bring them back."""

import os
import subprocess
import sys

import pytest

_RUN = """
import numpy as np
import dncnn
from dncnn.evaluation.denoisers import KerasDenoiser
from dncnn.model.network import build_dncnn
out = KerasDenoiser(build_dncnn(3, 4, batch_norm=False, seed=0))(np.zeros((16, 16), np.float32), 25)  # XLA-compiled
print("denoised", out.shape)
"""
NOISE = ("absl::InitializeLog", "oneDNN custom operations", "Compiled cluster using XLA")


def _run(**env):
    base = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", _RUN], capture_output=True, text=True, env={**base, **env}, timeout=300)


@pytest.mark.slow
def test_tensorflow_start_up_lines_are_silenced_and_can_be_turned_back_on():
    pytest.importorskip("tensorflow")
    quiet = _run(KERAS_BACKEND="tensorflow")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert quiet.stdout.strip() == "denoised (16, 16)"
    assert not any(line in quiet.stderr for line in NOISE), quiet.stderr
    loud = _run(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="0")
    assert loud.returncode == 0 and any(line in loud.stderr for line in NOISE)
