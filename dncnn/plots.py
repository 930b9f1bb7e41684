"""The study's figures. Each function returns a matplotlib Figure; callers save it with ``dncnn.io.save_figure``."""

from __future__ import annotations

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


def plot_training_curves(history: list[dict]):
    """Training loss (log scale) and learning rate against epoch, from ``log.csv`` rows."""
    plt = _pyplot()
    epochs = [r["epoch"] for r in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax1.semilogy(epochs, [r["loss"] for r in history], marker="o")
    ax1.set(xlabel="epoch", ylabel="training MSE (log)", title="loss")
    ax2.step(epochs, [r["learning_rate"] for r in history], where="post")
    ax2.set(xlabel="epoch", ylabel="learning rate", title="learning rate", yscale="log")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
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
    """Per-layer mean and std of batch-norm inputs across batches, against the moving statistics."""
    plt = _pyplot()
    grouped = stats.groupby("layer")
    layers = np.array(sorted(stats["layer"].unique()))
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    for ax, key in zip(axes[:2], ("mean", "std")):
        ax.errorbar(layers, grouped[key].mean(), yerr=grouped[key].std(), fmt="o", capsize=3, label="batches (mean +- std)")
        ax.plot(layers, grouped[f"moving_{key}"].first(), "x", color="black", label="BN moving statistic")
        ax.set(xlabel="layer", ylabel=f"{key} of BN input (avg over channels)", title=f"BN input {key}")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    axes[2].boxplot([grouped.get_group(i)["mean_shift"] for i in layers], positions=layers)
    axes[2].set(xlabel="layer", ylabel="|batch mean - moving mean| / moving std", title="batch-to-batch shift")
    axes[2].grid(alpha=0.3)
    fig.suptitle(f"batch-norm inputs over {stats['batch'].nunique()} batches")
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
        ax.set_title(name if psnr is None else f"{name}\n{psnr:.2f} dB")
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.86 if title else 1))  # leave the suptitle its own band
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
