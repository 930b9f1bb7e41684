"""The study's figures. Each function returns a matplotlib Figure; callers save it with ``dncnn.files.atomic.save_figure``."""

from __future__ import annotations

import textwrap

import numpy as np


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("module://matplotlib_inline.backend_inline",):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_patch_grid(patches: np.ndarray, *, rows: int = 8, cols: int = 12, seed: int = 0):
    """A grid of randomly chosen (N, p, p) uint8 patches."""
    plt = _pyplot()
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(patches), size=min(rows * cols, len(patches)), replace=False)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9))
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, picks):
        ax.imshow(patches[i], cmap="gray", vmin=0, vmax=255)
    fig.suptitle(f"{len(picks)} of {len(patches):,} training patches ({patches.shape[1]}x{patches.shape[2]}, random flips/rotations)")
    return fig


def plot_training_runs(runs: dict):
    """Loss, learning rate and seconds per epoch of one or more training runs, side by side.

    Args:
        runs: ``{label: {"history": log.csv rows, "batch_size": int, "device": str (optional)}}``
            (:func:`dncnn.training.train.read_run`). The loss and the learning
            rate are drawn against the number of training patches seen (steps x batch size, log
            scale), so runs with different batch sizes and epoch lengths compare directly.
    """
    plt = _pyplot()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 3.8))
    for label, run in runs.items():
        history, batch = run["history"], run["batch_size"]
        short, label = label, f"{label} ({run['device']})" if run.get("device") else label
        seen = [r["steps"] * batch for r in history]
        ax1.loglog(seen, [r["loss"] for r in history], marker="o", ms=3, label=label)
        ax2.step(seen, [r["learning_rate"] for r in history], where="pre", label=label)
        ax3.semilogy([r["epoch"] for r in history], [r["epoch_seconds"] for r in history], marker="o", ms=3,
                     label=f"{short}: {np.median([r['epoch_seconds'] for r in history]):.1f} s (median)")
    ax1.set(xlabel="training patches seen", ylabel="training MSE (log)", title="loss")
    ax2.set(xlabel="training patches seen", ylabel="learning rate", title="learning rate", xscale="log", yscale="log")
    ax3.set(xlabel="epoch", ylabel="seconds (log)", title="seconds per epoch")
    for ax in (ax1, ax2, ax3):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_batch_histograms(batches: list[dict], *, sigma: float, bins: int = 100):
    """For each batch: histograms of noisy, clean and residual (noise) pixel values, side by side."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(batches), 3, figsize=(12, 3 * len(batches)), squeeze=False)
    for row, batch in zip(axes, batches):
        for ax, key, color in zip(row, ("noisy", "clean", "residual"), ("tab:red", "tab:blue", "tab:green")):
            values = batch[key].ravel()
            ax.hist(values, bins=bins, color=color, alpha=0.8)
            ax.set_title(f"{key}: mean {values.mean():.3f}, std {values.std():.3f}")
            ax.set_xlabel("value ([0, 1] scale)")
    fig.suptitle(f"{len(batches)} training batches of {batches[0]['clean'].shape[0]} patches, sigma = {sigma:g}")
    fig.tight_layout()
    return fig


def plot_bn_statistics(stats):
    """Per-layer mean and std of batch-norm inputs across batches, against the moving statistics.

    ``stats``: rows of :func:`dncnn.analysis.bn_input_statistics`; with a ``model`` column, each
    model gets its own colour in the same three panels.
    """
    plt = _pyplot()
    if "model" not in stats.columns:
        stats = stats.assign(model="model")
    models = list(dict.fromkeys(stats["model"]))
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    width = 0.8 / len(models)
    for k, (model, color) in enumerate(zip(models, plt.rcParams["axes.prop_cycle"].by_key()["color"])):
        part = stats[stats["model"] == model]
        grouped = part.groupby("layer")
        layers = np.array(sorted(part["layer"].unique()))
        shift = (k - (len(models) - 1) / 2) * width
        for ax, key in zip(axes[:2], ("mean", "std")):
            ax.errorbar(layers + shift, grouped[key].mean(), yerr=grouped[key].std(), fmt="o", ms=4, capsize=3,
                        color=color, label=f"{model}: batches (mean +- std)")
            ax.plot(layers + shift, grouped[f"moving_{key}"].first(), "x", color=color, label=f"{model}: moving statistic")
        box = axes[2].boxplot([grouped.get_group(i)["mean_shift"] for i in layers], positions=layers + shift,
                              widths=width * 0.9, patch_artist=True, manage_ticks=False)
        for patch in box["boxes"]:
            patch.set(facecolor=color, alpha=0.5)
        axes[2].plot([], [], "s", color=color, alpha=0.5, label=model)
    for ax, key in zip(axes[:2], ("mean", "std")):
        ax.set(xlabel="layer", ylabel=f"{key} of BN input (avg over channels)", title=f"BN input {key}")
    axes[2].set(xlabel="layer", ylabel="|batch mean - moving mean| / moving std", title="batch-to-batch shift")
    for ax in axes:
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    batches = ", ".join(f"{stats[stats['model'] == m]['batch'].nunique()} batches ({m})" for m in models)
    fig.suptitle(f"batch-norm inputs over {batches}")
    fig.tight_layout()
    return fig


def plot_denoise_crops(example: dict, *, box: tuple[int, int, int] | None = None, title: str = ""):
    """Clean / noisy / each denoiser on one image (or a ``(top, left, size)`` crop), PSNR in each title."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(example), figsize=(3.2 * len(example), 3.6))
    for ax, (name, (image, psnr)) in zip(np.atleast_1d(axes), example.items()):
        if box is not None:
            top, left, size = box
            image = image[top:top + size, left:left + size]
        ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
        label = textwrap.fill(name, 24)
        ax.set_title(label if psnr is None else f"{label}\n{psnr:.2f} dB", fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.86 if title else 1))  # leave the suptitle its own band
    return fig


def plot_task_crops(examples: list[dict]):
    """A figure with one row per example of :func:`dncnn.evaluation.tasks.task_examples` (input, outputs, original)."""
    plt = _pyplot()

    columns = max(len(e["panels"]) for e in examples)
    fig, axes = plt.subplots(len(examples), columns, figsize=(3 * columns, 3.4 * len(examples)), squeeze=False)
    for row, example in zip(axes, examples):
        for ax in row:
            ax.axis("off")
        for ax, (label, image) in zip(row, example["panels"]):
            ax.imshow(np.clip(image, 0, 1), cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
            ax.set_title(label, fontsize=9)
        row[0].text(0, -0.28, example["title"], transform=row[0].transAxes, fontsize=10, weight="bold")
    fig.tight_layout()
    return fig


def plot_bench(table):
    """Seconds per image of each denoiser by image size (log scale), and fraction of the matmul ceiling."""
    plt = _pyplot()
    inf = table[(table.task == "inference")].dropna(subset=["seconds"])
    sizes = list(dict.fromkeys(inf["size"]))
    methods = list(dict.fromkeys(inf["method"]))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4))
    width = 0.8 / max(len(methods), 1)
    for k, method in enumerate(methods):
        rows = inf[inf.method == method].set_index("size")
        xs = [i + k * width for i, size in enumerate(sizes) if size in rows.index]
        ax1.bar(xs, [rows.loc[s, "seconds"] for s in sizes if s in rows.index], width, label=method)
        if rows["fraction_of_ceiling"].notna().any():
            ax2.bar(xs, [rows.loc[s, "fraction_of_ceiling"] for s in sizes if s in rows.index], width, label=method)
    for ax in (ax1, ax2):
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(sizes))], sizes)
        ax.grid(alpha=0.3, axis="y")
    ax1.set(yscale="log", ylabel="seconds per image (median)", title="inference time")
    ax2.set(ylabel="fraction of float32 matmul ceiling", title="DnCNN efficiency")
    ax2.axhline(0.7, color="black", ls="--", lw=1)
    ax1.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_noise_levels(summary, *, blind_range: tuple[float, float] = (0.0, 55.0)):
    """Notebook 06's figure: mean PSNR against the true sigma for every row of the noise-level summary
    (:func:`dncnn.evaluation.noise_levels.summarize_noise_levels`), and each row's distance to the best
    row at that sigma (dB; the "told the true sigma" bound is not counted as a row to beat).

    Each DnCNN-S gets a line style by its trained sigma (15 solid, 25 dashed, 50 dotted) within its
    method's colour; DnCNN-B's training range ``blind_range`` is shaded.
    """
    import re

    from ..evaluation.noise_levels import ORACLE_LABEL, gap_to_best, pivot_summary
    from .style import method_colour

    plt = _pyplot()
    table, gaps = pivot_summary(summary), gap_to_best(summary)
    sigmas = [float(c) for c in table.columns]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.6))
    for k, method in enumerate(table.index):
        colour = method_colour(method, default=k)
        trained = re.search(r"DnCNN-S(\d+)", method)
        style = {"15": "-", "25": "--", "50": ":"}.get(trained.group(1), "-.") if trained else ("-." if "DnCNN-S ours" in method else "-")
        kwargs = dict(color=colour, ls=style, marker="o", ms=4, label=method,
                      mec="black" if "default" in method else colour, lw=2.5 if "default" in method else 1.5)
        if method == ORACLE_LABEL:
            kwargs.update(ls=(0, (1, 1)), marker="", lw=1)
        ax1.plot(sigmas, table.loc[method].to_numpy(), **kwargs)
        ax2.plot(sigmas, gaps.loc[method].to_numpy(), **kwargs)
    for ax in (ax1, ax2):
        ax.axvspan(max(blind_range[0], min(sigmas) - 2), blind_range[1], color="0.93", zorder=0)
        ax.set_xlabel("true noise level sigma (0-255)")
        ax.set_xticks(sigmas, [f"{s:g}" for s in sigmas])
        ax.grid(alpha=0.3)
    ax1.set(ylabel="mean PSNR on BSD68 (dB)", title="PSNR at each true sigma (grey: DnCNN-B's training range)")
    ax2.set(ylabel="dB from the best row at that sigma", title="distance to the best row (0 = best; clipped at -6 dB)")
    ax2.set_ylim(max(float(gaps.min().min()), -6.0) - 0.2, 0.3)
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle("Where does each row leave 0 dB (right)? A DnCNN-S away from its own sigma, DnCNN-B past 55")
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig


def plot_estimators(estimates):
    """Notebook 06's estimator figure: each estimator's bias (mean of estimate minus true sigma, with
    one standard deviation as a band) against the true sigma, and every image's estimate against the
    true sigma (the diagonal is a perfect estimate). ``estimates``: rows ``sigma, estimator, image, estimate``."""
    from .style import ESTIMATOR_COLOURS

    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    errors = estimates.assign(error=estimates.estimate - estimates.sigma)
    names = list(dict.fromkeys(estimates.estimator))
    for k, name in enumerate(names):
        colour = ESTIMATOR_COLOURS[k % len(ESTIMATOR_COLOURS)]
        rows = errors[errors.estimator == name].groupby("sigma").error.agg(["mean", "std"])
        ax1.plot(rows.index, rows["mean"], marker="o", color=colour, label=name)
        ax1.fill_between(rows.index, rows["mean"] - rows["std"], rows["mean"] + rows["std"], color=colour, alpha=0.2)
        mine = errors[errors.estimator == name]
        offset = (k - (len(names) - 1) / 2) * 0.8  # side by side at each sigma
        ax2.scatter(mine.sigma + offset, mine.estimate, s=6, color=colour, alpha=0.6, label=name)
    top = float(max(estimates.sigma.max(), estimates.estimate.max()))
    ax2.plot([0, top], [0, top], color="black", lw=1, ls="--", label="estimate = true sigma")
    ax1.axhline(0, color="black", lw=1)
    ax1.set(xlabel="true noise level sigma (0-255)", ylabel="bias: estimate - sigma (0-255)",
            title="bias, and one standard deviation over the images")
    ax2.set(xlabel="true noise level sigma (0-255)", ylabel="estimated sigma (0-255)", title="every image")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("How well sigma can be guessed from the noisy image alone (BSD68)")
    fig.tight_layout()
    return fig
