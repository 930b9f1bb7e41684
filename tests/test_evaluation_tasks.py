"""DnCNN-3 and CDnCNN-B through our pipeline: the weights, the protocol pieces, colour denoising by the command."""

import numpy as np
import pytest
from PIL import Image

from dncnn.cli import main as cli
from dncnn.data import matlab
from dncnn.evaluation import tasks
from helpers import write_colour_crop


@pytest.fixture(autouse=True)
def _mirrors(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("DNCNN_DATA_MIRROR", str(mirror))
    weights = mirror.parent / "reference-weights"
    if not (weights / "dncnn3.mat").is_file():
        pytest.skip("no reference-weights mirror beside the data mirror")
    monkeypatch.setenv("DNCNN_WEIGHTS_MIRROR", str(weights))
    monkeypatch.setattr("dncnn.config.REFERENCE_WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr("dncnn.config.RAW_DIR", tmp_path / "raw")


def test_dncnn3_and_cdncnn_load_as_20_layer_deploy_models():
    from dncnn.model.reference import REFERENCE_MODELS, load_reference_model

    assert REFERENCE_MODELS["dncnn3"][0] == "model/DnCNN3.mat"
    assert REFERENCE_MODELS["cdncnn_b_color_blind"][0] == "model/GD_Color_Blind.mat"
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
    check = tasks.check_against_table(here, table)
    assert check.psnr_diff.tolist() == [0.25] and check.ssim_diff.tolist() == [0.0] and check.psnr_table.tolist() == [31.0]
    with pytest.raises(ValueError, match="not in the table"):
        tasks.check_against_table(here.assign(image="c.png"), table)
