"""CPU training is bit-identical from run to run at DnCNN-S's size: dncnn sets TensorFlow to one
inter-op thread when imported (dncnn/__init__.py). With TensorFlow's default (as many as cores), two
such runs on a 2-core AMD EPYC ended with different weights, three runs in three ways."""

import json
import os
import subprocess
import sys

import pytest

# two steps of the device pipeline at DnCNN-S's size, batch 32 (batch 8 happened to agree even with two
# inter-op threads), with op determinism as the profiles train; prints the weights' SHA-256
TRAIN_TWO_STEPS = """
import hashlib, json
import numpy as np
import dncnn  # sets TF_NUM_INTEROP_THREADS=1 before TensorFlow runs an op
import keras
import tensorflow as tf
tf.config.experimental.enable_op_determinism()
from dncnn.model.network import build_dncnn
from dncnn.training.pipeline import build_trainer, epoch_inputs
bank = np.random.default_rng(0).integers(0, 256, (256, 40, 40), dtype=np.uint8)
keras.utils.set_random_seed(0)
net = build_dncnn(17, 64, seed=0)
trainer = build_trainer(net, bank, sigma=25.0, optimizer=keras.optimizers.Adam(1e-3), jit_compile="auto")
trainer.fit(epoch_inputs(256, batch_size=32, steps=2, seed=0, epoch=0), batch_size=1, shuffle=False, epochs=1, verbose=0)
print(json.dumps({"sha256": hashlib.sha256(b"".join(w.tobytes() for w in net.get_weights())).hexdigest(),
                  "inter_op": __import__("os").environ.get("TF_NUM_INTEROP_THREADS")}))
"""


@pytest.mark.slow
@pytest.mark.skipif(__import__("keras").config.backend() != "tensorflow", reason="the inter-op pool is TensorFlow's")
def test_two_cpu_trainings_of_dncnn_s_end_with_the_same_bytes():
    env = {k: v for k, v in os.environ.items() if k != "TF_NUM_INTEROP_THREADS"}  # what dncnn sets, not the caller
    runs = [subprocess.Popen([sys.executable, "-c", TRAIN_TWO_STEPS], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["inter_op"] for r in results] == ["1", "1"]
    assert results[0]["sha256"] == results[1]["sha256"]
