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


def _start(**env) -> subprocess.Popen:
    base = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.Popen([sys.executable, "-c", _RUN], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**base, **env})


@pytest.mark.slow
def test_tensorflow_start_up_lines_are_silenced_and_can_be_turned_back_on():
    pytest.importorskip("tensorflow")
    runs = {"quiet": _start(KERAS_BACKEND="tensorflow"), "loud": _start(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="0")}
    (quiet_out, quiet_err), (_, loud_err) = (run.communicate(timeout=300) for run in runs.values())  # side by side
    assert runs["quiet"].returncode == 0, quiet_err[-2000:]
    assert quiet_out.strip() == "denoised (16, 16)"
    assert not any(line in quiet_err for line in NOISE), quiet_err
    assert runs["loud"].returncode == 0 and any(line in loud_err for line in NOISE)
