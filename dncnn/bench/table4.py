"""The paper's Table IV re-derived: seconds per image of BM3D, CBM3D, DnCNN-S, DnCNN-B and CDnCNN-B at
256, 512 and 1024 px (sigma 25) measured in one run on this machine, beside the paper's seconds
(:data:`dncnn.evaluation.paper.PAPER_RUN_TIMES`, a secondary source) and with each method's ratio to
BM3D beside the paper's; ``results/table4.csv`` and ``.md``, ``figures/table4.png``.

The networks run in deploy form through the denoise API's compiled forward pass
(:func:`dncnn.evaluation.denoisers.compile_predict`), built at their shapes with seeded weights (a
network's run time depends on its shape, not its weights); BM3D and CBM3D run on every core (the
``bm3d`` package's default), as a user runs them. The GPU column comes from ``results/table4_gpu.csv``,
which the prepared GPU command (``scripts/gpu_speed.sh``, :func:`measure_gpu_inference`) writes on a
lent GPU; until it exists the table says "GPU: not measured yet".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .measure import median_seconds

TABLE4_SIZES = (256, 512, 1024)
# the methods measured here: name -> (kind, depth, channels)
TABLE4_METHODS = {"BM3D": ("bm3d", 0, 1), "CBM3D": ("bm3d", 0, 3), "DnCNN-S": ("dncnn", 17, 1),
                  "DnCNN-B": ("dncnn", 20, 1), "CDnCNN-B": ("dncnn", 20, 3)}
NETWORKS = tuple(name for name, (kind, _, _) in TABLE4_METHODS.items() if kind == "dncnn")
GPU_FILE = "table4_gpu.csv"
COLUMNS = ["method", "size", "cpu_seconds", "paper_cpu_seconds", "ratio_to_bm3d", "paper_ratio_to_bm3d",
           "gpu_seconds", "paper_gpu_seconds", "cpu_device", "gpu_device"]


def noisy_image(size: int, channels: int, *, sigma: float = 25.0, seed: int = 0) -> np.ndarray:
    """A seeded noisy photograph of ``size`` x ``size``: scikit-image's ``camera`` (grey, one channel)
    or ``astronaut`` (three), both 512x512, resized with bicubic interpolation (OpenCV) and scaled to
    [0, 1], plus Gaussian noise of ``sigma`` (0-255 scale), not clipped; float32, (size, size) or
    (size, size, 3): Table IV times a natural image, as the paper's does."""
    import cv2
    import skimage.data

    photo = skimage.data.camera() if channels == 1 else skimage.data.astronaut()
    clean = cv2.resize(photo, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    rng = np.random.default_rng(seed)
    return (clean + rng.normal(0, sigma / 255, clean.shape)).astype(np.float32)


def time_method(name: str, *, sizes=TABLE4_SIZES, sigma: float = 25.0, repeats: int = 3) -> list[dict]:
    """Seconds per image of one of :data:`TABLE4_METHODS` at each size (median of ``repeats`` after
    one warm-up for the networks, whose first call compiles; BM3D: ``max(1, repeats - 1)`` runs)."""
    kind, depth, channels = TABLE4_METHODS[name]
    if kind == "bm3d":  # on every core, as a user runs it and as the networks run (the evaluation's
        import bm3d     # one thread per image, images in parallel, gives the same throughput)

        run = bm3d.bm3d_rgb if channels == 3 else bm3d.bm3d
        return [{"method": name, "size": size,
                 "seconds": median_seconds(lambda: run(noisy_image(size, channels, sigma=sigma), sigma_psd=sigma / 255),
                                           repeats=max(1, repeats - 1), warmup=0)}
                for size in sizes]
    from ..evaluation.denoisers import compile_predict
    from ..model.network import build_dncnn

    predict = compile_predict(build_dncnn(depth, 64, batch_norm=False, channels=channels, seed=0))
    rows = []
    for size in sizes:
        x = noisy_image(size, channels, sigma=sigma).reshape(1, size, size, channels)
        rows.append({"method": name, "size": size, "seconds": median_seconds(lambda: np.asarray(predict(x)), repeats=repeats)})
    return rows


def measure_table4(*, sizes=TABLE4_SIZES, sigma: float = 25.0, repeats: int = 3, methods=tuple(TABLE4_METHODS)):
    """Every method's seconds per image at each size, in this process (Keras' active backend), one
    run: a DataFrame ``method, size, seconds, device`` (``device``: the accelerator Keras computes on,
    or ``CPU: <model>``; BM3D always runs on the CPU)."""
    import pandas as pd

    from ..runtime.device import cpu_model, describe_device

    rows = []
    for name in methods:
        device = f"CPU: {cpu_model()}" if TABLE4_METHODS[name][0] == "bm3d" else describe_device()
        rows += [{**row, "device": device} for row in time_method(name, sizes=sizes, sigma=sigma, repeats=repeats)]
    return pd.DataFrame(rows)


def measure_gpu_inference(*, out_dir: Path, sizes=TABLE4_SIZES, repeats: int = 5):
    """The networks' rows of :func:`measure_table4` on the accelerator Keras computes on, written to
    ``out_dir/table4_gpu.csv`` (the prepared GPU command; copy it to ``results/`` to fill the GPU
    column); returns the table."""
    from ..files import atomic

    table = measure_table4(sizes=sizes, repeats=repeats, methods=NETWORKS)
    atomic.save_csv(Path(out_dir) / GPU_FILE, table)
    return table


def read_gpu_inference(path: Path):
    """``results/table4_gpu.csv`` (:func:`measure_gpu_inference`) as a DataFrame, or None when it is
    absent or was measured on no accelerator (a CPU stand-in's file fills no GPU column)."""
    import pandas as pd

    if not Path(path).exists():
        return None
    table = pd.read_csv(path)
    table = table[~table.device.astype(str).str.startswith("CPU")]
    return table if len(table) else None


def build_table4(measured, *, gpu=None):
    """Table IV: one row per (method, size) with the CPU seconds measured here (``measured``, of
    :func:`measure_table4`), the paper's, the ratio to BM3D at the same size here and in the paper,
    the GPU seconds (``gpu``, of :func:`read_gpu_inference`, or NaN) and the paper's, and the devices.
    The paper's methods not run here (TNRD) appear with the paper's seconds only."""
    import pandas as pd

    from ..evaluation.paper import PAPER_RUN_TIMES

    here = measured.set_index(["method", "size"])
    on_gpu = gpu.set_index(["method", "size"]) if gpu is not None else None
    names = list(dict.fromkeys([*measured.method, *(m for m, _ in PAPER_RUN_TIMES)]))
    cpu_device = str(measured.device.iloc[0]) if "device" in measured and len(measured) else ""
    rows = []
    for size in sorted(set(measured["size"])):
        for name in names:
            paper_cpu = PAPER_RUN_TIMES.get((name, "CPU"), {}).get(size, np.nan)
            if (name, size) not in here.index and np.isnan(paper_cpu):
                continue
            gpu_row = on_gpu.loc[(name, size)] if on_gpu is not None and (name, size) in on_gpu.index else None
            rows.append({"method": name, "size": int(size),
                         "cpu_seconds": float(here.loc[(name, size), "seconds"]) if (name, size) in here.index else np.nan,
                         "paper_cpu_seconds": paper_cpu,
                         "gpu_seconds": float(gpu_row.seconds) if gpu_row is not None else np.nan,
                         "paper_gpu_seconds": PAPER_RUN_TIMES.get((name, "GPU"), {}).get(size, np.nan),
                         "cpu_device": cpu_device.removeprefix("CPU: "), "gpu_device": str(gpu_row.device) if gpu_row is not None else ""})
    table = pd.DataFrame(rows)
    bm3d = table[table.method == "BM3D"].set_index("size")
    table["ratio_to_bm3d"] = table.cpu_seconds / table["size"].map(bm3d.cpu_seconds)
    table["paper_ratio_to_bm3d"] = table.paper_cpu_seconds / table["size"].map(bm3d.paper_cpu_seconds)
    return table[COLUMNS]


def format_table4(table) -> str:
    """Table IV as Markdown: the paper's source and machine, this machine, the table (a GPU column that
    reads "not measured yet" until a GPU result exists) and the findings written from it."""
    from ..analysis.run_times import describe_table_iv
    from ..evaluation.paper import PAPER_RUN_TIMES_MACHINE, PAPER_RUN_TIMES_SOURCE

    has_gpu = table.gpu_seconds.notna().any()
    gpu = f"GPU: {table.gpu_device[table.gpu_seconds.notna()].iloc[0]}" if has_gpu else \
        "GPU: not measured yet (the prepared GPU command, scripts/gpu_speed.sh, writes table4_gpu.csv)"
    lines = [f"Seconds per image at sigma 25 (median), measured here in one run on {table.cpu_device.iloc[0]}; {gpu}. "
             f"The paper's: {PAPER_RUN_TIMES_MACHINE} ({PAPER_RUN_TIMES_SOURCE}). Ratio: seconds over BM3D's at the same size.", "",
             "| method | size | CPU here | paper CPU | ratio to BM3D here | paper ratio | GPU here | paper GPU |",
             "|---|---|---|---|---|---|---|---|"]

    def cell(value, spec=".3f", missing=""):
        return f"{value:{spec}}" if value == value else missing

    for r in table.itertuples(index=False):
        gpu_cell = cell(r.gpu_seconds, ".4f", "" if has_gpu or r.method not in NETWORKS else "not measured yet")
        lines.append(f"| {r.method} | {r.size} | {cell(r.cpu_seconds, '.3f', 'not run here')} | {cell(r.paper_cpu_seconds, 'g')} | "
                     f"{cell(r.ratio_to_bm3d, '.2f')} | {cell(r.paper_ratio_to_bm3d, '.2f')} | {gpu_cell} | {cell(r.paper_gpu_seconds, 'g')} |")
    return "\n".join(lines + ["", *(f"- {s}" for s in describe_table_iv(table))]) + "\n"


def plot_table4(table):
    """Two panels: seconds per image by size on the CPU here (solid) and in the paper (hatched), log
    scale; each method's ratio to BM3D here and in the paper. About 1030 px wide at 120 dpi."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..analysis.style import OKABE_ITO, method_colour

    sizes = sorted(set(table["size"]))
    methods = list(dict.fromkeys(table.method))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.6, 3.6))
    width, used = 0.8 / (2 * len(methods)), {}
    for k, method in enumerate(methods):
        colour = method_colour(method)
        if colour in used.values():  # two methods of one family (BM3D and CBM3D): the first colour no method here has
            colour = next(c for c in OKABE_ITO.values() if c not in used.values())
        used[method] = colour
        rows = table[table.method == method].set_index("size").reindex(sizes)
        xs = np.arange(len(sizes)) + 2 * k * width
        for ax, here, paper in ((ax1, "cpu_seconds", "paper_cpu_seconds"), (ax2, "ratio_to_bm3d", "paper_ratio_to_bm3d")):
            ax.bar(xs, rows[here], width, color=colour, label=method)
            ax.bar(xs + width, rows[paper], width, color=colour, alpha=0.4, hatch="//", edgecolor=colour)
    for ax in (ax1, ax2):
        ax.set_xticks(np.arange(len(sizes)) + 0.4 - width / 2, [f"{s}x{s}" for s in sizes])
        ax.grid(alpha=0.3, axis="y")
    ax1.set(yscale="log", ylabel="seconds per image (CPU)", title="run time: here (solid), paper (hatched)")
    ax2.set(ylabel="seconds / BM3D's", title="ratio to BM3D: here (solid), paper (hatched)")
    ax2.axhline(1.0, color="black", lw=1)
    ax1.legend(fontsize=7)
    fig.tight_layout()
    return fig


def bench_table4(*, sizes=TABLE4_SIZES, repeats: int = 3, out_dir: Path | None = None, figures_dir: Path | None = None) -> str:
    """``make bench``'s Table IV section: :func:`measure_table4` in this process, the GPU column from
    ``results/table4_gpu.csv`` when present; ``table4.csv`` and ``table4.md`` in ``out_dir`` (default
    ``results/``), ``table4.png`` in ``figures_dir`` (default ``figures/``). Returns the Markdown."""
    from .. import config
    from ..files import atomic

    out_dir, figures_dir = Path(out_dir or config.RESULTS_DIR), Path(figures_dir or config.FIGURES_DIR)
    table = build_table4(measure_table4(sizes=sizes, repeats=repeats), gpu=read_gpu_inference(config.RESULTS_DIR / GPU_FILE))
    text = format_table4(table)
    atomic.save_csv(out_dir / "table4.csv", table)
    atomic.save_text(out_dir / "table4.md", text)
    atomic.save_figure(figures_dir / "table4.png", plot_table4(table))
    return text
