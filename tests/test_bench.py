"""The benchmark's pieces work on tiny inputs (timings themselves live in `make bench`, not here)."""

import numpy as np
import pandas as pd
import pytest

from dncnn.bench import measure, tables
from dncnn.bench.peers import generate_patches_loop
from dncnn.data.patches import generate_patches


def test_flops_per_pixel_match_the_models_kernels():
    keras = pytest.importorskip("keras")
    from dncnn.model.network import build_dncnn

    model = build_dncnn(17, batch_norm=False)
    kernels = [layer.kernel.shape for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert measure.dncnn_flops_per_pixel() == sum(2 * int(np.prod(k)) for k in kernels) == 1_108_224


def test_the_per_patch_loop_gives_the_same_patches():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (180, 180), dtype=np.uint8) for _ in range(2)]
    ours, info = generate_patches(images, seed=5)
    loop, loop_info = generate_patches_loop(images, seed=5)
    np.testing.assert_array_equal(ours, loop)
    assert info["count"] == loop_info["count"] == 1152


def test_inference_and_bm3d_timings_on_a_tiny_input(tmp_path):
    pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    from dncnn.model.network import build_dncnn

    weights = tmp_path / "w.npz"
    np.savez(weights, **{f"w{i}": w for i, w in enumerate(build_dncnn(17, 64, batch_norm=False, seed=0).get_weights())})
    sizes = {"32x24": (24, 32)}
    rows = measure.run_keras_inference(weights, sizes=sizes, repeats=1) + measure.run_bm3d(sizes=sizes, repeats=1)
    table = pd.DataFrame(rows + [{"task": "ceiling", "method": "matmul", "size": "", "pixels": 0, "seconds": np.nan, "gflops": 50.0}])
    table = tables.add_ratios(table, flops_per_pixel=measure.dncnn_flops_per_pixel())
    inf = table[table.task == "inference"]
    assert (inf.seconds > 0).all() and {"BM3D (bm3d package)"} <= set(inf.method)
    assert any("denoise API" in m for m in inf.method)
    dn = inf[inf.method.str.contains("keras")]
    np.testing.assert_allclose(dn.fraction_of_ceiling, 24 * 32 * 1_108_224 / dn.seconds / 1e9 / 50.0)
    text = tables.format_bench(table, machine="test machine")
    assert "test machine" in text and "fastest DnCNN path" in text and "BM3D takes" in text


def test_training_throughput_is_timed_through_the_device_pipeline(monkeypatch, steps_per_execution=2):
    keras = pytest.importorskip("keras")
    from dncnn.training import pipeline

    trainers = []
    real = pipeline.build_trainer
    monkeypatch.setattr(pipeline, "build_trainer", lambda *args, **kwargs: trainers.append(real(*args, **kwargs)) or trainers[-1])
    row = measure.measure_train_throughput(batch_size=4, patch_size=12, depth=3, filters=4, seconds=0.2, warmup_steps=2,
                                         steps_per_execution=steps_per_execution, patches=16)
    assert len(trainers) == 1 and trainers[0].bank.patches.dtype == "uint8"  # the patches live on the device
    assert row["steps"] >= 2 and row["steps_per_execution"] == steps_per_execution and row["batch_size"] == 4
    assert int(trainers[0].optimizer.iterations) == 2 + 2 * steps_per_execution + row["steps"]  # warm-up, probe, timed
    assert row["patches_per_second"] == pytest.approx(row["steps"] * 4 / row["seconds"], rel=0.02)
    assert keras.config.dtype_policy().name == "float32"


def test_matmul_ceiling_is_positive():
    assert measure.measure_matmul_gflops(n=256, repeats=3) > 0


def test_denoise_cli_benchmark_table_states_seconds_per_image():
    rows = [{"task": "denoise CLI", "method": "one folder call (--out-dir)", "images": 8, "seconds": 24.0, "seconds_per_image": 3.0},
            {"task": "denoise CLI", "method": "one call per image", "images": 8, "seconds": 120.0, "seconds_per_image": 15.0}]
    text = tables.format_denoise_cli(rows, machine="test machine")
    assert "test machine" in text and "| one folder call (--out-dir) | 8 | 24.0 | 3.00 |" in text and "5.0x as long" in text


def _tiny_weights(tmp_path, *, depth=3, filters=4):
    """A deploy-form Keras DnCNN's weights as ``run_torch`` reads them (npz, ``w0``, ``w1``, ...), and the model."""
    from dncnn.model.network import build_dncnn

    model = build_dncnn(depth, filters, batch_norm=False, seed=0)
    path = tmp_path / "w.npz"
    np.savez(path, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    return path, model


def test_the_pytorch_peer_computes_what_keras_computes(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("keras")
    from dncnn.bench.peers import build_torch_dncnn

    _, model = _tiny_weights(tmp_path, depth=4, filters=8)
    x = np.random.default_rng(0).random((1, 20, 24, 1)).astype("float32")
    ours = np.asarray(model(x, training=False))
    peer = build_torch_dncnn(depth=4, filters=8, batch_norm=False, weights=model.get_weights()).eval()
    unloaded = build_torch_dncnn(depth=4, filters=8, batch_norm=False).eval()
    with torch.inference_mode():
        theirs = peer(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
        other = unloaded(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(theirs, ours, atol=1e-5)
    assert np.abs(other - ours).max() > 1e-3  # the comparison sees a network without the weights


def test_the_pytorch_peer_rows_and_their_ratio_to_ours(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    weights, _ = _tiny_weights(tmp_path)
    rows = measure.run_torch(weights, sizes={"16x12": (12, 16)}, repeats=1, train_seconds=0.05, batch_size=2, patch_size=12)
    assert [(r["task"], r["size"], r["pixels"]) for r in rows] == [("inference", "16x12", 192), ("training", "batch 2 of 12x12", 288)]
    assert all(r["method"].startswith("pytorch") and r["seconds"] > 0 for r in rows)
    ours = {"task": "training", "method": "keras-tf", "size": "batch 2 of 12x12", "pixels": 288, "seconds": 3 * rows[1]["seconds"]}
    (sentence,) = tables.summarize_training_ratios(pd.DataFrame(rows + [ours]))
    assert "keras-tf takes 3.00x the PyTorch peer's time per step" in sentence


def test_training_ratios_need_the_peer_and_the_same_batch():
    rows = [{"task": "training", "method": "keras-tf", "size": "batch 32 of 40x40", "seconds": 1.5},
            {"task": "training", "method": "keras-jax", "size": "batch 32 of 40x40", "seconds": 2.0},
            {"task": "inference", "method": "pytorch", "size": "skipped: torch is not importable"}]
    assert tables.summarize_training_ratios(pd.DataFrame(rows)) == []
    rows[2] = {"task": "training", "method": "pytorch 2.13.0", "size": "batch 32 of 40x40", "seconds": 0.5}
    assert tables.summarize_training_ratios(pd.DataFrame(rows)) == [
        "- Training (batch 32 of 40x40): keras-tf takes 3.00x, keras-jax takes 4.00x the PyTorch peer's time per step."]
    rows[2]["size"] = "batch 8 of 40x40"
    assert tables.summarize_training_ratios(pd.DataFrame(rows)) == []


def test_a_sweep_starts_no_setting_that_cannot_end_within_its_budget(capsys):
    import json
    import time

    def fake(*, wait, stop=False):
        if stop:
            raise KeyboardInterrupt  # what the prepared command's timeout sends
        time.sleep(wait)
        return {"measured": True}

    rows = measure.run_within_budget([{"wait": 0.2}, {"wait": 0.1}, {"wait": 0.1}], fake, budget_seconds=0.45)
    assert [r.get("skipped") for r in rows] == [None, None, "time budget"]  # 0.15 s left: less than the first took
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == rows
    assert all("skipped" in r for r in measure.run_within_budget([{"wait": 0.0}], fake, budget_seconds=0))
    rows = measure.run_within_budget([{"wait": 0.0}, {"wait": 0.0, "stop": True}, {"wait": 0.0}], fake, budget_seconds=5)
    assert [r.get("skipped") for r in rows] == [None] + ["interrupted at the time budget"] * 2


def test_a_sweep_killed_inside_a_setting_gets_a_skipped_line_for_it_and_those_after(tmp_path):
    """The prepared GPU command kills a sweep at its hard bound; a process killed inside a compilation
    writes nothing more, so fill_sweep completes the file: every setting once, in order."""
    import json

    from dncnn.bench.measure import fill_sweep, sweep_configs

    path = tmp_path / "sweep.jsonl"
    jax, peer = sweep_configs()["jax"], sweep_configs()["peer"]
    path.write_text("".join(json.dumps({**c, "patches_per_second": 1.0}) + "\n" for c in jax[:2] + peer[:1]))
    added = fill_sweep(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(added) == len(jax) - 2 + len(peer) - 1 and all(r["skipped"] == "killed at the time budget" for r in added)
    assert [{k: r[k] for k in c} for r, c in zip([l for l in lines if "mixed_precision" in l], jax)] == jax
    assert [{k: r[k] for k in c} for r, c in zip([l for l in lines if "compile_model" in l], peer)] == peer
    assert fill_sweep(path) == []  # complete: nothing to add
