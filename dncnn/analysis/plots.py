"""The study's figures. Each function returns a matplotlib Figure sized for the pages: saved at 120 dpi
by ``dncnn.files.atomic.save_figure`` it is at most 1100 px wide (:data:`FIGURE_WIDTH` inches), and a
notebook shows it with :func:`dncnn.analysis.display.show_figure`. Every method has one colour and
one marker (:func:`dncnn.analysis.style.method_style`) in every figure."""

from __future__ import annotations

import textwrap

import numpy as np

from .style import OKABE_ITO, method_colour, method_style

FIGURE_WIDTH = 9.0  # inches: 1080 px at the 120 dpi of dncnn.files.atomic.save_figure (the pages show 1100 px)
GREY_EDGES = np.arange(257) - 0.5  # histogram bins on the 256 grey levels of the 0-255 scale


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
    cell = FIGURE_WIDTH / cols
    fig, axes = plt.subplots(rows, cols, figsize=(FIGURE_WIDTH, rows * cell + 0.5), squeeze=False,
                             gridspec_kw={"wspace": 0.05, "hspace": 0.05})
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, picks):
        ax.imshow(patches[i], cmap="gray", vmin=0, vmax=255)
    fig.suptitle(f"{len(picks)} of {len(patches):,} training patches ({patches.shape[1]}x{patches.shape[2]} pixels, "
                 "random flips/rotations)", fontsize=11)
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
    fig, grid = plt.subplots(2, 2, figsize=(FIGURE_WIDTH, 7.4))
    axes = grid.ravel()
    ax1, ax2, ax3 = axes[:3]
    for k, (label, run) in enumerate(runs.items()):
        history, batch = run["history"], run["batch_size"]
        style = method_style(label, default=k)
        seen = [r["steps"] * batch for r in history]
        ax1.plot(seen, [-10 * np.log10(r["loss"]) for r in history], ms=4, label=label, **style)
        ax2.step(seen, [r["learning_rate"] for r in history], where="pre", color=style["color"], label=label)
        seconds = [r["epoch_seconds"] for r in history]
        ax3.plot([r["epoch"] for r in history], seconds, ms=4, label=f"{label}: {np.median(seconds):.1f} s (median)", **style)
    ax1.set(xlabel="training patches seen", ylabel="training PSNR (dB)", xscale="log",
            title="training PSNR (from the loss): higher is better")
    ax2.set(xlabel="training patches seen", ylabel="learning rate", xscale="log", yscale="log", title="learning rate")
    ax3.set(xlabel="epoch", ylabel="seconds", title="seconds per epoch")
    ax3.set_ylim(bottom=0)
    if validated:  # a fourth panel: the validation PSNR of the runs that measured it (dncnn.training.validation)
        plot_validation_panel(axes[3], runs)
    else:
        fig.delaxes(axes[3])  # no run measured it: three panels
    for ax in axes[[0, 1, 3] if validated else [0, 1]]:
        ax.xaxis.set_major_formatter(FuncFormatter(format_count))
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    for ax in axes[:4 if validated else 3]:
        _plain_axes(ax, grid="both")
        ax.title.set_fontsize(10)
        ax.legend(fontsize=8, frameon=False)
    devices = "; ".join(f"{label} on {_short_device(run['device'])}" for label, run in runs.items() if run.get("device"))
    fig.suptitle(textwrap.fill(f"Training runs{': ' + devices if devices else ''}", 110), fontsize=11)
    fig.tight_layout()
    return fig


def _short_device(device: str) -> str:
    from .findings import short_device

    return short_device(device)


def grey_level_edges(values, *, step: int = 1) -> np.ndarray:
    """Histogram bin edges on the grey levels of the 0-255 scale (``k - 0.5``, every ``step`` levels)
    covering ``values`` (any shape, 0-255 scale): a pixel of an 8-bit image falls in the middle of
    one bin, so a histogram of clean images has no empty (comb) bins between its levels."""
    values = np.asarray(values, np.float64)
    low = int(np.floor(values.min() + 0.5)) if values.size else 0  # the levels nearest the extremes
    high = int(np.floor(values.max() + 0.5)) if values.size else 255
    low -= low % step
    return np.arange(low, high + step + 1, step, dtype=np.float64) - 0.5


def plot_batch_histograms(batches: list[dict], *, sigma: float):
    """For each batch: histograms of noisy, clean and residual (noise) pixel values, side by side.

    Args:
        batches: :func:`dncnn.analysis.statistics.sample_batches` output, ``[{"noisy", "clean",
            "residual"}, ...]`` of (batch, p, p) float arrays on the [0, 1] scale.
        sigma: the noise level (0-255 scale).

    Values are drawn on the 0-255 scale as the fraction of the batch's pixels, in bins centred on the
    grey levels (edges at ``k - 0.5``, :func:`grey_level_edges`): one level wide for the clean pixels
    (8-bit: no empty bins between levels), two for the noisy ones and the noise; each column (kind)
    shares its x range and y scale across batches.
    """
    plt = _pyplot()
    if not batches:
        raise ValueError("no batches to draw. Received an empty list")
    keys = ("noisy", "clean", "residual")
    fig, axes = plt.subplots(len(batches), 3, figsize=(FIGURE_WIDTH, 0.6 + 2.4 * len(batches)), squeeze=False,
                             sharex="col", sharey="col")
    colours = {"noisy": OKABE_ITO["sky blue"], "clean": OKABE_ITO["blue"], "residual": OKABE_ITO["vermillion"]}
    scaled = [{key: np.asarray(batch[key], np.float64).ravel() * 255.0 for key in keys} for batch in batches]
    edges = {key: grey_level_edges(np.concatenate([b[key] for b in scaled]), step=2) for key in keys}
    edges["clean"] = GREY_EDGES  # one bin per grey level: clean pixels are 8-bit
    for b, row in enumerate(axes):
        for ax, key in zip(row, keys):
            values = scaled[b][key]
            ax.hist(values, bins=edges[key], weights=np.full(values.size, 1.0 / values.size), color=colours[key],
                    histtype="stepfilled", alpha=0.9)
            ax.set_title(f"batch {b + 1}, {key}: mean {values.mean():.1f}, std {values.std():.1f}", fontsize=9)
            ax.set_xlim(edges[key][0], edges[key][-1])
            if b == len(batches) - 1:
                ax.set_xlabel(f"{key} pixel value (0-255)")
            if key == "noisy":
                ax.set_ylabel("fraction of pixels")
            _plain_axes(ax, grid="both")
    fig.suptitle(textwrap.fill(
        f"{len(batches)} training batches of {batches[0]['clean'].shape[0]} patches, sigma {sigma:g}: the clean patches "
        f"change from batch to batch, the residual (the noise) stays a Gaussian of std {sigma:g} grey levels", 110),
        fontsize=10)
    fig.tight_layout()
    return fig


def plot_residual_histograms(residuals: list[dict], *, stats, sigma: float, limit: int = 60, step: int = 1):
    """For each batch, the residual the network learns: the noise beside super-resolution at each scale,
    and below them each kind's batch std against its batch kurtosis over many batches.

    Args:
        residuals: :func:`dncnn.analysis.statistics.residual_batches` output for the batches drawn
            (``{"noise": (batch, p, p), "x2": ...}`` on the [0, 1] scale).
        stats: :func:`dncnn.analysis.statistics.residual_statistics` of many batches.
        sigma: the noise level (0-255 scale).
        limit, step: histogram over [-limit, limit] grey levels in bins ``step`` levels wide, edges
            at ``k - 0.5`` (values beyond in the end bins); every panel shares the range and the
            log-scale fraction axis.
    """
    plt = _pyplot()
    kinds = list(residuals[0])
    colours = [OKABE_ITO[name] for name in ("vermillion", "blue", "bluish green", "reddish purple", "orange")]
    fig = plt.figure(figsize=(FIGURE_WIDTH, 2.3 * len(residuals) + 3.4))
    grid = fig.add_gridspec(len(residuals) + 1, len(kinds), height_ratios=[1.0] * len(residuals) + [1.35])
    edges = np.arange(-limit, limit + 2, step, dtype=np.float64) - 0.5
    first = None
    for b in range(len(residuals)):
        for c, (kind, colour) in enumerate(zip(kinds, colours)):
            ax = fig.add_subplot(grid[b, c], sharex=first, sharey=first)
            first = first or ax
            values = np.asarray(residuals[b][kind], np.float64).ravel() * 255.0
            ax.hist(np.clip(values, edges[0] + 0.5, edges[-1] - 0.5), bins=edges,
                    weights=np.full(values.size, 1.0 / values.size), color=colour, histtype="stepfilled", alpha=0.9)
            ax.set_yscale("log")
            part = stats[(stats.batch == b) & (stats.kind == kind)].iloc[0]
            label = f"noise, sigma {sigma:g}" if kind == "noise" else f"super-res. {kind}"
            ax.set_title(f"batch {b + 1}, {label}\nstd {part['std']:.2f}, kurtosis {part['kurtosis']:.2f}", fontsize=8)
            if c == 0:
                ax.set_ylabel("fraction of pixels", fontsize=8)
            if b == len(residuals) - 1:
                ax.set_xlabel("residual (grey levels)", fontsize=8)
            ax.tick_params(labelsize=7)
            _plain_axes(ax, grid="x")
    ax = fig.add_subplot(grid[-1, :])
    for kind, colour, marker in zip(kinds, colours, "osD^v"):
        part = stats[stats.kind == kind]
        ax.scatter(part["std"], part["kurtosis"], s=14, color=colour, marker=marker, label=kind)
    ax.set(xlabel="batch std (grey levels)", ylabel="batch excess kurtosis")
    ax.set_title(f"all {stats.batch.nunique()} batches (histograms: values beyond ±{limit:g} in the end bins)", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    _plain_axes(ax, grid="both")
    fig.suptitle(textwrap.fill("The residual the network learns, for the same patches: the noise keeps one Gaussian from "
                               "batch to batch; the super-resolution residual (bicubic minus the patch) changes its spread "
                               "and shape", 110), fontsize=10)
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
    fig = plt.figure(figsize=(FIGURE_WIDTH, 7.6))
    grid = fig.add_gridspec(2, 2)
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
    width = 0.8 / len(models)
    for k, model in enumerate(models):
        color, marker = method_style(model, default=k)["color"], method_style(model, default=k)["marker"] or "o"
        part = stats[stats["model"] == model]
        grouped = part.groupby("layer")
        layers = np.array(sorted(part["layer"].unique()))
        shift = (k - (len(models) - 1) / 2) * width
        for ax, key in zip(axes[:2], ("mean", "std")):
            ax.errorbar(layers + shift, grouped[key].mean(), yerr=grouped[key].std(), fmt=marker, ms=4, capsize=3,
                        color=color, label=f"{model}: batches (mean, std)")
            ax.plot(layers + shift, grouped[f"moving_{key}"].first(), "x", color=color, label=f"{model}: moving")
        box = axes[2].boxplot([grouped.get_group(i)["mean_shift"] for i in layers], positions=layers + shift,
                              widths=width * 0.9, patch_artist=True, manage_ticks=False)
        for patch in box["boxes"]:
            patch.set(facecolor=color, alpha=0.5)
        axes[2].plot([], [], "s", color=color, alpha=0.5, label=model)
    for ax, key in zip(axes[:2], ("mean", "std")):
        ax.set(xlabel="layer", ylabel=f"{key} of the input (channel average)", title=f"batch-norm input: {key}")
    axes[2].set(xlabel="layer", ylabel="|batch mean - moving mean| in moving stds", title="how far a batch strays")
    axes[2].set_ylim(bottom=0)
    for ax in axes:
        ax.legend(fontsize=7, frameon=False)
        _plain_axes(ax)
    batches = ", ".join(f"{stats[stats['model'] == m]['batch'].nunique()} batches ({m})" for m in models)
    fig.suptitle(textwrap.fill(f"batch-norm inputs over {batches}: points near the crosses and low boxes mean steady "
                               "batch statistics", 110), fontsize=10)
    fig.tight_layout()
    return fig


def crop_label(label: str) -> str:
    """A crop figure's panel label with its PSNR named as the crop's (``"noisy\n24.61 dB"`` ->
    ``"noisy\n24.61 dB on this crop"``): the PSNR under a crop is the crop's, not the set's mean."""
    return label + " on this crop" if label.endswith(" dB") else label


def plot_task_crops(examples: list[dict], *, panel: float = 2.2):
    """A figure with one row per example of :func:`dncnn.evaluation.tasks.task_examples` (input, outputs,
    original): the panels of every row the same size (``panel`` inches, 264 px at 120 dpi) and side by
    side without gaps; a row with fewer panels than the widest is centred.

    Args:
        examples: ``[{"title", "panels": [(label, HxW or HxWx3 float image in [0, 1]), ...]}, ...]``;
            a label's PSNR is the crop's (the panel's title says so).
    """
    plt = _pyplot()
    columns = max(len(e["panels"]) for e in examples)
    panel = min(panel, (FIGURE_WIDTH - 0.2) / columns)
    title, header, gap = 0.45, 0.4, 0.04  # inches: two-line panel titles, each row's heading, between panels
    heights = [panel * _aspect(e["panels"]) for e in examples]
    top = 0.55
    total = top + sum(header + title + h for h in heights) + 0.1
    width = columns * panel + (columns - 1) * gap + 0.2
    fig = plt.figure(figsize=(width, total))
    y = total - top
    for example, height in zip(examples, heights):
        count = len(example["panels"])
        x0 = (width - count * panel - (count - 1) * gap) / 2
        fig.text(x0 / width, (y - 0.16) / total, example["title"], fontsize=10, weight="bold", va="top")
        y -= header + title + height
        for k, (label, image) in enumerate(example["panels"]):
            ax = fig.add_axes(((x0 + k * (panel + gap)) / width, y / total, panel / width, height / total))
            ax.imshow(np.clip(image, 0, 1), cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1,
                      interpolation="nearest", aspect="auto")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(crop_label(label), fontsize=8.5)
    fig.suptitle("One crop per task; the PSNR under each panel is the PSNR of this crop (not the set's mean)",
                 fontsize=10, y=1 - 0.12 / total, va="top")
    return fig


def _aspect(panels) -> float:
    """Height over width of the first image of a row's panels."""
    image = panels[0][1]
    return image.shape[0] / image.shape[1]


def plot_bench(table):
    """Seconds per image of each denoiser by image size (log scale), and fraction of the matmul ceiling."""
    plt = _pyplot()
    inf = table[(table.task == "inference")].dropna(subset=["seconds"])
    sizes = list(dict.fromkeys(inf["size"]))
    methods = list(dict.fromkeys(inf["method"]))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 4))
    width = 0.8 / max(len(methods), 1)
    for k, method in enumerate(methods):
        rows = inf[inf.method == method].set_index("size")
        xs = [i + k * width for i, size in enumerate(sizes) if size in rows.index]
        colour = method_colour(method, default=k)
        ax1.bar(xs, [rows.loc[s, "seconds"] for s in sizes if s in rows.index], width, label=method, color=colour)
        if rows["fraction_of_ceiling"].notna().any():
            ax2.bar(xs, [rows.loc[s, "fraction_of_ceiling"] for s in sizes if s in rows.index], width, label=method,
                    color=colour)
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
    fig, axes = plt.subplots(len(datasets), len(sigmas), figsize=(FIGURE_WIDTH, 0.8 + 3.2 * len(datasets)), squeeze=False,
                             sharey="row")
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
                    ax.plot(np.arange(1, len(values) + 1), values, ms=3.5, lw=1.2,
                            **method_style(method, default=methods.index(method)),
                            label=f"{short_label(method)}: {int((values > 0).sum())}/{len(values)} above")
            ax.axhline(0, color=method_colour(reference), lw=1, ls="--")
            ax.set(xlabel="images, sorted by gain", title=f"{dataset}, sigma {sigma:g}")
            if c == 0:
                ax.set_ylabel(f"PSNR gain over {reference} (dB)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.title.set_fontsize(10)
            _plain_axes(ax)
            ax.legend(fontsize=6.5, frameon=False)
    fig.suptitle(textwrap.fill(f"Per-image PSNR gain of each DnCNN over {reference} (dashed line): above it, the network "
                               "wins on that image", 110), fontsize=10)
    fig.tight_layout()
    return fig


def _window_means(values: np.ndarray, size: int) -> np.ndarray:
    """Mean of ``values`` (HxW) over every ``size`` x ``size`` window: (H - size + 1, W - size + 1),
    element ``[top, left]`` the window whose top-left pixel is there (from an integral image)."""
    total = np.pad(np.asarray(values, np.float64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = total[size:, size:] - total[:-size, size:] - total[size:, :-size] + total[:-size, :-size]
    return sums / float(size * size)


def choose_inset(clean: np.ndarray, estimates, *, size: int, texture_quantile: float = 0.5) -> tuple[int, int]:
    """The ``size`` x ``size`` window of an image where the denoisers differ most, on texture.

    Each pixel's spread is the largest minus the smallest absolute error of the ``estimates`` there
    (their one absolute error when there is one estimate); the window chosen has the largest mean
    spread among the windows whose clean-image standard deviation is at least the ``texture_quantile``
    quantile of all windows' (flat regions, where every method is right, are left out).

    Args:
        clean: HxW (or HxWxC: channels averaged) image, any scale.
        estimates: denoised images of the same shape and scale (one per method; not the noisy input).
        size: the window's side in pixels (at most the image's shorter side).

    Returns:
        ``(top, left)``: the window's top-left pixel.
    """
    clean = np.asarray(clean, np.float64)
    errors = np.stack([np.abs(np.asarray(e, np.float64) - clean) for e in estimates])
    if clean.ndim == 3:
        errors, clean = errors.mean(axis=-1), clean.mean(axis=-1)
    size = int(min(size, *clean.shape))
    spread = errors[0] if len(errors) == 1 else errors.max(axis=0) - errors.min(axis=0)
    score = _window_means(spread, size)
    variance = _window_means(clean ** 2, size) - _window_means(clean, size) ** 2
    texture = np.sqrt(np.maximum(variance, 0.0))
    score[texture < np.quantile(texture, texture_quantile)] = -np.inf
    top, left = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(top), int(left)


COMPARISON_PANEL = 2.8  # inches: a visual comparison's panel, 336 px wide at 120 dpi (three a row fit 1100 px)


def plot_visual_comparison(examples: list, *, sigma: float, columns: int = 3, inset: int = 40):
    """The paper's visual comparison (its Figs. 9-10): for each image, the clean image, the noisy one
    and every method's estimate, ``columns`` panels a row (each :data:`COMPARISON_PANEL` inches, over
    300 px wide saved), the method's legend name and PSNR above it; in every panel the same window,
    outlined, is shown magnified in the corner farthest from it.

    The window (``inset`` x ``inset`` pixels) is :func:`choose_inset` of the example's estimates:
    where the methods' absolute errors differ most, on texture. Images are drawn on [0, 1] without
    any contrast stretch; the zoom repeats pixels (nearest neighbour).

    Args:
        examples: ``[(title, example), ...]`` of :func:`dncnn.evaluation.protocol.denoise_examples`,
            each ``example`` ``{"clean": (image, None), "noisy": (image, psnr), <method>: (estimate,
            psnr), ...}``, HxW float32 on [0, 1], denoised at ``sigma``.
        sigma: the noise level of the examples (0-255 scale), named in the title.
    """
    plt = _pyplot()
    title_h, header, gap = 0.42, 0.42, 0.06  # inches: two-line panel titles, each image's heading, between panels
    blocks = []
    for title, example in examples:
        image = example["clean"][0]
        rows = -(-len(example) // columns)
        blocks.append((title, example, rows, COMPARISON_PANEL * image.shape[0] / image.shape[1]))
    top = 0.5
    total = top + sum(header + rows * (title_h + height) for _, _, rows, height in blocks) + 0.1
    width = columns * COMPARISON_PANEL + (columns - 1) * gap + 0.2
    fig = plt.figure(figsize=(width, total))
    y = total - top
    for title, example, rows, height in blocks:
        fig.text(0.1 / width, (y - 0.16) / total, title, fontsize=10, weight="bold", va="top")
        y -= header
        window = _comparison_window(example, inset)
        for k, (name, (image, psnr)) in enumerate(example.items()):
            row, col = divmod(k, columns)
            box = (0.1 + col * (COMPARISON_PANEL + gap), y - (row + 1) * (title_h + height))
            ax = fig.add_axes((box[0] / width, box[1] / total, COMPARISON_PANEL / width, height / total))
            _draw_comparison_panel(ax, np.clip(image, 0, 1), window)
            label = comparison_name(name, sigma=sigma)
            ax.set_title(label if psnr is None else f"{label}\n{psnr:.2f} dB", fontsize=9)
        y -= rows * (title_h + height)
    fig.suptitle(f"Visual comparison at sigma {sigma:g} (as the paper's Figs. 9-10): PSNR under each name; the outlined "
                 "window, where the methods' errors differ most, magnified in a corner", fontsize=9.5,
                 y=1 - 0.1 / total, va="top", wrap=True)
    return fig


def comparison_name(label: str, *, sigma: float) -> str:
    """A method's legend name in a visual comparison at ``sigma``: a row shared by several catalogue
    models (notebook 04's ``DnCNN-S authors' weights``) names the one trained for ``sigma``
    (``DnCNN-S50 authors'``); any other label as :func:`short_label` gives it."""
    from ..model.catalog import MODELS

    trained = next((e for e in MODELS if e.row_name == label and e.sigma is not None and float(e.sigma) == float(sigma)), None)
    return trained.short if trained is not None else short_label(label)


def _comparison_window(example: dict, size: int) -> tuple[int, int, int]:
    """``(top, left, side)`` of the inset window of one visual-comparison example: :func:`choose_inset`
    of its methods' estimates (not the clean or noisy image)."""
    clean = example["clean"][0]
    estimates = [image for name, (image, _) in example.items() if name not in ("clean", "noisy")]
    side = int(min(size, *clean.shape[:2]))
    top, left = choose_inset(clean, estimates or [example["noisy"][0]], size=side)
    return top, left, side


def _draw_comparison_panel(ax, image: np.ndarray, window: tuple[int, int, int]) -> None:
    """One panel of the visual comparison: ``image`` ([0, 1]), the window outlined and magnified (45 %
    of the panel's width) in the corner farthest from it."""
    from matplotlib.patches import Rectangle

    top, left, side = window
    height, width = image.shape[:2]
    cmap = "gray" if image.ndim == 2 else None
    ax.imshow(image, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), side, side, fill=False, edgecolor=OKABE_ITO["yellow"], lw=1.3))
    zoom = 0.45
    right = left + side / 2 < width / 2  # the window is in the left half: magnify it on the right
    lower = top + side / 2 < height / 2  # in the upper half (row 0 is the top): magnify it below
    bounds = [1 - zoom if right else 0.0, 0.0 if lower else 1 - zoom * width / height, zoom, zoom * width / height]
    inset = ax.inset_axes(bounds)
    inset.imshow(image[top:top + side, left:left + side], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set(edgecolor=OKABE_ITO["yellow"], lw=1.3)


def plot_validation_panel(ax, runs: dict, *, styles: dict | None = None) -> None:
    """Draw each run's validation PSNR (``val_psnr`` of its rows, dB) against training patches seen
    (steps x batch size, log scale) on ``ax``; runs without it are left out. ``styles``: optional
    ``{label: matplotlib keyword arguments}``; by default each label gets its method's colour."""

    for k, (label, run) in enumerate(runs.items()):
        rows = [r for r in run["history"] if "val_psnr" in r]
        if not rows:
            continue
        style = {"marker": "o", **((styles or {}).get(label) or method_style(label, default=k))}
        ax.plot([r["steps"] * run["batch_size"] for r in rows], [r["val_psnr"] for r in rows], ms=3.5,
                label=label, **style)
    ax.set(xlabel="training patches seen", ylabel="validation PSNR (dB)", xscale="log",
           title="validation PSNR (Set5 crops)")
    from matplotlib.ticker import FuncFormatter

    for axis in (ax.xaxis.set_major_formatter, ax.xaxis.set_minor_formatter):  # 2k, 10k: not 2x10^3
        axis(FuncFormatter(format_count))


def plot_ablation_curves(runs: dict):
    """The paper's Fig. 2 at this project's budgets: validation PSNR against training patches seen,
    one panel per base profile (CPU, GPU), one colour per combination of residual learning and batch
    norm, solid for Adam and dashed for SGD.

    Args:
        runs: ``{label: run}`` of :func:`dncnn.analysis.training_claims.read_ablation_runs` (each with
            ``history``, ``batch_size``, ``profile``, ``switches``, ``optimizer`` and ``budget_label``).
    """

    plt = _pyplot()
    profiles = list(dict.fromkeys(run["profile"] for run in runs.values()))
    fig, axes = plt.subplots(1, max(len(profiles), 1), figsize=(FIGURE_WIDTH, 4.8), squeeze=False)
    for ax, profile in zip(axes[0], profiles):
        part = {run["switches"]: run for run in runs.values() if run["profile"] == profile}
        styles = {label: {**method_style(label), "ls": "-" if run["optimizer"] == "adam" else "--"}
                  for label, run in part.items()}
        plot_validation_panel(ax, part, styles=styles)
        budget = next(iter(part.values()))["budget_label"]
        ax.set_title(textwrap.fill(f"{profile}: {budget}", 60 // max(len(profiles), 1) + 10), fontsize=8.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Residual learning (RL) and batch norm (BN) while training (the paper's Fig. 2)", fontsize=11)
    fig.tight_layout()
    return fig


def merge_same_curves(table) -> dict[str, list[str]]:
    """Rows of a (method x sigma) table that draw the same curve: ``{first method: [it and every
    later method whose values equal it (to 1e-9 dB) at every sigma]}``, in table order."""
    groups: dict[str, list[str]] = {}
    for method in table.index:
        values = table.loc[method].to_numpy(np.float64)
        same = next((first for first in groups if np.allclose(table.loc[first].to_numpy(np.float64), values,
                                                              rtol=0.0, atol=1e-9, equal_nan=True)), None)
        if same is None:
            groups[method] = [method]
        else:
            groups[same].append(method)
    return groups


def _noise_level_style(method: str, k: int) -> dict:
    """Line keywords of a row of notebook 06's figure: its method's colour and marker; the derived
    rows dashed, the rule's default thick under the others, the "told the true sigma" bound thin and
    dotted; DnCNN-B drawn above every other line."""
    from ..evaluation.noise_levels import BLIND_LABEL, DEFAULT_LABEL, NEAREST_LABEL, ORACLE_LABEL

    style = {**method_style(method, default=k), "ls": "-", "lw": 1.6, "ms": 5, "zorder": 3}
    if method == DEFAULT_LABEL:
        style.update(lw=4.5, mec="black", mew=0.8, zorder=2, ms=6)
    elif method == NEAREST_LABEL:
        style.update(ls="-.")
    elif method == ORACLE_LABEL:
        style.update(ls=(0, (1, 1)), lw=1.2, zorder=5)
    elif method == BLIND_LABEL:
        style.update(lw=2.0, zorder=4)
    return style


def plot_noise_levels(summary, *, blind_range: tuple[float, float] = (0.0, 55.0)):
    """Notebook 06's figure: mean PSNR against the true sigma for every row of the noise-level summary
    (:func:`dncnn.evaluation.noise_levels.summarize_noise_levels`), and below it each row's distance
    to the best row at that sigma (dB; the "told the true sigma" bound is not counted as a row to beat).

    Every row has its method's colour and marker (:func:`dncnn.analysis.style.method_style`);
    DnCNN-B is drawn above the rule's line; rows with the same values at every sigma are drawn once,
    their names joined by " = " in the legend. DnCNN-B's training range ``blind_range`` is shaded.
    """
    from ..evaluation.noise_levels import gap_to_best, pivot_summary

    plt = _pyplot()
    table, gaps = pivot_summary(summary), gap_to_best(summary)
    sigmas = [float(c) for c in table.columns]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 9.4), sharex=True)
    for k, (method, same) in enumerate(merge_same_curves(table).items()):
        style = _noise_level_style(method, k)
        label = " = ".join(same) + (" (the same curve)" if len(same) > 1 else "")
        ax1.plot(sigmas, table.loc[method].to_numpy(), label=label, **style)
        ax2.plot(sigmas, gaps.loc[method].to_numpy(), label=label, **style)
    for ax in (ax1, ax2):
        ax.axvspan(max(blind_range[0], min(sigmas) - 2), blind_range[1], color="0.93", zorder=0)
        ax.set_xticks(sigmas, [f"{s:g}" for s in sigmas])
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    ax2.set_xlabel("true noise level sigma (0-255)")
    ax1.set(ylabel="mean PSNR on BSD68 (dB)", title="PSNR at each true sigma (grey: DnCNN-B's training range)")
    ax2.set(ylabel="dB from the best row at that sigma", title="distance to the best row (0 = best; clipped at -6 dB)")
    ax2.set_ylim(max(float(gaps.min().min()), -6.0) - 0.2, 0.3)
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.suptitle("Where does each row leave 0 dB (below)? A DnCNN-S away from its own sigma, DnCNN-B past 55", fontsize=11)
    fig.tight_layout(rect=(0, (0.1 + 0.16 * ((len(labels) + 1) // 2)) / fig.get_figheight(), 1, 1))
    return fig


def plot_estimators(estimates):
    """Notebook 06's estimator figure: each estimator's bias (mean of estimate minus true sigma, with
    one standard deviation as a band) against the true sigma, and every image's estimate against the
    true sigma (the diagonal is a perfect estimate). ``estimates``: rows ``sigma, estimator, image, estimate``."""
    from .style import ESTIMATOR_STYLES

    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 4.4))
    errors = estimates.assign(error=estimates.estimate - estimates.sigma)
    names = list(dict.fromkeys(estimates.estimator))
    for k, name in enumerate(names):
        colour, marker = ESTIMATOR_STYLES[k % len(ESTIMATOR_STYLES)]
        rows = errors[errors.estimator == name].groupby("sigma").error.agg(["mean", "std"])
        ax1.plot(rows.index, rows["mean"], marker=marker, color=colour, label=name)
        ax1.fill_between(rows.index, rows["mean"] - rows["std"], rows["mean"] + rows["std"], color=colour, alpha=0.2)
        mine = errors[errors.estimator == name]
        offset = (k - (len(names) - 1) / 2) * 0.8  # side by side at each sigma
        ax2.scatter(mine.sigma + offset, mine.estimate, s=8, color=colour, marker=marker, alpha=0.6, label=name)
    top = float(max(estimates.sigma.max(), estimates.estimate.max()))
    ax2.plot([0, top], [0, top], color="black", lw=1, ls="--", label="estimate = true sigma")
    ax1.axhline(0, color="black", lw=1)
    ax1.set(xlabel="true noise level sigma (0-255)", ylabel="bias: estimate - sigma (0-255)",
            title="bias, ± one std over the images")
    ax2.set(xlabel="true noise level sigma (0-255)", ylabel="estimated sigma (0-255)", title="every image")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("How well sigma can be guessed from the noisy image alone (BSD68)")
    fig.tight_layout()
    return fig
