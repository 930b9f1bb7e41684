"""The tables of DnCNN-3's three tasks: summaries beside the paper's Table V, the check of a rerun
against the committed full table, and the files notebook 05 and ``python -m dncnn tasks`` write.
"""

from __future__ import annotations

import numpy as np

from ..paper import PAPER_BICUBIC, PAPER_DNCNN3

DNCNN3_PROTOCOL = (
    "The authors' DnCNN-3 protocol (Demo_test_DnCNN3.m) with MATLAB's imresize (bicubic, antialiased "
    "when shrinking), rgb2ycbcr and IJG JPEG quality ported in dncnn/data/matlab.py. Denoising: BSD68 with "
    "numpy Gaussian noise seeded per image, output rounded to uint8. Super-resolution: Y of rgb2ycbcr "
    "(grey bridge.bmp at full range), unrounded, ceil(scale) pixels shaved; the bicubic row is the "
    "network's input. JPEG: Y (uint8) encoded at quality Q and decoded, output rounded to uint8; the "
    "JPEG row is the decoded image. SSIM: Wang et al.'s ssim_index (11x11 Gaussian, sigma 1.5, valid). "
    "Colour row: CDnCNN-B and colour BM3D (bm3d_rgb, one thread per image) on RGB at sigma 25, "
    "rounded to uint8, PSNR over all channels, SSIM averaged over channels. BSD100 and Urban100 "
    "(not in the authors' repository) are SelfExSR's HR files (BSD100 480x321, Urban100 full size), "
    "scored as Set5 and Set14; the paper gives their PSNR only."
)


# How far a rerun row may lie from the committed table. Another machine or backend may round a few
# pixels of a network's output the other way, each worth about 1e-5 dB on a 256x256 image; a change
# of protocol (noise, rounding, resize, crop) moves a row by far more than this.
TABLE_PSNR_TOLERANCE = 0.01  # dB
TABLE_SSIM_TOLERANCE = 1e-4


def check_against_table(per_image, table, *, keys=("task", "dataset", "level", "method", "image"),
                        psnr_tolerance: float = TABLE_PSNR_TOLERANCE, ssim_tolerance: float = TABLE_SSIM_TOLERANCE):
    """Rows measured here beside the same rows of a committed per-image table; an error where they differ.

    Args:
        per_image: DataFrame of :func:`evaluate_three_tasks` / :func:`evaluate_colour` rows.
        table: the committed table (a DataFrame, or the path of its CSV).
        psnr_tolerance, ssim_tolerance: the largest difference allowed (dB; SSIM units):
            :data:`TABLE_PSNR_TOLERANCE` (0.01 dB) and :data:`TABLE_SSIM_TOLERANCE` (1e-4).

    Returns:
        DataFrame with ``keys``, ``psnr``, ``psnr_table``, ``psnr_diff`` (here minus table) and the
        same for SSIM, one row per measured row.

    Raises:
        ValueError: a measured row has no counterpart in the table (naming the first one), or differs
            from it by more than the tolerance (naming how many and the furthest).
    """
    import pandas as pd

    table = pd.read_csv(table) if not isinstance(table, pd.DataFrame) else table
    keys = list(keys)
    merged = per_image[keys + ["psnr", "ssim"]].merge(table[keys + ["psnr", "ssim"]], on=keys, how="left",
                                                      suffixes=("", "_table"), validate="one_to_one")
    missing = merged[merged.psnr_table.isna()]
    if len(missing):
        raise ValueError(f"{len(missing)} measured rows are not in the table, e.g. {missing.iloc[0][keys].to_dict()}")
    merged["psnr_diff"] = merged.psnr - merged.psnr_table
    merged["ssim_diff"] = merged.ssim - merged.ssim_table
    beyond = merged[~((merged.psnr_diff.abs() <= psnr_tolerance) & (merged.ssim_diff.abs() <= ssim_tolerance))]
    if len(beyond):
        worst = beyond.loc[beyond.psnr_diff.abs().fillna(np.inf).idxmax()]
        raise ValueError(f"{len(beyond)} of {len(merged)} rows differ from the committed table by more than "
                         f"{psnr_tolerance} dB PSNR or {ssim_tolerance} SSIM, e.g. {worst[keys].to_dict()}: PSNR "
                         f"{worst.psnr:.4f} dB here, {worst.psnr_table:.4f} dB in the table; SSIM {worst.ssim:.5f} here, "
                         f"{worst.ssim_table:.5f} in the table")
    return merged


def summarize_tasks(per_image, *, reference: bool = True):
    """Mean PSNR/SSIM per (task, dataset, level, method), each setting followed by the paper's DnCNN-3
    row (and, for super-resolution, the published bicubic row), labelled ``paper (reference)``; a
    paper row without SSIM (BSD100, Urban100: PSNR only) has SSIM NaN.

    Returns:
        DataFrame ``task, dataset, level, method, source, images, psnr, ssim``.
    """
    import pandas as pd

    keys = ["task", "dataset", "level", "method"]
    measured = (per_image.groupby(keys, sort=False)
                .agg(images=("image", "count"), psnr=("psnr", "mean"), ssim=("ssim", "mean")).reset_index())
    measured.insert(4, "source", "measured")
    out = []
    for (task, dataset, level), group in measured.groupby(["task", "dataset", "level"], sort=False):
        out.append(group)
        if not reference:
            continue
        refs = []
        if (task, dataset, int(level)) in PAPER_DNCNN3:
            refs.append(("DnCNN-3 (paper)", PAPER_DNCNN3[task, dataset, int(level)]))
        if task == "super-resolution" and (dataset, int(level)) in PAPER_BICUBIC:
            refs.append(("bicubic, rounded Y (published)", PAPER_BICUBIC[dataset, int(level)]))
        for method, (psnr, ssim) in refs:
            out.append(pd.DataFrame([{"task": task, "dataset": dataset, "level": level, "method": method,
                                      "source": "paper (reference)", "images": np.nan, "psnr": psnr,
                                      "ssim": np.nan if ssim is None else ssim}]))
    return pd.concat(out, ignore_index=True)


def format_tasks_markdown(summary) -> str:
    """The summary as a Markdown table (PSNR to 2 decimals, SSIM to 4; an SSIM the paper does not give: "-")."""
    lines = ["| task | dataset | level | method | source | images | PSNR (dB) | SSIM |", "|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples(index=False):
        label = {"denoising": "sigma {:g}", "colour denoising": "sigma {:g}", "super-resolution": "x{:g}",
                 "jpeg": "q {:g}"}.get(r.task, "{:g}").format(r.level)
        images = "" if np.isnan(r.images) else f"{int(r.images)}"
        lines.append(f"| {r.task} | {r.dataset} | {label} | {r.method} | {r.source} | {images} | {r.psnr:.2f} | {'-' if np.isnan(r.ssim) else f'{r.ssim:.4f}'} |")
    return "\n".join(lines) + "\n"


def compare_with_paper(summary, *, method: str | None = None) -> "object":
    """Measured minus paper PSNR for every DnCNN-3 row (``method``: default its catalogue name) that
    has a paper value: DataFrame ``task, dataset, level, images, psnr, paper_psnr, delta_psnr, ssim, paper_ssim``
    (``paper_ssim`` NaN where the paper gives PSNR only)."""
    import pandas as pd

    from ...model.catalog import get_entry

    method = method or get_entry("dncnn3").name
    rows = []
    for r in summary[(summary.method == method) & (summary.source == "measured")].itertuples(index=False):
        key = (r.task, r.dataset, int(r.level))
        if key in PAPER_DNCNN3:
            psnr, ssim = PAPER_DNCNN3[key]
            rows.append({"task": r.task, "dataset": r.dataset, "level": r.level, "images": r.images, "psnr": r.psnr,
                         "paper_psnr": psnr, "delta_psnr": r.psnr - psnr, "ssim": r.ssim,
                         "paper_ssim": np.nan if ssim is None else ssim})
    return pd.DataFrame(rows)


def write_task_tables(per_image, summary, *, out_dir, extra: dict | None = None) -> dict:
    """Write ``tasks_per_image.csv``, ``tasks_summary.csv``, ``tasks_summary.md`` (with the protocol)
    and ``tasks_summary.json`` into ``out_dir``; return their paths."""
    from pathlib import Path

    from ...files import atomic, provenance

    out_dir = Path(out_dir)
    facts = provenance.provenance()
    machine = provenance.describe_machine(facts)
    return {
        "per_image": atomic.save_csv(out_dir / "tasks_per_image.csv", per_image),
        "summary_csv": atomic.save_csv(out_dir / "tasks_summary.csv", summary),
        "summary_md": atomic.save_text(out_dir / "tasks_summary.md", format_tasks_markdown(summary) + "\n" + DNCNN3_PROTOCOL + "\n\n" + machine + "\n"),
        "summary_json": atomic.save_json(out_dir / "tasks_summary.json", {"protocol": DNCNN3_PROTOCOL, **(extra or {}), **facts}),
    }


def check_task_image_counts(per_image, *, images: int | None = None, colour_images: int | None = None) -> int:
    """Every task setting of ``per_image`` holds the first ``images`` files of its set (every file with
    None), and every colour row the first ``colour_images`` (-1 or None: all): see
    :func:`dncnn.evaluation.protocol.check_image_counts`. Returns the number of settings checked."""
    from ..protocol import check_image_counts

    keys = ("task", "dataset", "level", "method")
    colour = per_image["task"] == "colour denoising"
    colour_images = None if colour_images is None or colour_images < 0 else colour_images
    return (check_image_counts(per_image[~colour], images=images, keys=keys)
            + check_image_counts(per_image[colour], images=colour_images, keys=keys))


def list_table_settings(per_image) -> list[tuple[str, str, float]]:
    """The ``(task, dataset, level)`` settings a per-image table holds, in the order they first appear
    (``level`` a float)."""
    if per_image is None or not len(per_image):
        return []
    return list(dict.fromkeys(zip(per_image.task, per_image.dataset, per_image.level.astype(float))))


def merge_task_rows(kept, measured, *, order=()):
    """One per-image table from the rows a table already held and rows measured since, kept rows
    unchanged: each setting's rows together, settings in ``order`` (``(task, dataset, level)``) first,
    then any other in the order it appears (kept before measured).

    Args:
        kept, measured: per-image DataFrames (``task, dataset, level, method, image, ...``) or None.
        order: the settings in the order the table lists them (:func:`list_task_jobs`).

    Raises:
        ValueError: a setting has rows in both ``kept`` and ``measured`` (it would be counted twice).
    """
    import pandas as pd

    frames = [frame for frame in (kept, measured) if frame is not None and len(frame)]
    if not frames:
        return pd.DataFrame(columns=["task", "dataset", "level", "method", "image", "psnr", "ssim", "seconds"])
    twice = set(list_table_settings(kept)) & set(list_table_settings(measured))
    if twice:
        raise ValueError(f"settings both kept and measured again: {sorted(twice)}")
    rows = pd.concat(frames, ignore_index=True)
    settings = list(zip(rows.task, rows.dataset, rows.level.astype(float)))
    order = [(task, dataset, float(level)) for task, dataset, level in order]
    rank = {setting: i for i, setting in enumerate(dict.fromkeys([*order, *settings]))}
    ranks = np.array([rank[(task, dataset, float(level))] for task, dataset, level in settings])
    return rows.iloc[np.argsort(ranks, kind="stable")].reset_index(drop=True)
