"""The study's figures. Each function returns a matplotlib Figure; callers save it with ``dncnn.files.atomic.save_figure``."""

from __future__ import annotations

import textwrap

import numpy as np

from .style import OKABE_ITO, method_colour


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("module://matplotlib_inline.backend_inline",):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def short_label(label: str) -> str:
    """A table's row label as a legend names it: the short name of the catalogue entry the label names
    (``DnCNN-S ours, paper recipe (GPU)`` -> ``DnCNN-S ours (GPU)``, notebook 04's ``DnCNN-S authors'
    weights`` -> ``DnCNN-S authors'``); a label of no model (a derived row) unchanged."""
    from ..model.catalog import find_entry

    entry = find_entry(label)
    if entry is None:
        return label
    return entry.short if label == entry.name else entry.row_short


def format_count(value: float, _position=None) -> str:
    """Tick label for a count people quote: 6,400 -> ``6.4k``, 11,916,800 -> ``12M``."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _plain_axes(ax, *, grid: str = "y") -> None:
    """No top and right frame, a light grid: the house style of every panel."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.3, axis=grid)


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
    """Training PSNR, learning rate and seconds per epoch of one or more training runs, side by side,
    and their validation PSNR in a fourth panel when any run's rows carry ``val_psnr``.

    Args:
        runs: ``{label: {"history": log.csv rows, "batch_size": int, "device": str (optional)}}``
            (:func:`dncnn.training.runs.read_run`). The training PSNR (-10 log10 of the MSE loss on
            the [0, 1] scale) and the learning rate are drawn against the number of training patches
            seen (steps x batch size, log scale: 10k, 1M, ...), so runs with different batch sizes
            and epoch lengths compare directly. Each run has its method's colour; its device is in
            the title, not in the legend.
    """
    from matplotlib.ticker import FuncFormatter

    plt = _pyplot()
    validated = any("val_psnr" in r for run in runs.values() for r in run["history"])
    fig, axes = plt.subplots(1, 4 if validated else 3, figsize=(20 if validated else 15, 4.2))
    ax1, ax2, ax3 = axes[:3]
    for k, (label, run) in enumerate(runs.items()):
        history, batch = run["history"], run["batch_size"]
        colour = method_colour(label, default=k)
        seen = [r["steps"] * batch for r in history]
        ax1.plot(seen, [-10 * np.log10(r["loss"]) for r in history], marker="o", ms=3, color=colour, label=label)
        ax2.step(seen, [r["learning_rate"] for r in history], where="pre", color=colour, label=label)
        seconds = [r["epoch_seconds"] for r in history]
        ax3.plot([r["epoch"] for r in history], seconds, marker="o", ms=3, color=colour,
                 label=f"{label}: {np.median(seconds):.1f} s (median)")
    ax1.set(xlabel="training patches seen", ylabel="training PSNR (dB)", xscale="log",
            title="training PSNR (from the loss): higher is better")
    ax2.set(xlabel="training patches seen", ylabel="learning rate", xscale="log", yscale="log", title="learning rate")
    ax3.set(xlabel="epoch", ylabel="seconds", title="seconds per epoch")
    ax3.set_ylim(bottom=0)
    if validated:  # a fourth panel: the validation PSNR of the runs that measured it (dncnn.training.validation)
        plot_validation_panel(axes[3], runs)
    for ax in axes[[0, 1, 3] if validated else [0, 1]]:
        ax.xaxis.set_major_formatter(FuncFormatter(format_count))
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    for ax in axes:
        _plain_axes(ax, grid="both")
        ax.legend(fontsize=8, frameon=False)
    devices = "; ".join(f"{label} on {_short_device(run['device'])}" for label, run in runs.items() if run.get("device"))
    fig.suptitle(f"Training runs{': ' + devices if devices else ''}", fontsize=11)
    fig.tight_layout()
    return fig


def _short_device(device: str) -> str:
    from .findings import short_device

    return short_device(device)


def plot_batch_histograms(batches: list[dict], *, sigma: float, bins: int = 100):
    """For each batch: histograms of noisy, clean and residual (noise) pixel values, side by side."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(batches), 3, figsize=(12, 3 * len(batches)), squeeze=False)
    colours = {"noisy": OKABE_ITO["sky blue"], "clean": OKABE_ITO["blue"], "residual": OKABE_ITO["vermillion"]}
    for b, row in enumerate(axes):
        for ax, key in zip(row, ("noisy", "clean", "residual")):
            values = batches[b][key].ravel()
            ax.hist(values, bins=bins, color=colours[key], alpha=0.85)
            ax.set_title(f"batch {b + 1}, {key}: mean {values.mean():.3f}, std {values.std():.3f}", fontsize=10)
            ax.set_xlabel("pixel value ([0, 1] scale)")
            ax.set_yticks([])
            _plain_axes(ax, grid="x")
    fig.suptitle(f"{len(batches)} training batches of {batches[0]['clean'].shape[0]} patches, sigma {sigma:g}: the clean "
                 f"patches change from batch to batch, the residual (the noise) stays a Gaussian of std {sigma / 255:.3f}",
                 fontsize=10)
    fig.tight_layout()
    return fig


def plot_residual_histograms(residuals: list[dict], *, stats, sigma: float, bins: int = 121, limit: float = 60.0):
    """For each batch, the residual the network learns: the noise beside super-resolution at each scale.

    Args:
        residuals: :func:`dncnn.analysis.statistics.residual_batches` output for the batches drawn
            (``{"noise": (batch, p, p), "x2": ...}`` on the [0, 1] scale).
        stats: :func:`dncnn.analysis.statistics.residual_statistics` of many batches: the last panel
            draws each kind's batch std against its batch kurtosis.
        sigma: the noise level (0-255 scale). bins, limit: histogram bins over [-limit, limit] (0-255 scale).
    """
    plt = _pyplot()
    kinds = list(residuals[0])
    colours = [OKABE_ITO[name] for name in ("vermillion", "blue", "bluish green", "reddish purple", "orange")]
    fig, axes = plt.subplots(len(residuals), len(kinds) + 1, figsize=(3.2 * (len(kinds) + 1), 2.8 * len(residuals)), squeeze=False)
    edges = np.linspace(-limit, limit, bins + 1)
    for b, row in enumerate(axes):
        for ax, kind, colour in zip(row, kinds, colours):
            values = np.asarray(residuals[b][kind], np.float64).ravel() * 255.0
            ax.hist(np.clip(values, -limit, limit), bins=edges, color=colour, alpha=0.85)
            ax.set_yscale("log")
            part = stats[(stats.batch == b) & (stats.kind == kind)].iloc[0]
            label = f"noise, sigma {sigma:g}" if kind == "noise" else f"super-resolution {kind}"
            ax.set_title(f"batch {b + 1}, {label}\nstd {part['std']:.2f}, kurtosis {part['kurtosis']:.2f}", fontsize=9)
            ax.set_xlabel(f"residual (0-255 scale; beyond ±{limit:g} in the end bins)")
            _plain_axes(ax, grid="x")
        ax = row[-1]
        if b == 0:
            for kind, colour in zip(kinds, colours):
                part = stats[stats.kind == kind]
                ax.scatter(part["std"], part["kurtosis"], s=12, color=colour, label=kind)
            ax.set_xlabel("batch std (0-255 scale)")
            ax.set_ylabel("batch excess kurtosis")
            ax.set_title(f"all {stats.batch.nunique()} batches", fontsize=9)
            ax.legend(fontsize=8, frameon=False)
            _plain_axes(ax, grid="both")
        else:
            ax.axis("off")
    fig.suptitle("The residual the network learns, for the same patches: the noise keeps one Gaussian from batch to batch; "
                 "the super-resolution residual (bicubic minus the patch) changes its spread and shape", fontsize=10)
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
    for k, model in enumerate(models):
        color = method_colour(model, default=k)
        part = stats[stats["model"] == model]
        grouped = part.groupby("layer")
        layers = np.array(sorted(part["layer"].unique()))
        shift = (k - (len(models) - 1) / 2) * width
        for ax, key in zip(axes[:2], ("mean", "std")):
            ax.errorbar(layers + shift, grouped[key].mean(), yerr=grouped[key].std(), fmt="o", ms=4, capsize=3,
                        color=color, label=f"{model}: batches (mean, std)")
            ax.plot(layers + shift, grouped[f"moving_{key}"].first(), "x", color=color, label=f"{model}: moving")
        box = axes[2].boxplot([grouped.get_group(i)["mean_shift"] for i in layers], positions=layers + shift,
                              widths=width * 0.9, patch_artist=True, manage_ticks=False)
        for patch in box["boxes"]:
            patch.set(facecolor=color, alpha=0.5)
        axes[2].plot([], [], "s", color=color, alpha=0.5, label=model)
    for ax, key in zip(axes[:2], ("mean", "std")):
        ax.set(xlabel="layer", ylabel=f"{key} of the input (average over channels)", title=f"batch-norm input: {key}")
    axes[2].set(xlabel="layer", ylabel="|batch mean - moving mean| in moving stds", title="how far a batch strays")
    axes[2].set_ylim(bottom=0)
    for ax in axes:
        ax.legend(fontsize=7, frameon=False)
        _plain_axes(ax)
    batches = ", ".join(f"{stats[stats['model'] == m]['batch'].nunique()} batches ({m})" for m in models)
    fig.suptitle(f"batch-norm inputs over {batches}: points near the crosses and low boxes mean steady batch statistics",
                 fontsize=10)
    fig.tight_layout()
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


def plot_gains(gains, *, reference: str | None = None):
    """Per-image PSNR gain of each DnCNN row over ``reference``, images sorted by gain, one panel per
    (dataset, sigma): above zero the network wins on that image.

    Args:
        gains: :func:`dncnn.analysis.findings.gains_over` (``dataset, sigma, method, image, gain``, dB).
    """
    from matplotlib.ticker import MaxNLocator

    from ..model.catalog import get_entry

    reference = reference or get_entry("bm3d").name  # the catalogue's BM3D
    plt = _pyplot()
    settings = list(dict.fromkeys(zip(gains.dataset, gains.sigma)))
    datasets = list(dict.fromkeys(d for d, _ in settings))
    sigmas = sorted({s for _, s in settings})
    fig, axes = plt.subplots(len(datasets), len(sigmas), figsize=(4.6 * len(sigmas), 3.4 * len(datasets)), squeeze=False)
    methods = list(dict.fromkeys(gains.method))
    for r, dataset in enumerate(datasets):
        for c, sigma in enumerate(sigmas):
            ax = axes[r][c]
            part = gains[(gains.dataset == dataset) & (gains.sigma == sigma)]
            if not len(part):
                ax.axis("off")
                continue
            for method in methods:
                values = part[part.method == method].gain.to_numpy()
                if len(values):
                    ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, lw=1.2,
                            color=method_colour(method, default=methods.index(method)),
                            label=f"{short_label(method)}: {int((values > 0).sum())}/{len(values)} above")
            ax.axhline(0, color=method_colour(reference), lw=1, ls="--")
            ax.set(xlabel="images, sorted by gain", ylabel=f"PSNR gain over {reference} (dB)", title=f"{dataset}, sigma {sigma:g}")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            _plain_axes(ax)
            ax.legend(fontsize=7, frameon=False)
    fig.suptitle(f"Per-image PSNR gain of each DnCNN over {reference} (dashed line): above it, the network wins on that image",
                 fontsize=10)
    fig.tight_layout()
    return fig


def plot_visual_comparison(examples: list, *, zoom: float = 0.22):
    """The paper's visual comparison: one row per image, one panel per method (PSNR under its name),
    a zoomed inset in the corner of every panel and its region outlined.

    Args:
        examples: ``[(title, example), ...]``, each ``example`` as
            :func:`dncnn.evaluation.protocol.denoise_example` returns it (``{"clean": (image, None),
            "noisy": (image, psnr), <method>: (estimate, psnr), ...}``, HxW float32 on [0, 1]).
        zoom: side of the zoomed square as a fraction of the shorter image side, taken at the centre.
    """
    from matplotlib.patches import Rectangle

    plt = _pyplot()
    columns = max(len(example) for _, example in examples)
    fig, axes = plt.subplots(len(examples), columns, figsize=(2.7 * columns, 2.5 * len(examples) + 0.6), squeeze=False)
    for row, (title, example) in zip(axes, examples):
        for ax in row:
            ax.axis("off")
        for k, (ax, (name, (image, psnr))) in enumerate(zip(row, example.items())):
            image = np.clip(image, 0, 1)
            height, width = image.shape
            side = max(8, int(min(height, width) * zoom))
            top, left = (height - side) // 2, (width - side) // 2
            ax.imshow(image, cmap="gray", vmin=0, vmax=1)
            colour = method_colour(name, default=k) if name not in ("clean",) else OKABE_ITO["black"]
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), side, side, fill=False, edgecolor=OKABE_ITO["yellow"], lw=1.2))
            inset = ax.inset_axes([0.6, 0.0, 0.4, 0.4])  # the square zoom, fitted into the lower-right corner
            inset.imshow(image[top:top + side, left:left + side], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            inset.set_xticks([])
            inset.set_yticks([])
            for spine in inset.spines.values():
                spine.set(edgecolor=OKABE_ITO["yellow"], lw=1.2)
            label = short_label(name) if psnr is None else f"{short_label(name)}\n{psnr:.2f} dB"
            ax.set_title(label, fontsize=8.5, color=colour if name not in ("clean", "noisy") else "black")
        row[0].text(-0.04, 0.5, title, transform=row[0].transAxes, rotation=90, ha="right", va="center", fontsize=9)
    fig.suptitle("Visual comparison (as the paper's Figs. 9-10): PSNR under each name, the outlined centre zoomed in the "
                 "corner", fontsize=10)
    fig.tight_layout()
    return fig


def plot_validation_panel(ax, runs: dict, *, styles: dict | None = None) -> None:
    """Draw each run's validation PSNR (``val_psnr`` of its rows, dB) against training patches seen
    (steps x batch size, log scale) on ``ax``; runs without it are left out. ``styles``: optional
    ``{label: matplotlib keyword arguments}``; by default each label gets its method's colour."""
    from .style import method_colour

    for k, (label, run) in enumerate(runs.items()):
        rows = [r for r in run["history"] if "val_psnr" in r]
        if not rows:
            continue
        style = (styles or {}).get(label) or {"color": method_colour(label, default=k)}
        ax.plot([r["steps"] * run["batch_size"] for r in rows], [r["val_psnr"] for r in rows], marker="o", ms=3,
                label=label, **style)
    ax.set(xlabel="training patches seen", ylabel="validation PSNR (dB)", xscale="log",
           title="validation PSNR (Set5 crops, dncnn.training.validation)")


def plot_ablation_curves(runs: dict):
    """The paper's Fig. 2 at this project's budgets: validation PSNR against training patches seen,
    one panel per base profile (CPU, GPU), one colour per combination of residual learning and batch
    norm, solid for Adam and dashed for SGD.

    Args:
        runs: ``{label: run}`` of :func:`dncnn.analysis.training_claims.read_ablation_runs` (each with
            ``history``, ``batch_size``, ``profile``, ``switches``, ``optimizer`` and ``budget_label``).
    """
    from .style import method_colour

    plt = _pyplot()
    profiles = list(dict.fromkeys(run["profile"] for run in runs.values()))
    fig, axes = plt.subplots(1, max(len(profiles), 1), figsize=(7.5 * max(len(profiles), 1), 4.6), squeeze=False)
    for ax, profile in zip(axes[0], profiles):
        part = {run["switches"]: run for run in runs.values() if run["profile"] == profile}
        styles = {label: {"color": method_colour(label), "ls": "-" if run["optimizer"] == "adam" else "--"}
                  for label, run in part.items()}
        plot_validation_panel(ax, part, styles=styles)
        budget = next(iter(part.values()))["budget_label"]
        ax.set_title(textwrap.fill(f"{profile}: {budget}", 70), fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Residual learning (RL) and batch norm (BN) while training (the paper's Fig. 2)", fontsize=11)
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
