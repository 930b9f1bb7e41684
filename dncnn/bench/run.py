"""``make bench`` and ``python -m dncnn bench cli``: run the measurements (:mod:`dncnn.bench.measure`), write their
tables (:mod:`dncnn.bench.tables`) and figure, regenerate the README's blocks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..runtime.device import cpu_model
from .measure import (SIZES, dncnn_flops_per_pixel, measure_matmul_gflops, run_bm3d, run_denoise_cli, run_in_backend,
                      run_patch_preparation)
from .tables import add_ratios, format_bench, format_denoise_cli, write_bench


def run_all(*, sizes: dict = SIZES, repeats: int = 3, train_seconds: float = 20.0, patch_images: int | None = None,
            out_dir: Path | None = None) :
    """The whole benchmark; returns (and writes, if ``out_dir``) one row per measurement. Train400 (for
    the patch preparation) is fetched and read first: a missing set fails before minutes of timing."""
    from ..data import datasets

    datasets.fetch_datasets(["Train400"], progress=False)  # the data first, before Keras is imported
    _, images = datasets.load_dataset("Train400", limit=patch_images)

    import importlib.util

    import pandas as pd

    from ..files import provenance
    from ..model.network import build_dncnn

    rows = [{"task": "ceiling", "method": "numpy float32 matmul 2048^3", "size": "", "pixels": 0,
             "seconds": np.nan, "gflops": measure_matmul_gflops()}]
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "weights.npz"
        import keras

        keras.utils.set_random_seed(0)
        model = build_dncnn(17, 64, batch_norm=False, seed=0)
        np.savez(weights, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
        for backend in ("tensorflow", "jax"):
            if importlib.util.find_spec(backend) is None:
                rows.append({"task": "inference", "method": f"keras-{backend}", "size": "skipped: not installed"})
                continue
            rows += run_in_backend(backend, "run_keras_inference", weights=str(weights), sizes=sizes, repeats=repeats)
            train = run_in_backend(backend, "measure_train_throughput", batch_size=32, seconds=train_seconds)
            rows.append({"task": "training", "method": f"keras-{'tf' if backend == 'tensorflow' else backend}",
                         "size": "batch 32 of 40x40", "pixels": 32 * 1600, "seconds": 1 / train["steps_per_second"]})
        if importlib.util.find_spec("torch") is not None:
            rows += run_in_backend("tensorflow", "run_torch", weights=str(weights), sizes=sizes, repeats=repeats, train_seconds=train_seconds)
        else:
            rows.append({"task": "inference", "method": "pytorch", "size": "skipped: torch is not importable"})
    rows += run_bm3d(sizes=sizes, repeats=max(1, repeats - 1))
    rows += run_patch_preparation(images)
    table = pd.DataFrame(rows)
    table = add_ratios(table, flops_per_pixel=dncnn_flops_per_pixel())
    if out_dir is not None:
        write_bench(table, out_dir=Path(out_dir), machine=cpu_model(), extra=provenance.provenance())
    return table


def bench_denoise_cli(*, images: int = 8, out_dir: Path | None = None) -> str:
    """``python -m dncnn bench cli``: :func:`run_denoise_cli`, written to ``bench_cli.csv`` and
    ``bench_cli.md`` in ``out_dir`` (default ``results/``, whose README block is then regenerated);
    returns the Markdown."""
    import pandas as pd

    from .. import config
    from ..files import atomic

    rows = run_denoise_cli(images=images)
    text = format_denoise_cli(rows, machine=cpu_model())
    out = Path(out_dir or config.RESULTS_DIR)
    atomic.save_csv(out / "bench_cli.csv", pd.DataFrame(rows))
    atomic.save_text(out / "bench_cli.md", text)
    if out_dir is None:
        from ..analysis.report import update_readme_bench_cli

        update_readme_bench_cli()
    return text


def bench_training(*, rounds: int = 4, out_dir: Path | None = None) -> str:
    """``python -m dncnn bench training`` and part of ``make bench``: the CPU training sweep
    (:func:`dncnn.bench.training.sweep_cpu_training`) written to ``bench_training.csv`` and
    ``bench_training.md`` in ``out_dir`` (default ``results/``); returns the Markdown."""
    from .. import config
    from ..files import atomic
    from .training import format_training_sweep, sweep_cpu_training

    table = sweep_cpu_training(rounds=rounds)
    text = format_training_sweep(table, machine=cpu_model())
    out = Path(out_dir or config.RESULTS_DIR)
    atomic.save_csv(out / "bench_training.csv", table)
    atomic.save_text(out / "bench_training.md", text)
    return text


def bench_everything(*, repeats: int = 3, train_seconds: float = 20.0, out_dir: Path | None = None) -> str:
    """``make bench``: :func:`run_all`, its tables in ``out_dir`` (default ``results/``, whose README
    block is then regenerated) and its figure ``bench.png`` beside them (default ``figures/``), then
    the paper's Table IV re-derived (:func:`dncnn.bench.table4.bench_table4`: ``table4.csv``, ``.md``
    and ``table4.png`` in the same folders), then the CPU training sweep (:func:`bench_training`:
    ``bench_training.csv`` and ``.md``); returns the Markdown of the three."""
    from .. import config
    from ..analysis import plots
    from ..files import atomic

    from .table4 import bench_table4

    table = run_all(repeats=repeats, train_seconds=train_seconds, out_dir=Path(out_dir or config.RESULTS_DIR))
    atomic.save_figure(Path(out_dir or config.FIGURES_DIR) / "bench.png", plots.plot_bench(table))
    table4 = bench_table4(repeats=repeats, out_dir=out_dir, figures_dir=out_dir)
    training = bench_training(out_dir=out_dir)
    if out_dir is None:
        from ..analysis.report import update_readme_bench

        update_readme_bench()
    return (format_bench(table, machine=cpu_model()) + "\n## Table IV\n\n" + table4
            + "\n## Training configurations\n\n" + training)
