"""``python -m dncnn tasks``: notebook 05's table measured on every image from the shell, written to
``results/dncnn3/`` (which notebook 05 checks where it cannot rerun it) and to docs/dncnn3.md.

The command is incremental: it reads the per-image table its folder already holds (and the partial
file of an interrupted run), measures only the ``(task, dataset, level)`` settings missing from it
and writes the whole table again, the rows it kept unchanged. ``tasks_summary.json`` lists every
run that added settings (``runs``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from .. import config

TASKS = ("denoising", "super-resolution", "jpeg")
COLOUR_TASK = "colour denoising"


def measure_tasks(*, out_dir: str | Path | None = None, images: int | None = None, crop: int | None = None,
                  colour_images: int = 0, dncnn3: bool = True, tasks: Sequence[str] = TASKS, argv: Sequence[str] = (),
                  resume: bool = True, sets: Sequence[str] | None = None, levels: Sequence[float] | None = None):
    """Measure DnCNN-3's three tasks (and the colour row) where the folder's table lacks them, and write the tables.

    Args:
        out_dir: folder for the tables (default ``results/dncnn3``, whose block in docs/dncnn3.md and the README's claims are then regenerated).
        images: the first N images of each set (None: all). crop: central square side (None: whole images).
        colour_images: LIVE1 images for CDnCNN-B against colour BM3D (0: none, -1: all 29); measured
            only where the table holds no colour row (one it holds is kept).
        dncnn3: measure the DnCNN-3 table (False: the colour row only).
        tasks: DnCNN-3's tasks to run, in this order.
        argv: the command line, recorded in ``tasks_summary.json``.
        resume: keep the settings ``out_dir/tasks_per_image.csv`` (and an interrupted run's partial
            file) already hold and measure only the others (False: measure everything anew).
        sets, levels: measure only the missing settings of these sets (e.g. ``("Urban100",)``) and
            levels (sigma, scale or quality; None: all); the table keeps every other setting it holds.

    While DnCNN-3 runs, ``tasks_per_image.partial.csv`` holds the rows measured since the last whole
    table (an interrupted run keeps them and the next one resumes from them); it is removed once the
    whole tables are written.

    Returns:
        The summary DataFrame.

    Raises:
        ValueError: nothing to measure or keep, or the folder's table was made with other ``images``
            or ``crop`` (mixing them would average unlike rows).
    """
    import pandas as pd

    from ..evaluation import tasks as T
    from ..files import atomic

    fetch_task_inputs(tasks=tasks if dncnn3 else (), colour=bool(colour_images))  # before any work: none missing is found late
    default = out_dir is None
    out_dir = Path(out_dir or config.RESULTS_DIR / "dncnn3")
    partial = out_dir / "tasks_per_image.partial.csv"
    selection = {"images": images, "crop": crop}
    kept = read_kept_rows(out_dir, selection=selection) if resume else None
    runs = read_task_runs(out_dir) if resume else []
    done = set(T.list_table_settings(kept))
    order = T.list_task_jobs(tasks=TASKS) + [(COLOUR_TASK, T.COLOUR_SET, T.COLOUR_SIGMA)]
    start, frames, started = time.perf_counter(), [], _run_facts()  # the commit measured, not the one at the end
    jobs = T.list_task_jobs(tasks=tasks)
    todo = [job for job in jobs if job not in done and (sets is None or job[1] in sets)
            and (levels is None or job[2] in {float(level) for level in levels})]
    if dncnn3 and todo:
        frames.append(T.evaluate_three_tasks(
            T.dncnn3_denoiser(), images=images, crop=crop, tasks=tasks, skip=set(jobs) - set(todo),
            on_setting=lambda rows: atomic.save_csv(partial, T.merge_task_rows(kept, pd.DataFrame(rows), order=order))))
    if colour_images and not any(task == COLOUR_TASK for task, _, _ in done):
        from ..evaluation.colour import ColourBM3DDenoiser, cdncnn_denoiser

        names, loaded = T.load_task_images(T.COLOUR_SET, limit=None if colour_images < 0 else colour_images)
        frames.append(pd.DataFrame(T.evaluate_colour([cdncnn_denoiser(), ColourBM3DDenoiser()], loaded, names)))
    measured = pd.concat(frames, ignore_index=True) if frames else None
    if kept is None and measured is None:
        raise ValueError("nothing to measure: give dncnn3=True or colour_images != 0")
    per_image = T.merge_task_rows(kept, measured, order=order)
    colour = per_image.task == COLOUR_TASK
    T.check_task_image_counts(per_image if colour_images else per_image[~colour], images=images,
                              colour_images=None if colour_images < 0 else colour_images)
    recorded = {tuple(setting) for run in runs for setting in run["settings"]}
    fresh = set(T.list_table_settings(measured))
    earlier = [list(s) for s in T.list_table_settings(kept) if s not in recorded]  # an unfinished run's partial file
    if earlier:
        runs.append({"argv": None, "settings": earlier, "seconds": None, "created": None, "git_commit": None, "device": None,
                     "note": "kept from the partial file of an earlier run that had not finished"})
    added = [list(setting) for setting in T.list_table_settings(per_image) if setting in fresh]
    if added:
        runs.append({"argv": list(argv), "settings": added, "seconds": round(time.perf_counter() - start, 1),
                     **started, "created": _run_facts()["created"]})
    summary = T.summarize_tasks(per_image)
    T.write_task_tables(per_image, summary, out_dir=out_dir, extra={"argv": list(argv), "selection": selection, "runs": runs})
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


def read_kept_rows(out_dir: str | Path, *, selection: dict | None = None):
    """The per-image rows a tasks folder already holds: ``tasks_per_image.csv`` and the settings of an
    interrupted run's ``tasks_per_image.partial.csv`` that the table lacks (None where neither exists).

    Args:
        out_dir: the folder :func:`measure_tasks` writes.
        selection: ``{"images", "crop"}`` of the run about to add rows; the folder's own
            (``tasks_summary.json``; whole images of every set for a table written before it recorded
            one) must be the same.

    Returns:
        A per-image DataFrame (values exactly as written: a CSV float reads back to the same float) or None.

    Raises:
        ValueError: the folder's table was made with another selection of images.
    """
    import json

    import pandas as pd

    from ..evaluation import tasks as T

    out_dir = Path(out_dir)
    table, partial = out_dir / "tasks_per_image.csv", out_dir / "tasks_per_image.partial.csv"
    frames = [pd.read_csv(path) for path in (table, partial) if path.exists()]
    if not frames:
        return None
    facts = out_dir / "tasks_summary.json"
    held = json.loads(facts.read_text()).get("selection") if facts.exists() else None
    held = held or {"images": None, "crop": None}
    if selection is not None and held != selection:
        raise ValueError(f"{out_dir} holds a table of {held} and this run asks for {selection}: give another out_dir, "
                         f"or resume=False (--no-resume) to measure everything anew")
    kept = frames[0]
    if len(frames) == 2:
        known = set(T.list_table_settings(kept))
        extra = frames[1][[s not in known for s in zip(frames[1].task, frames[1].dataset, frames[1].level.astype(float))]]
        kept = T.merge_task_rows(kept, extra)
    return kept


def read_task_runs(out_dir: str | Path) -> list[dict]:
    """The runs that made a tasks folder's table (``runs`` of its ``tasks_summary.json``); a table
    written before that list existed counts as one run that measured every setting of its
    ``tasks_per_image.csv`` (an interrupted run's partial file aside)."""
    import json

    import pandas as pd

    from ..evaluation import tasks as T

    facts, table = Path(out_dir) / "tasks_summary.json", Path(out_dir) / "tasks_per_image.csv"
    if not facts.exists() or not table.exists():
        return []
    saved = json.loads(facts.read_text())
    if "runs" in saved:
        return list(saved["runs"])
    return [{"argv": saved.get("argv", []), "settings": [list(s) for s in T.list_table_settings(pd.read_csv(table))],
             "seconds": None, **{key: saved.get(key) for key in ("created", "git_commit", "device")}}]


def _run_facts() -> dict:
    from ..files import provenance

    facts = provenance.provenance()
    return {key: facts.get(key) for key in ("created", "git_commit", "device")}
