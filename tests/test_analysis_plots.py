"""Every figure function draws from real inputs and returns a figure that saves."""

import numpy as np
import pandas as pd
import pytest

from dncnn.analysis import plots
from dncnn.files import atomic as io
from dncnn.model.catalog import get_entry


def _history(epochs, steps, seconds):
    return [{"epoch": e, "steps": e * steps, "loss": 0.01 / e, "learning_rate": 1e-3 if e < 3 else 1e-4,
             "epoch_seconds": seconds, "wall_seconds": e * seconds} for e in range(1, epochs + 1)]


def test_training_runs_share_one_axis_of_patches_seen(tmp_path):
    runs = {"cpu": {"history": _history(4, 50, 90.0), "batch_size": 32, "device": "CPU"},
            "gpu": {"history": _history(5, 1862, 11.5), "batch_size": 128}}
    fig = plots.plot_training_runs(runs)
    loss = fig.axes[0]
    assert [line.get_xdata()[-1] for line in loss.get_lines()] == [4 * 50 * 32, 5 * 1862 * 128]
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["cpu", "gpu"]  # no device in the legend
    assert loss.get_lines()[0].get_ydata()[0] == pytest.approx(20.0)  # loss 0.01 is a training PSNR of 20 dB
    assert "cpu on CPU" in fig._suptitle.get_text()
    assert "gpu: 11.5 s (median)" in " ".join(t.get_text() for t in fig.axes[2].get_legend().get_texts())
    assert fig.axes[2].get_yscale() == "linear"
    assert io.save_figure(tmp_path / "runs.png", fig).stat().st_size > 0


def test_bn_statistics_of_two_models_in_one_figure(tmp_path):
    rows = [{"model": m, "layer": layer, "batch": b, "mean": 0.1 * layer, "std": 1.0, "moving_mean": 0.0,
             "moving_std": 1.0, "mean_shift": 0.01 * b} for m in ("a", "b") for layer in (2, 3) for b in range(3)]
    fig = plots.plot_bn_statistics(pd.DataFrame(rows))
    assert "3 batches (a), 3 batches (b)" in fig._suptitle.get_text()
    assert io.save_figure(tmp_path / "bn.png", fig).stat().st_size > 0


def test_patch_grid_and_histograms(tmp_path):
    patches = np.random.default_rng(0).integers(0, 256, (30, 8, 8), dtype=np.uint8)
    fig = plots.plot_patch_grid(patches, rows=2, cols=3)
    assert sum(bool(ax.get_images()) for ax in fig.axes) == 6
    batch = {k: np.random.default_rng(1).random((4, 8, 8)).astype(np.float32) for k in ("noisy", "clean", "residual")}
    fig = plots.plot_batch_histograms([batch], sigma=25)
    assert len(fig.axes) == 3
    with pytest.raises(Exception):
        plots.plot_batch_histograms([], sigma=25)


def test_gains_draw_one_sorted_line_per_dncnn_row_in_its_colour(tmp_path):
    from dncnn.analysis import findings
    from dncnn.analysis.style import method_colour

    rows = [{"dataset": "BSD68", "sigma": 25.0, "method": m, "image": f"{i}.png", "psnr": p + i * d, "ssim": 0.5, "seconds": 1.0}
            for i in range(5) for m, p, d in (("BM3D", 28.0, 0.2), ("DnCNN-S authors' weights", 28.5, 0.0),
                                              ("DnCNN-S ours (quick)", 27.0, 0.3))]
    fig = plots.plot_gains(findings.gains_over(pd.DataFrame(rows)))
    lines = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("DnCNN")]
    assert [line.get_color() for line in lines] == [method_colour("DnCNN-S authors' weights"), method_colour("DnCNN-S ours (quick)")]
    for line in lines:
        assert list(line.get_ydata()) == sorted(line.get_ydata(), reverse=True)
    assert lines[0].get_label() == "DnCNN-S authors': 3/5 above"
    assert io.save_figure(tmp_path / "gains.png", fig).stat().st_size > 0


def test_visual_comparison_has_an_inset_in_every_panel(tmp_path):
    image = np.random.default_rng(0).random((40, 60)).astype(np.float32)
    example = {"clean": (image, None), "noisy": (image, 20.0), "BM3D": (image, 28.1), "DnCNN-S ours, paper recipe (GPU)": (image, 29.2)}
    fig = plots.plot_visual_comparison([("BSD68 a.png", example), ("Set12 b.png", example)])
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 8 and panels[3].get_title() == "DnCNN-S ours (GPU)\n29.20 dB"
    assert all(len(ax.child_axes) == 1 for ax in panels)
    assert io.save_figure(tmp_path / "comparison.png", fig).stat().st_size > 0


def test_noise_level_figures_draw_every_row_and_estimator(tmp_path):
    from dncnn.evaluation import noise_levels as NL

    rows = [{"dataset": "BSD68", "sigma": s, "method": m, "source": "measured", "images": 2, "psnr": 30 - s / 10 + k, "ssim": 0.8}
            for s in (15.0, 25.0, 65.0) for k, m in enumerate(["BM3D", get_entry("dncnn_s_sigma25").name, NL.BLIND_LABEL, NL.ORACLE_LABEL])]
    fig = plots.plot_noise_levels(pd.DataFrame(rows))
    psnr, gap = fig.axes[:2]
    assert [line.get_label() for line in psnr.get_lines()] == ["BM3D", get_entry("dncnn_s_sigma25").name, NL.BLIND_LABEL, NL.ORACLE_LABEL]
    assert list(gap.get_lines()[2].get_ydata()) == [0.0, 0.0, 0.0]  # DnCNN-B is the best row here (the bound is not counted)
    assert io.save_figure(tmp_path / "levels.png", fig).stat().st_size > 0
    est = pd.DataFrame([{"sigma": s, "estimator": e, "image": f"{i}", "estimate": s + b + i} for s in (15.0, 50.0)
                        for e, b in (("a", 0.0), ("b", 2.0)) for i in range(3)])
    fig = plots.plot_estimators(est)
    assert [round(float(y), 6) for y in fig.axes[0].get_lines()[1].get_ydata()] == [3.0, 3.0]  # bias of b: 2 + mean(0, 1, 2)
    assert io.save_figure(tmp_path / "estimators.png", fig).stat().st_size > 0
