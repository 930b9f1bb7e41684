"""The paper's Table IV re-derived (dncnn/bench/table4.py, dncnn/analysis/run_times.py): its pieces on a
32 px image and one repeat, its arithmetic and its claims row on hand-made tables (timings live in
`make bench`, not here)."""

import numpy as np
import pandas as pd
import pytest

from dncnn.analysis import run_times
from dncnn.bench import table4
from dncnn.evaluation.paper import PAPER_RUN_TIMES


def _measured(times: dict, device="CPU: test cpu, 2 cores"):
    """A measure_table4 result: {method: {size: seconds}}."""
    return pd.DataFrame([{"method": m, "size": s, "seconds": t, "device": device} for m, by in times.items() for s, t in by.items()])


HERE = {"BM3D": {256: 2.0, 512: 8.0, 1024: 30.0}, "CBM3D": {256: 6.0, 512: 24.0, 1024: 90.0},
        "DnCNN-S": {256: 0.4, 512: 1.6, 1024: 5.0}, "DnCNN-B": {256: 0.5, 512: 2.0, 1024: 8.0},
        "CDnCNN-B": {256: 0.6, 512: 2.4, 1024: 10.0}}


def test_the_papers_table_iv_is_a_labelled_secondary_reference():
    from dncnn.evaluation import paper

    assert "secondary" in paper.PAPER_RUN_TIMES_SOURCE and "Titan X" in paper.PAPER_RUN_TIMES_MACHINE
    assert PAPER_RUN_TIMES[("BM3D", "CPU")] == {256: 0.65, 512: 2.85, 1024: 11.89} and ("BM3D", "GPU") not in PAPER_RUN_TIMES
    assert PAPER_RUN_TIMES[("DnCNN-B", "GPU")][1024] == 0.235 and PAPER_RUN_TIMES[("TNRD", "CPU")][512] == 1.33
    assert all(set(v) == set(table4.TABLE4_SIZES) for v in PAPER_RUN_TIMES.values())


def test_build_table4_sets_the_papers_seconds_and_ratios_beside_ours():
    table = table4.build_table4(_measured(HERE))
    row = table.set_index(["method", "size"])
    assert row.loc[("DnCNN-S", 512), "cpu_seconds"] == 1.6 and row.loc[("DnCNN-S", 512), "paper_cpu_seconds"] == 3.41
    assert row.loc[("DnCNN-S", 512), "ratio_to_bm3d"] == pytest.approx(1.6 / 8.0)
    assert row.loc[("DnCNN-S", 512), "paper_ratio_to_bm3d"] == pytest.approx(3.41 / 2.85)
    assert row.loc[("BM3D", 256), "ratio_to_bm3d"] == 1.0 and np.isnan(row.loc[("CBM3D", 256), "paper_cpu_seconds"])
    assert np.isnan(row.loc[("TNRD", 1024), "cpu_seconds"]) and row.loc[("TNRD", 1024), "paper_cpu_seconds"] == 4.61
    assert table.gpu_seconds.isna().all() and row.loc[("DnCNN-S", 1024), "paper_gpu_seconds"] == 0.2
    assert len(table) == 3 * 6 and (table.cpu_device == "test cpu, 2 cores").all()


def test_the_markdown_says_gpu_not_measured_until_a_gpu_file_exists(tmp_path):
    text = table4.format_table4(table4.build_table4(_measured(HERE)))
    assert "GPU: not measured yet" in text and "| DnCNN-S | 512 | 1.600 | 3.41 | 0.20 | 1.20 | not measured yet | 0.051 |" in text
    assert "BM3D takes 5.0 to 6.0x as long as DnCNN-S on the CPU here at 256 to 1024 px (the paper: 0.84 to 0.98x)." in text
    assert "| TNRD | 256 | not run here | 0.45 |" in text and "secondary" in text
    path = tmp_path / "table4_gpu.csv"
    _measured({"DnCNN-S": {256: 0.002, 512: 0.008, 1024: 0.03}}, device="CPU: stand-in").to_csv(path, index=False)
    assert table4.read_gpu_inference(path) is None  # a CPU stand-in's file fills no GPU column
    _measured({"DnCNN-S": {256: 0.002, 512: 0.008, 1024: 0.03}, "DnCNN-B": {256: 0.003, 512: 0.01, 1024: 0.04}},
              device="NVIDIA H100 (gpu, 1 device(s))").to_csv(path, index=False)
    text = table4.format_table4(table4.build_table4(_measured(HERE), gpu=table4.read_gpu_inference(path)))
    assert "GPU: NVIDIA H100" in text and "not measured yet" not in text and "| DnCNN-S | 1024 | 5.000 | 12.1 | 0.17 |" in text
    assert "On the GPU (NVIDIA H100 (gpu, 1 device(s))), DnCNN-S takes 0.0300 s at 1024 px, 167x faster" in text


@pytest.mark.parametrize("dncnn_s, verdict", [
    ({256: 0.4, 512: 1.6, 1024: 5.0}, "GPU: not measured yet; holds on the CPU (DnCNN-S faster than BM3D)"),
    ({256: 2.2, 512: 8.8, 1024: 33.0}, "GPU: not measured yet; holds on the CPU"),
    ({256: 5.0, 512: 20.0, 1024: 75.0}, "GPU: not measured yet; fails on the CPU (DnCNN-S slower than BM3D)"),
])
def test_the_table_iv_claim_follows_the_measured_ratio(tmp_path, dncnn_s, verdict):
    path = tmp_path / "table4.csv"
    table4.build_table4(_measured({**HERE, "DnCNN-S": dncnn_s})).to_csv(path, index=False)
    ((claim, got, numbers),) = run_times.table_iv_claims(path)
    assert claim == run_times.CLAIM and got == verdict
    assert "on test cpu, 2 cores (the paper: 0.84 to 0.98x)" in numbers and "GPU: not measured yet" in numbers


def test_the_table_iv_claim_on_the_gpu_and_without_a_table(tmp_path):
    assert run_times.table_iv_claims(tmp_path / "absent.csv")[0][1] == "not measured yet"
    for gpu_s, verdict in ((0.03, "holds on the GPU"), (4.0, "not shown on the GPU")):
        gpu = _measured({"DnCNN-S": {256: gpu_s / 10, 512: gpu_s / 4, 1024: gpu_s}}, device="NVIDIA H100")
        path = tmp_path / "table4.csv"
        table4.build_table4(_measured(HERE), gpu=gpu).to_csv(path, index=False)
        ((_, got, numbers),) = run_times.table_iv_claims(path)
        assert got == f"{verdict}; holds on the CPU (DnCNN-S faster than BM3D)", got
        assert "DnCNN-S on the GPU (NVIDIA H100)" in numbers and "the paper's Titan X: 0.014 to 0.2 s" in numbers


def test_table4_measures_every_method_on_a_tiny_image_and_writes_its_files(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    measured = table4.measure_table4(sizes=(32,), repeats=1)
    assert list(measured.method) == list(table4.TABLE4_METHODS) and (measured.seconds > 0).all() and (measured["size"] == 32).all()
    monkeypatch.setattr(table4, "measure_table4", lambda **kwargs: measured)
    text = table4.bench_table4(sizes=(32,), repeats=1, out_dir=tmp_path, figures_dir=tmp_path)
    written = pd.read_csv(tmp_path / "table4.csv")
    assert list(written.columns) == table4.COLUMNS and set(written.method) == set(table4.TABLE4_METHODS)
    assert (tmp_path / "table4.md").read_text() == text and "GPU: not measured yet" in text
    from PIL import Image

    assert Image.open(tmp_path / "table4.png").size[0] <= 1100


def test_table_iv_times_a_seeded_noisy_photograph_not_random_texture():
    """BM3D's run time depends on the content, so Table IV times a natural image (camera / astronaut)
    with the study's noise: the right shape, the noise's spread, the same array for the same seed."""
    import numpy as np

    from dncnn.bench.table4 import noisy_image

    grey, colour = noisy_image(64, 1), noisy_image(64, 3)
    assert grey.shape == (64, 64) and colour.shape == (64, 64, 3) and grey.dtype == np.float32
    np.testing.assert_array_equal(grey, noisy_image(64, 1))
    noise = noisy_image(256, 1, sigma=25.0) - noisy_image(256, 1, sigma=0.0)
    assert abs(noise.std() * 255 - 25.0) < 0.5
    smooth = noisy_image(256, 1, sigma=0.0)
    assert np.abs(np.diff(smooth, axis=1)).mean() < 0.05  # a photograph: neighbours agree, unlike uniform noise (0.33)
