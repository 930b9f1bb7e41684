"""``python -m dncnn tasks``: notebook 05's table measured on every image from the shell, written to
``results/dncnn3/`` (which notebook 05 checks where it cannot rerun it) and to docs/dncnn3.md."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .. import config

TASKS = ("denoising", "super-resolution", "jpeg")


def measure_tasks(*, out_dir: str | Path | None = None, images: int | None = None, crop: int | None = None,
                  colour_images: int = 0, dncnn3: bool = True, tasks: Sequence[str] = TASKS, argv: Sequence[str] = ()):
    """Measure DnCNN-3's three tasks (and the colour row) and write the tables.

    Args:
        out_dir: folder for the tables (default ``results/dncnn3``, whose block in docs/dncnn3.md and the README's claims are then regenerated).
        images: the first N images of each set (None: all). crop: central square side (None: whole images).
        colour_images: LIVE1 images for CDnCNN-B against colour BM3D (0: none, -1: all 29).
        dncnn3: measure the DnCNN-3 table (False: the colour row only).
        tasks: DnCNN-3's tasks to run, in this order.
        argv: the command line, recorded in ``tasks_summary.json``.

    While DnCNN-3 runs, ``tasks_per_image.partial.csv`` holds the rows measured so far (a long run
    interrupted half-way keeps them); it is removed once the whole tables are written.

    Returns:
        The summary DataFrame.
    """
    import pandas as pd

    from ..evaluation import tasks as T
    from ..files import atomic

    fetch_task_inputs(tasks=tasks if dncnn3 else (), colour=bool(colour_images))  # before any work: none missing is found late
    default = out_dir is None
    out_dir = Path(out_dir or config.RESULTS_DIR / "dncnn3")
    partial = out_dir / "tasks_per_image.partial.csv"
    frames = []
    if dncnn3:
        frames.append(T.evaluate_three_tasks(T.dncnn3_denoiser(), images=images, crop=crop, tasks=tasks,
                                             on_setting=lambda rows: atomic.save_csv(partial, pd.DataFrame(rows))))
    if colour_images:
        from ..evaluation.colour import ColourBM3DDenoiser, cdncnn_denoiser

        names, loaded = T.load_task_images(T.COLOUR_SET, limit=None if colour_images < 0 else colour_images)
        frames.append(pd.DataFrame(T.evaluate_colour([cdncnn_denoiser(), ColourBM3DDenoiser()], loaded, names)))
    if not frames:
        raise ValueError("nothing to measure: give dncnn3=True or colour_images != 0")
    per_image = pd.concat(frames, ignore_index=True)
    summary = T.summarize_tasks(per_image)
    T.write_task_tables(per_image, summary, out_dir=out_dir, extra={"argv": list(argv)})
    atomic.save_csv(out_dir / "tasks_vs_paper.csv", T.compare_with_paper(summary))
    partial.unlink(missing_ok=True)
    if default:
        from ..analysis.report import update_readme_tasks

        update_readme_tasks()
    return summary


def fetch_task_inputs(*, tasks: Sequence[str] = TASKS, colour: bool = False) -> None:
    """Fetch and verify every set and model the table reads before it measures anything: the sets of
    DnCNN-3's ``tasks`` and its weights (none when ``tasks`` is empty), and with ``colour`` LIVE1 and
    the authors' CDnCNN-B.

    Raises:
        DataError: naming the first file that cannot be had, and the fix.
    """
    from ..data.datasets import fetch_datasets
    from ..evaluation.tasks import COLOUR_SET, SETS
    from ..model.reference import fetch_reference_weights
    from ..restoration.models import CDNCNN

    sets = [name for task in tasks for name in SETS[task]] + ([COLOUR_SET] if colour else [])
    if sets:
        fetch_datasets(list(dict.fromkeys(sets)), progress=False)
    for key in (["dncnn3"] if tasks else []) + ([CDNCNN] if colour else []):  # catalogue keys
        fetch_reference_weights(key)
