"""Every figure function draws from real inputs and returns a figure that saves."""

import numpy as np
import pandas as pd
import pytest

from dncnn.analysis import plots
from dncnn.files import atomic as io
from dncnn.model.catalog import get_entry


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


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
    ours = get_entry("dncnn-s-sigma25")
    example = {"clean": (image, None), "noisy": (image, 20.0), "BM3D": (image, 28.1), ours.name: (image, 29.2)}
    fig = plots.plot_visual_comparison([("BSD68 a.png", example), ("Set12 b.png", example)], sigma=50)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 8 and panels[3].get_title() == f"{ours.short}\n29.20 dB"
    assert all(len(ax.child_axes) == 1 for ax in panels)
    assert "sigma 50" in fig._suptitle.get_text()
    assert io.save_figure(tmp_path / "comparison.png", fig).stat().st_size > 0


def test_noise_level_figures_draw_every_row_and_estimator(tmp_path):
    from dncnn.evaluation import noise_levels as NL

    rows = [{"dataset": "BSD68", "sigma": s, "method": m, "source": "measured", "images": 2, "psnr": 30 - s / 10 + k, "ssim": 0.8}
            for s in (15.0, 25.0, 65.0) for k, m in enumerate(["BM3D", get_entry("dncnn_s_sigma25").name, NL.BLIND_LABEL, NL.ORACLE_LABEL])]
    fig = plots.plot_noise_levels(pd.DataFrame(rows))
    psnr, gap = fig.axes[:2]
    assert [line.get_label() for line in psnr.get_lines()] == ["BM3D", get_entry("dncnn_s_sigma25").name, NL.BLIND_LABEL, NL.ORACLE_LABEL]
    assert len({line.get_color() for line in psnr.get_lines()}) == 4 and len({line.get_marker() for line in psnr.get_lines()}) == 4
    assert list(gap.get_lines()[2].get_ydata()) == [0.0, 0.0, 0.0]  # DnCNN-B is the best row here (the bound is not counted)
    assert io.save_figure(tmp_path / "levels.png", fig).stat().st_size > 0
    est = pd.DataFrame([{"sigma": s, "estimator": e, "image": f"{i}", "estimate": s + b + i} for s in (15.0, 50.0)
                        for e, b in (("a", 0.0), ("b", 2.0)) for i in range(3)])
    fig = plots.plot_estimators(est)
    assert [round(float(y), 6) for y in fig.axes[0].get_lines()[1].get_ydata()] == [3.0, 3.0]  # bias of b: 2 + mean(0, 1, 2)
    assert io.save_figure(tmp_path / "estimators.png", fig).stat().st_size > 0


# --- the figures fit the page -------------------------------------------------------------------------

PAGE_WIDTH = 1100  # px: the widest figure a page shows 1:1 (dncnn.analysis.display.MAX_WIDTH)


def _saved_width(fig, path) -> int:
    """Width in pixels of ``fig`` saved as the notebooks save it (dncnn.files.atomic.save_figure, no resizing guard)."""
    from dncnn.analysis.display import png_size

    return png_size(io.save_figure(path, fig).read_bytes())[0]


def _comparison_example(seed=0, *, methods=("BM3D", "DnCNN-S authors' weights", "DnCNN-B authors' weights")):
    rng = np.random.default_rng(seed)
    clean = rng.random((48, 72)).astype(np.float32)
    example = {"clean": (clean, None), "noisy": (np.clip(clean + rng.normal(0, 0.2, clean.shape), 0, 1), 15.0)}
    for k, name in enumerate(methods):
        example[name] = (np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1).astype(np.float32), 25.0 + k)
    return example


def _every_figure():
    """One figure of every plot function, from small made-up inputs shaped as the notebooks' are."""
    from dncnn.evaluation import noise_levels as NL

    rng = np.random.default_rng(0)
    batch = {k: rng.random((4, 8, 8)).astype(np.float32) for k in ("noisy", "clean", "residual")}
    residuals = [{k: rng.normal(0, 0.1, (4, 8, 8)) for k in ("noise", "x2", "x3", "x4")} for _ in range(2)]
    stats = pd.DataFrame([{"batch": b, "kind": k, "std": 10.0 + b, "kurtosis": 1.0} for b in range(2) for k in residuals[0]])
    bn = pd.DataFrame([{"model": "a", "layer": layer, "batch": b, "mean": 0.1, "std": 1.0, "moving_mean": 0.0, "moving_std": 1.0,
                        "mean_shift": 0.01} for layer in (2, 3) for b in range(3)])
    history = [{**r, "val_psnr": 25.0 + r["epoch"]} for r in _history(4, 50, 9.0)]
    runs = {"RL+BN (cpu)": {"history": history, "batch_size": 32, "profile": "cpu", "switches": "RL+BN (cpu)",
                            "optimizer": "adam", "budget_label": "a budget of some words " * 4},
            "RL (gpu)": {"history": history, "batch_size": 32, "profile": "gpu", "switches": "RL (gpu)", "optimizer": "sgd",
                         "budget_label": "a budget"}}
    crops = [{"title": f"task {k}", "panels": [(f"p{j}\n20.00 dB", rng.random((32, 32))) for j in range(3)]} for k in range(3)]
    crops.append({"title": "colour", "panels": [(f"c{j}\n20.00 dB", rng.random((32, 32, 3))) for j in range(4)]})
    bench = pd.DataFrame([{"task": "inference", "size": s, "method": m, "seconds": 0.1, "fraction_of_ceiling": 0.3}
                          for s in ("180x180", "256x256", "512x512") for m in ("DnCNN-S", "BM3D")])
    gains = pd.DataFrame([{"dataset": d, "sigma": s, "method": m, "image": f"{i}", "gain": 0.1 * i - 0.2}
                          for d in ("BSD68", "Set12") for s in (15.0, 25.0, 50.0) for m in ("DnCNN-S authors' weights", "DnCNN-S ours (quick)")
                          for i in range(6)])
    levels = pd.DataFrame([{"dataset": "BSD68", "sigma": s, "method": m, "source": "measured", "images": 2, "psnr": 30 - s / 10 + k, "ssim": 0.8}
                           for s in (5.0, 15.0, 25.0, 35.0, 50.0, 75.0) for k, m in enumerate(
                               ["noisy input", "BM3D", get_entry("dncnn_s_sigma15").name, get_entry("dncnn_s_sigma25").name,
                                get_entry("dncnn_s_sigma50").name, NL.BLIND_LABEL, NL.NEAREST_LABEL, NL.DEFAULT_LABEL, NL.ORACLE_LABEL])])
    estimates = pd.DataFrame([{"sigma": s, "estimator": e, "image": f"{i}", "estimate": s + i} for s in (15.0, 50.0) for e in "ab" for i in range(3)])
    return {
        "patches": plots.plot_patch_grid(rng.integers(0, 256, (200, 40, 40), dtype=np.uint8)),
        "training": plots.plot_training_runs({"cpu": {"history": history, "batch_size": 32, "device": "CPU " * 30}}),
        "batch histograms": plots.plot_batch_histograms([batch, batch], sigma=25),
        "residual histograms": plots.plot_residual_histograms(residuals, stats=stats, sigma=25),
        "bn": plots.plot_bn_statistics(bn),
        "crops": plots.plot_task_crops(crops),
        "bench": plots.plot_bench(bench),
        "gains": plots.plot_gains(gains),
        "comparison": plots.plot_visual_comparison([("BSD68 a.png", _comparison_example())] * 2, sigma=50),
        "ablation": plots.plot_ablation_curves(runs),
        "noise levels": plots.plot_noise_levels(levels),
        "estimators": plots.plot_estimators(estimates),
    }


def test_every_figure_is_saved_at_most_1100_px_wide(tmp_path):
    widths = {name: _saved_width(fig, tmp_path / f"{k}.png") for k, (name, fig) in enumerate(_every_figure().items())}
    assert all(600 < width <= PAGE_WIDTH for width in widths.values()), widths
    assert len(widths) == 12
    too_wide, _ = plt_subplots(figsize=(14, 3))  # the check fails on a figure sized as several were before
    assert _saved_width(too_wide, tmp_path / "wide.png") > PAGE_WIDTH


def plt_subplots(**kwargs):
    import matplotlib.pyplot as plt

    return plt.subplots(**kwargs)


def _panel_widths_px(fig, dpi=120):
    """Saved width in pixels of each image panel of a figure (the axes that show an image and have a title)."""
    return [ax.get_position().width * fig.get_figwidth() * dpi for ax in fig.axes if ax.get_images() and ax.get_title()]


def test_comparison_panels_are_300_px_wide_on_several_rows(tmp_path):
    methods = ("BM3D", "DnCNN-S authors' weights", "DnCNN-B authors' weights", "DnCNN-S ours (quick)", "x", "y", "z")
    fig = plots.plot_visual_comparison([("BSD68 a.png", _comparison_example(methods=methods))], sigma=50)
    widths = _panel_widths_px(fig)
    assert len(widths) == 9 and min(widths) >= 300
    assert len({round(ax.get_position().y0, 4) for ax in fig.axes if ax.get_title()}) == 3  # 9 panels, 3 a row
    assert _saved_width(fig, tmp_path / "c.png") <= PAGE_WIDTH
    one_row, axes = plt_subplots(nrows=1, ncols=9, figsize=(9, 2))  # what the check refuses: every method in one row
    for ax in axes:
        ax.imshow(np.zeros((4, 4)))
        ax.set_title("m")
    assert max(_panel_widths_px(one_row)) < 300


def test_comparison_names_the_dncnn_s_of_its_sigma():
    assert plots.comparison_name("DnCNN-S authors' weights", sigma=50) == get_entry("dncnn_s_sigma50").short
    assert plots.comparison_name("DnCNN-S authors' weights", sigma=15) == get_entry("dncnn_s_sigma15").short
    assert plots.comparison_name("BM3D", sigma=50) == "BM3D"


# --- the inset: where the methods differ, on texture -----------------------------------------------------


def _planted(flat_left: bool = False):
    rng = np.random.default_rng(3)
    clean = rng.random((96, 128))
    if flat_left:
        clean[:, :64] = 0.5
    a = clean + rng.normal(0, 0.02, clean.shape)
    b = clean + rng.normal(0, 0.02, clean.shape)
    return clean, a, b


def _overlaps(window, region, size):
    (top, left), (r0, r1, c0, c1) = window, region
    return top < r1 and top + size > r0 and left < c1 and left + size > c0


def test_choose_inset_lands_where_one_method_errs():
    clean, a, b = _planted()
    b[60:76, 90:106] += 0.3  # one method is wrong here only
    window = plots.choose_inset(clean, [a, b], size=16)
    assert _overlaps(window, (60, 76, 90, 106), 16)
    assert window == (60, 90)
    clean, a, b = _planted()
    b[10:26, 10:26] += 0.3  # a planted error elsewhere moves the window: the choice follows the errors
    assert _overlaps(plots.choose_inset(clean, [a, b], size=16), (10, 26, 10, 26), 16)


def test_choose_inset_leaves_flat_regions_out():
    clean, a, b = _planted(flat_left=True)
    b[20:36, 10:26] += 0.5  # a large difference on the flat half
    b[60:76, 90:106] += 0.2  # a smaller one on texture
    assert _overlaps(plots.choose_inset(clean, [a, b], size=16), (60, 76, 90, 106), 16)
    # without the texture rule the flat region's difference would win: the rule is what keeps it out
    assert _overlaps(plots.choose_inset(clean, [a, b], size=16, texture_quantile=0.0), (20, 36, 10, 26), 16)


def test_comparison_insets_show_the_chosen_window_unstretched():
    example = _comparison_example()
    clean = example["clean"][0]
    example["BM3D"] = (np.clip(clean + np.where(np.arange(72) >= 50, 0.3, 0.0), 0, 1).astype(np.float32), 20.0)
    fig = plots.plot_visual_comparison([("a", example)], sigma=50, inset=16)
    top, left = plots.choose_inset(clean, [example[m][0] for m in list(example)[2:]], size=16)
    assert left >= 50 - 15  # the window is where BM3D errs
    for ax in (a for a in fig.axes if a.get_title()):
        zoom = ax.child_axes[0].get_images()[0]
        assert zoom.get_array().shape == (16, 16)
        assert zoom.get_clim() == (0, 1)  # drawn on [0, 1]: no contrast stretch
    assert np.array_equal(fig.axes[0].child_axes[0].get_images()[0].get_array(), np.clip(clean, 0, 1)[top:top + 16, left:left + 16])


# --- one colour and one marker per model --------------------------------------------------------------


def _clashes(pairs: dict) -> list:
    """Labels that share a colour or a marker with another label."""
    labels = list(pairs)
    return [(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]
            if pairs[a][0] == pairs[b][0] or (pairs[a][1] and pairs[a][1] == pairs[b][1])]


def test_every_catalogue_model_has_its_own_colour_and_its_study_its_own_markers():
    from dncnn.analysis import style
    from dncnn.evaluation import noise_levels as NL
    from dncnn.model.catalog import MODELS, entries, run_entries

    pairs = {e.name: style.method_pair(e.name) for e in MODELS}
    colours = [colour for colour, _ in pairs.values()] + [style.method_pair(run_entries()[0].name)[0]]
    assert len(set(colours)) == len(colours)  # every model of the catalogue, and a run's, its own colour
    s = [style.method_pair(get_entry(f"dncnn_s_sigma{n}").name) for n in (15, 25, 50)]
    assert len({c for c, _ in s}) == 3 and len({m for _, m in s}) == 3  # S15/S25/S50: hue and marker
    for study in ("evaluation", "noise-levels", "tasks"):
        rows = {e.name: style.method_pair(e.name) for e in entries(study=study)}
        if study == "noise-levels":
            rows.update({label: style.method_pair(label) for label in (NL.NEAREST_LABEL, NL.DEFAULT_LABEL, NL.ORACLE_LABEL)})
        if study == "evaluation":
            rows.update({e.name: style.method_pair(e.name) for e in run_entries()[:1]})
        assert not _clashes(rows), (study, _clashes(rows))
    assert _clashes({"a": ("#000000", "o"), "b": ("#000000", "s")})  # the check sees a shared colour


def test_a_shared_row_and_a_legend_name_have_their_models_style():
    from dncnn.analysis import style

    s25 = get_entry("dncnn_s_sigma25")
    assert style.method_pair(s25.row_name) == style.method_pair(s25.name)  # notebook 04's shared row: drawn as S25
    assert style.method_pair(s25.short) == style.method_pair(s25.name)
    ours = get_entry("dncnn-s-sigma25")
    assert style.method_pair(ours.short) == style.MODEL_STYLES[ours.key]
    assert style.method_style("DnCNN-S told the true sigma")["marker"] is None  # a bound: a line without markers


# --- notebook 06: DnCNN-B above the rule, one curve drawn once ------------------------------------------


def test_noise_levels_draw_a_repeated_curve_once_and_dncnn_b_above_the_rule():
    from dncnn.evaluation import noise_levels as NL

    values = {"BM3D": (30.0, 28.0), NL.BLIND_LABEL: (31.0, 29.0), NL.DEFAULT_LABEL: (31.0, 28.0),
              NL.NEAREST_LABEL: (29.0, 27.5), NL.ORACLE_LABEL: (29.0, 27.5)}
    rows = [{"dataset": "BSD68", "sigma": s, "method": m, "source": "measured", "images": 2, "psnr": v[k], "ssim": 0.8}
            for k, s in enumerate((15.0, 25.0)) for m, v in values.items()]
    psnr = plots.plot_noise_levels(pd.DataFrame(rows)).axes[0]
    labels = [line.get_label() for line in psnr.get_lines()]
    assert labels == ["BM3D", NL.BLIND_LABEL, NL.DEFAULT_LABEL, f"{NL.NEAREST_LABEL} = {NL.ORACLE_LABEL} (the same curve)"]
    lines = dict(zip(labels, psnr.get_lines()))
    assert lines[NL.BLIND_LABEL].get_zorder() > lines[NL.DEFAULT_LABEL].get_zorder()
    different = pd.DataFrame(rows).assign(psnr=lambda t: t.psnr + np.where(t.method == NL.ORACLE_LABEL, 0.1, 0.0))
    assert len(plots.plot_noise_levels(different).axes[0].get_lines()) == 5  # different curves stay apart


# --- notebook 03: bins on grey levels, a y-axis, shared ranges ------------------------------------------


def _step_heights(ax):
    """Bin heights of a stepfilled histogram, from its polygon."""
    xy = ax.patches[0].get_xy()
    bins = len(np.unique(xy[:, 0])) - 1
    return np.asarray(xy[1:2 * bins:2, 1])


def test_batch_histograms_bin_on_grey_levels_with_a_y_axis_and_shared_ranges():
    rng = np.random.default_rng(0)
    levels = rng.permutation(np.repeat(np.arange(256), 4))[:1024].reshape(4, 16, 16) / 255.0  # every 8-bit level, 4 times
    batches = [{"clean": levels.astype(np.float32), "noisy": levels + rng.normal(0, 0.1, levels.shape),
                "residual": rng.normal(0, 0.1 * k, levels.shape)} for k in (1, 2)]
    fig = plots.plot_batch_histograms(batches, sigma=25)
    clean = fig.axes[1]
    x = np.unique(clean.patches[0].get_xy()[:, 0])
    assert np.allclose(x % 1.0, 0.5)  # every bin edge at k - 0.5
    heights = _step_heights(clean)
    assert len(heights) == 256 and heights.min() > 0  # no comb: one full bin per level
    broken = np.histogram(levels.ravel() * 255.0, bins=np.linspace(0, 255, 301))[0]
    assert (broken == 0).any()  # bins not on the levels: the comb the check refuses
    assert fig.axes[0].get_ylabel() == "fraction of pixels"
    for column in range(3):
        assert fig.axes[column].get_xlim() == fig.axes[3 + column].get_xlim()  # one x range per kind
    assert fig.axes[2].get_xlim()[1] > 4 * 25.5  # the wider batch's noise fits


def test_grey_level_edges_cover_the_values():
    edges = plots.grey_level_edges(np.array([-3.2, 250.4]), step=2)
    assert edges[0] <= -3.2 and edges[-1] >= 250.4 and np.allclose(edges % 1.0, 0.5)
    assert np.allclose(np.diff(edges), 2.0)


# --- notebook 05: a clean grid, crop PSNRs --------------------------------------------------------------


def test_task_crops_are_a_grid_of_equal_panels_without_gaps():
    rng = np.random.default_rng(0)
    examples = [{"title": f"t{k}", "panels": [(f"p{j}\n2{j}.00 dB", rng.random((32, 32))) for j in range(3)]} for k in range(3)]
    examples.append({"title": "colour", "panels": [(f"c{j}\n20.00 dB", rng.random((32, 32, 3))) for j in range(4)]})
    fig = plots.plot_task_crops(examples)
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 13
    sizes = {(round(ax.get_position().width, 6), round(ax.get_position().height, 6)) for ax in panels}
    assert len(sizes) == 1  # every panel the same size
    rows = {}
    for ax in panels:
        rows.setdefault(round(ax.get_position().y0, 4), []).append(ax.get_position())
    assert sorted(len(r) for r in rows.values()) == [3, 3, 3, 4]
    for row in rows.values():
        row.sort(key=lambda p: p.x0)
        gaps_in = [(b.x0 - a.x1) * fig.get_figwidth() for a, b in zip(row, row[1:])]
        assert max(gaps_in) < 0.06  # inches: side by side
        centre = (row[0].x0 + row[-1].x1) / 2
        assert abs(centre - 0.5) < 1e-6  # a shorter row is centred
    assert panels[0].get_title() == "p0\n20.00 dB on this crop"
    assert plots.crop_label("clean") == "clean"
