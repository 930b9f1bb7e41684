"""``python -m dncnn tasks`` is incremental: it keeps the settings its folder holds, rows unchanged, and
measures only the missing ones (a stand-in network keeps these tests at a second or two)."""

import json

import numpy as np
import pandas as pd
import pytest

from dncnn.commands.tasks import measure_tasks, read_kept_rows
from dncnn.evaluation import tasks


class CountingModel:
    """The identity as a DnCNN-3 stand-in (``model(x, sigma)``), counting the images it sees per shape."""

    name = "DnCNN-3"

    def __init__(self):
        self.calls = 0

    def __call__(self, x, sigma):
        self.calls += 1
        return np.asarray(x, np.float32) * np.float32(0.99) + np.float32(0.005)


@pytest.fixture(scope="module")
def module_raw(tmp_path_factory):
    return tmp_path_factory.mktemp("raw")  # the images each test fetches, fetched once


@pytest.fixture
def model(mirror, module_raw, monkeypatch):
    monkeypatch.setenv("DNCNN_DATA_MIRROR", str(mirror))
    monkeypatch.setattr("dncnn.config.RAW_DIR", module_raw)
    stand_in = CountingModel()
    monkeypatch.setattr(tasks, "dncnn3_denoiser", lambda: stand_in)
    return stand_in


def _settings(path):
    return tasks.list_table_settings(pd.read_csv(path))


def test_a_second_run_measures_only_the_missing_settings_and_keeps_the_rows_byte_for_byte(model, tmp_path):
    out = tmp_path / "tasks"
    measure_tasks(out_dir=out, images=1, crop=48, tasks=("super-resolution",), argv=["first"])
    assert model.calls == 4 * 3  # Set5, Set14, BSD100, Urban100 at x2, x3, x4, one image each
    table = out / "tasks_per_image.csv"
    lines = table.read_text().splitlines()
    older = [line for line in lines if ",Urban100," not in line]  # a table made before Urban100 was a set
    table.write_text("\n".join(older) + "\n")
    model.calls = 0
    measure_tasks(out_dir=out, images=1, crop=48, tasks=("super-resolution", "jpeg"), argv=["second"])
    assert model.calls == 3 + 8  # Urban100's three scales and the eight JPEG settings, nothing else
    now = table.read_text().splitlines()
    assert [line for line in now if line in set(older)] == older  # the kept rows, unchanged and in order
    def scores(text_lines):  # every column but the seconds taken
        return {line.rsplit(",", 1)[0] for line in text_lines}

    assert scores(now) >= scores(lines)  # Urban100 measured again gives the same scores
    assert [s for s in _settings(table)] == [job for job in tasks.list_task_jobs(tasks=("super-resolution", "jpeg"))]
    runs = json.loads((out / "tasks_summary.json").read_text())["runs"]
    assert [run["argv"] for run in runs] == [["first"], ["second"]]
    assert [tuple(s) for s in runs[1]["settings"]] == [s for s in _settings(table) if s[1] == "Urban100" or s[0] == "jpeg"]
    summary = pd.read_csv(out / "tasks_summary.csv")
    paper = summary[(summary.dataset == "Urban100") & (summary.source == "paper (reference)")]
    assert list(paper.psnr) == [30.74, 27.15, 25.20] and paper.ssim.isna().all()  # the paper gives PSNR only
    assert "| Urban100 | x2 | DnCNN-3 (paper) | paper (reference) |  | 30.74 | - |" in (out / "tasks_summary.md").read_text()
    versus = pd.read_csv(out / "tasks_vs_paper.csv")
    assert versus[versus.dataset == "BSD100"].paper_psnr.tolist() == [31.90, 28.85, 27.29]


def test_an_interrupted_run_resumes_from_its_partial_file(model, tmp_path):
    out = tmp_path / "tasks"
    measure_tasks(out_dir=out, images=1, crop=48, tasks=("jpeg",))
    rows = pd.read_csv(out / "tasks_per_image.csv")
    classic5 = rows.dataset == "classic5"
    rows[classic5].to_csv(out / "tasks_per_image.csv", index=False)
    rows.to_csv(out / "tasks_per_image.partial.csv", index=False)  # LIVE1 measured before the run stopped
    facts = json.loads((out / "tasks_summary.json").read_text())
    (out / "tasks_summary.json").write_text(json.dumps({k: v for k, v in facts.items() if k != "runs"}))  # a table before runs
    model.calls = 0
    measure_tasks(out_dir=out, images=1, crop=48, tasks=("jpeg",))
    assert model.calls == 0 and not (out / "tasks_per_image.partial.csv").exists()
    assert pd.read_csv(out / "tasks_per_image.csv").equals(rows)
    first, earlier = json.loads((out / "tasks_summary.json").read_text())["runs"]
    assert [tuple(s) for s in first["settings"]] == [s for s in _settings(out / "tasks_per_image.csv") if s[1] == "classic5"]
    assert earlier["argv"] is None and [tuple(s)[1] for s in earlier["settings"]] == ["LIVE1"] * 4  # the partial's, not this run's


def test_resuming_refuses_a_table_of_other_images_and_no_resume_measures_everything(model, tmp_path):
    out = tmp_path / "tasks"
    measure_tasks(out_dir=out, images=1, crop=48, tasks=("jpeg",))
    with pytest.raises(ValueError, match="crop"):
        measure_tasks(out_dir=out, images=1, crop=96, tasks=("jpeg",))
    assert read_kept_rows(tmp_path / "empty") is None
    model.calls = 0
    measure_tasks(out_dir=out, images=1, crop=96, tasks=("jpeg",), resume=False)
    assert model.calls == 8
    assert json.loads((out / "tasks_summary.json").read_text())["selection"] == {"images": 1, "crop": 96}


def test_sets_and_levels_limit_what_is_measured_and_the_table_keeps_the_rest(model, tmp_path):
    out = tmp_path / "tasks"
    measure_tasks(out_dir=out, images=1, crop=48, tasks=("jpeg",), sets=["LIVE1"], levels=[10, 40])
    assert model.calls == 2 and _settings(out / "tasks_per_image.csv") == [("jpeg", "LIVE1", 10.0), ("jpeg", "LIVE1", 40.0)]
    model.calls = 0
    measure_tasks(out_dir=out, images=1, crop=48, tasks=("jpeg",), sets=["classic5"], levels=[20])
    assert model.calls == 1
    assert _settings(out / "tasks_per_image.csv") == [("jpeg", "classic5", 20.0), ("jpeg", "LIVE1", 10.0), ("jpeg", "LIVE1", 40.0)]


def test_merge_task_rows_puts_settings_in_the_tables_order_and_refuses_a_setting_twice():
    def rows(*settings):
        return pd.DataFrame([{"task": t, "dataset": d, "level": float(v), "method": "m", "image": "a", "psnr": 1.0,
                              "ssim": 0.5, "seconds": 0.0} for t, d, v in settings])

    kept = rows(("jpeg", "LIVE1", 10), ("super-resolution", "Set5", 2))
    merged = tasks.merge_task_rows(kept, rows(("super-resolution", "Urban100", 4)), order=tasks.list_task_jobs())
    assert tasks.list_table_settings(merged) == [("super-resolution", "Set5", 2.0), ("super-resolution", "Urban100", 4.0),
                                                 ("jpeg", "LIVE1", 10.0)]
    with pytest.raises(ValueError, match="both kept and measured"):
        tasks.merge_task_rows(kept, rows(("jpeg", "LIVE1", 10)))
