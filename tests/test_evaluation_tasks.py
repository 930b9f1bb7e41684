"""DnCNN-3 and CDnCNN-B through our pipeline: the weights, the protocol pieces, colour denoising by the command."""

import numpy as np
import pytest
from PIL import Image

from dncnn.cli import main as cli
from dncnn.data import matlab
from dncnn.evaluation import tasks
from helpers import write_colour_crop


@pytest.fixture(autouse=True)
def _mirrors(mirror, weights_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("DNCNN_DATA_MIRROR", str(mirror))
    weights = weights_dir  # $DNCNN_WEIGHTS_MIRROR, or beside the data mirror, as the package finds them
    if not (weights / "dncnn3.mat").is_file():
        pytest.skip(f"no dncnn3.mat in the weights mirror {weights}")
    monkeypatch.setenv("DNCNN_WEIGHTS_MIRROR", str(weights))
    monkeypatch.setattr("dncnn.config.REFERENCE_WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr("dncnn.config.RAW_DIR", tmp_path / "raw")


def test_dncnn3_and_cdncnn_load_as_20_layer_deploy_models():
    from dncnn.model.catalog import get_entry
    from dncnn.model.reference import load_reference_model

    assert get_entry("dncnn3").file == "model/DnCNN3.mat" and get_entry("dncnn3").depth == 20
    assert get_entry("cdncnn_b_color_blind").file == "model/GD_Color_Blind.mat" and get_entry("cdncnn_b_color_blind").channels == 3
    for name, channels in (("dncnn3", 1), ("cdncnn_b_color_blind", 3)):
        model = load_reference_model(name)
        assert sum("_conv" in layer.name for layer in model.layers) == 20
        assert not any("_bn" in layer.name for layer in model.layers)
        assert model.input_shape[-1] == channels and model.output_shape[-1] == channels


def test_colour_sets_read_as_rgb_and_bridge_as_grey(mirror):
    from dncnn.data.datasets import load_colour_dataset

    names, images = load_colour_dataset("Set14")
    assert len(images) == 14 and names[2] == "bridge.bmp" and images[2].ndim == 2
    rgb = images[0]
    assert rgb.dtype == np.uint8 and rgb.shape[2] == 3
    assert np.array_equal(rgb, np.array(Image.open(mirror / "Set14" / names[0]).convert("RGB")))


def test_super_resolution_pair_follows_the_authors_demo():
    _, images = tasks.load_task_images("Set5", limit=1, crop=96)
    pair = tasks.prepare_super_resolution(images[0], 3)
    assert pair["colour"] and pair["shave"] == 3 and pair["input"].shape == pair["target"].shape == (96, 96)
    assert 16 / 255 - 1e-6 <= pair["target"].min() and pair["target"].max() <= 235 / 255 + 1e-6  # Y, studio range
    grey = tasks.prepare_super_resolution(np.full((50, 50), 100, np.uint8), 4)
    assert not grey["colour"] and grey["input"].shape == (48, 48) and np.allclose(grey["input"], 100 / 255)


def test_dncnn3_beats_bicubic_and_jpeg_and_paper_rows_are_labelled():
    model = tasks.dncnn3_denoiser()
    per_image = tasks.evaluate_three_tasks(model, images=1, crop=96, sigmas=(25.0,), scales=(2,), qualities=(10,),
                                           progress=False)
    summary = tasks.summarize_tasks(per_image)
    mean = summary[summary.source == "measured"].set_index(["dataset", "method"]).psnr
    assert mean["Set5", "DnCNN-3"] > mean["Set5", "bicubic"] + 1.0
    assert mean["classic5", "DnCNN-3"] > mean["classic5", "JPEG"] + 0.3
    assert mean["BSD68", "DnCNN-3"] > mean["BSD68", "noisy input"] + 4.0
    paper = summary[summary.source == "paper (reference)"]
    assert set(paper.method) == {"DnCNN-3 (paper)", "bicubic, rounded Y (published)"} and paper.images.isna().all()
    assert "| super-resolution | Set5 | x2 | DnCNN-3 (paper) | paper (reference) |  | 37.58 | 0.9590 |" in tasks.format_tasks_markdown(summary)


def test_colour_bm3d_is_single_threaded_and_the_same_in_processes(tmp_path):
    from dncnn.evaluation.colour import ColourBM3DDenoiser, denoise_bm3d_rgb

    rng = np.random.default_rng(0)
    noisies = [np.clip(rng.random((32, 32, 3)), 0, 1).astype(np.float32) for _ in range(2)]
    denoiser = ColourBM3DDenoiser(cache_dir=tmp_path, workers=2)
    results = denoiser.denoise_many(noisies, 25.0)
    assert all(np.array_equal(est, denoise_bm3d_rgb(noisy, 25.0)) for (est, _), noisy in zip(results, noisies))
    assert results[0][0].shape == (32, 32, 3)


@pytest.fixture()
def colour_file(tmp_path, mirror):
    return write_colour_crop(mirror, tmp_path / "baby.png")


def test_denoise_keeps_colour_by_default_and_grey_on_request(colour_file, tmp_path, capsys):
    path, image = colour_file
    noisy = np.clip(image + np.random.default_rng(0).normal(0, 25, image.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(path)
    assert cli(["denoise", str(path), str(tmp_path / "c.png")]) == 0
    out = np.array(Image.open(tmp_path / "c.png"))
    assert out.shape == image.shape and "cdncnn_b_color_blind" in capsys.readouterr().out
    assert matlab.matlab_psnr(image, out) > matlab.matlab_psnr(image, noisy) + 3
    assert cli(["denoise", str(path), str(tmp_path / "g.png"), "--grey"]) == 0
    assert np.array(Image.open(tmp_path / "g.png")).ndim == 2
    assert cli(["denoise", str(path), str(tmp_path / "x.png"), "--grey", "--model", "cdncnn_b_color_blind"]) == 1
    assert "--grey" in capsys.readouterr().err


def test_plan_tasks_checks_the_committed_table_without_a_gpu_and_runs_subsets_as_asked():
    from dncnn.profiles import get_profile

    paper, quick = get_profile("paper"), get_profile("quick")
    check = tasks.plan_tasks(paper, accelerator=False)
    assert check["check_table"].endswith("results/dncnn3/tasks_per_image.csv")
    assert (check["images"], check["crop"], check["colour_images"]) == (2, None, 1)
    full = tasks.plan_tasks(paper, accelerator=True)
    assert full["check_table"] is None and full["images"] is None and full["colour_images"] is None
    assert tasks.plan_tasks(paper, accelerator=False, full=True)["images"] is None
    assert tasks.plan_tasks(quick, accelerator=False)["images"] == quick.tasks_images  # a subset profile runs its subset


def test_check_against_table_pairs_rows_and_refuses_rows_the_table_lacks():
    import pandas as pd

    keys = dict(task="denoising", dataset="BSD68", level=25.0, method="DnCNN-3")
    table = pd.DataFrame([{**keys, "image": "a.png", "psnr": 30.0, "ssim": 0.8}, {**keys, "image": "b.png", "psnr": 31.0, "ssim": 0.9}])
    here = pd.DataFrame([{**keys, "image": "b.png", "psnr": 31.25, "ssim": 0.9, "seconds": 1.0}])
    check = tasks.check_against_table(here, table, psnr_tolerance=0.5)
    assert check.psnr_diff.tolist() == [0.25] and check.ssim_diff.tolist() == [0.0] and check.psnr_table.tolist() == [31.0]
    with pytest.raises(ValueError, match="not in the table"):
        tasks.check_against_table(here.assign(image="c.png"), table)


def test_check_against_table_fails_beyond_its_tolerance():
    import pandas as pd

    keys = dict(task="jpeg", dataset="LIVE1", level=10.0, method="DnCNN-3")
    table = pd.DataFrame([{**keys, "image": f"{i}.bmp", "psnr": 29.0 + i, "ssim": 0.8} for i in range(3)])
    within = table.assign(psnr=table.psnr + [0.0, 0.009, -0.009], ssim=table.ssim + [0.0, 9e-5, -9e-5])
    assert tasks.check_against_table(within, table).psnr_diff.abs().max() == pytest.approx(0.009)
    with pytest.raises(ValueError, match=r"1 of 3 rows differ .* by more than 0.01 dB PSNR .*'image': '2.bmp'.*31.0200 dB here"):
        tasks.check_against_table(table.assign(psnr=table.psnr + [0.0, 0.0, 0.02]), table)
    with pytest.raises(ValueError, match="1 of 3 rows differ"):
        tasks.check_against_table(table.assign(ssim=table.ssim + [0.0, 2e-4, 0.0]), table)
    with pytest.raises(ValueError, match="1 of 3 rows differ"):
        tasks.check_against_table(table.assign(psnr=table.psnr + [float("nan"), 0.0, 0.0]), table)  # nothing measured


def test_summarize_tasks_takes_the_mean_of_each_setting_and_adds_the_papers_rows():
    import pandas as pd

    from dncnn.evaluation.paper import PAPER_BICUBIC, PAPER_DNCNN3
    from dncnn.evaluation.protocol import check_summary_means

    psnrs, ssims = [20.0, 23.0, 35.5], [0.2, 0.5, 0.95]
    rows = pd.DataFrame([{"task": task, "dataset": dataset, "level": level, "method": "DnCNN-3", "image": f"{i}",
                          "psnr": p, "ssim": s}
                         for task, dataset, level in (("denoising", "BSD68", 25.0), ("super-resolution", "Set5", 2.0))
                         for i, (p, s) in enumerate(zip(psnrs, ssims))])
    summary = tasks.summarize_tasks(rows)
    measured = summary[summary.source == "measured"]
    assert measured.psnr.tolist() == pytest.approx([sum(psnrs) / 3] * 2, abs=1e-12)  # not the median 23 nor the first 20
    assert measured.ssim.tolist() == pytest.approx([sum(ssims) / 3] * 2, abs=1e-12) and measured.images.tolist() == [3, 3]
    assert check_summary_means(rows, summary, keys=("task", "dataset", "level", "method")) == 2
    assert summary.method.tolist() == ["DnCNN-3", "DnCNN-3 (paper)", "DnCNN-3", "DnCNN-3 (paper)", "bicubic, rounded Y (published)"]
    papers = summary[summary.source == "paper (reference)"]
    assert list(zip(papers.psnr, papers.ssim)) == [PAPER_DNCNN3["denoising", "BSD68", 25], PAPER_DNCNN3["super-resolution", "Set5", 2],
                                                   PAPER_BICUBIC["Set5", 2]]
    assert papers.images.isna().all() and list(papers.level) == [25.0, 2.0, 2.0]
    assert len(tasks.summarize_tasks(rows, reference=False)) == 2


def test_check_against_table_reads_the_committed_csv_and_refuses_a_table_with_duplicate_rows(tmp_path):
    import pandas as pd

    keys = dict(task="jpeg", dataset="classic5", level=20.0, method="DnCNN-3")
    table = pd.DataFrame([{**keys, "image": f"{i}.bmp", "psnr": 31.0 + i, "ssim": 0.86} for i in range(2)])
    table.to_csv(tmp_path / "tasks_per_image.csv", index=False)
    check = tasks.check_against_table(table.iloc[1:], str(tmp_path / "tasks_per_image.csv"))  # a path, as notebook 05 passes it
    assert check.psnr_table.tolist() == [32.0] and check.psnr_diff.tolist() == [0.0]
    with pytest.raises(pd.errors.MergeError):  # two table rows for one measured row: ambiguous
        tasks.check_against_table(table.iloc[1:], pd.concat([table, table.iloc[1:]]))


def test_summarize_tasks_keeps_the_order_of_the_methods():
    import pandas as pd

    rows = pd.DataFrame([{"task": "jpeg", "dataset": "LIVE1", "level": 10.0, "method": m, "image": "a", "psnr": 30.0, "ssim": 0.8}
                         for m in ("JPEG", "DnCNN-3", "CDnCNN-B")])
    assert tasks.summarize_tasks(rows, reference=False).method.tolist() == ["JPEG", "DnCNN-3", "CDnCNN-B"]


def test_summarize_tasks_keeps_the_order_of_the_settings_and_its_columns():
    import pandas as pd

    rows = pd.DataFrame([{"task": t, "dataset": d, "level": lv, "method": "DnCNN-3", "image": "a", "psnr": 30.0, "ssim": 0.8}
                         for t, d, lv in (("super-resolution", "Set14", 3.0), ("denoising", "BSD68", 50.0), ("jpeg", "LIVE1", 10.0))])
    summary = tasks.summarize_tasks(rows)
    assert list(summary.columns) == ["task", "dataset", "level", "method", "source", "images", "psnr", "ssim"]
    assert list(dict.fromkeys(summary.task)) == ["super-resolution", "denoising", "jpeg"]
    papers = summary[summary.source == "paper (reference)"]
    assert list(zip(papers.task, papers.dataset, papers.level)) == [("super-resolution", "Set14", 3.0)] * 2 + [
        ("denoising", "BSD68", 50.0), ("jpeg", "LIVE1", 10.0)]
