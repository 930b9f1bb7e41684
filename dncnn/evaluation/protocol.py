"""The evaluation protocol of the authors, and the tables of notebook 04.

Protocol: image ``i`` of a set gets Gaussian noise from ``default_rng([seed, i])`` scaled by
sigma/255 (:func:`dncnn.data.noise.add_gaussian_noise`); the noisy input is **not** clipped; each
estimate is clipped to [0, 1], scaled by 255 and rounded to uint8 before PSNR (peak 255) and SSIM
(Wang et al.: Gaussian window sigma 1.5, no sample covariance).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np

from ..data.datasets import crop_center
from ..data.noise import add_gaussian_noise, to_float
from .metrics import compute_psnr, compute_ssim
from .paper import PAPER_PSNR, PAPER_SET12

DENOISING_PROTOCOL = (
    "Noise: image i of a set gets numpy default_rng([seed, i]).standard_normal scaled by sigma/255 "
    "(the same pattern at every sigma); the noisy input is not clipped. Every output is clipped to "
    "[0, 1], scaled by 255 and rounded to uint8 before PSNR (peak 255, skimage) and SSIM (skimage, "
    "Gaussian window sigma 1.5, no sample covariance, as Wang et al. 2004)."
)

def evaluate_denoisers(
    denoisers: Sequence,
    images: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    dataset: str,
    sigma: float,
    seed: int = 0,
    progress: bool = True,
) -> list[dict]:
    """Run every denoiser on every image at one noise level; one row per (image, denoiser).

    Args:
        denoisers: objects with ``name`` and ``__call__(noisy, sigma)`` (:mod:`dncnn.evaluation.denoisers`);
            one that has ``denoise_many`` (BM3D) gets all the images at once and may use several
            processes. Every result is independent of that parallelism.
        images: HxW uint8 clean images in [0, 255].

    Returns:
        Rows with ``dataset, sigma, method, weights, image, psnr, ssim, seconds``, image by image,
        each image's rows in the order of ``denoisers``; ``weights`` is the denoiser's ``weights``
        attribute (where a network's weights come from; empty for BM3D and the noisy input).
    """
    noisies = [add_gaussian_noise(clean, sigma, seed=seed, index=index) for index, clean in enumerate(images)]
    bar = None
    if progress:
        from ..runtime.progress import progress_bar

        bar = progress_bar(total=len(images) * len(denoisers), desc=f"{dataset} sigma={sigma:g}", unit="image")
    scores = {}
    try:
        for k, denoiser in enumerate(denoisers):
            for index, (estimate, seconds) in enumerate(run_denoiser(denoiser, noisies, sigma, bar=bar)):
                clean = images[index]
                if estimate.shape != clean.shape:
                    raise ValueError(f"{denoiser.name} returned shape {estimate.shape} for a {clean.shape} image")
                scores[index, k] = {"psnr": compute_psnr(clean, estimate), "ssim": compute_ssim(clean, estimate),
                                    "seconds": seconds}
    finally:
        if bar is not None:
            bar.close()
    return [
        {"dataset": dataset, "sigma": float(sigma), "method": denoiser.name, "weights": getattr(denoiser, "weights", ""),
         "image": name, **scores[index, k]}
        for index, name in enumerate(names) for k, denoiser in enumerate(denoisers)
    ]


def run_denoiser(denoiser, noisies: list[np.ndarray], sigma: float, *, bar=None):
    """``(estimate, seconds)`` for every noisy image, in order (``denoise_many`` when the denoiser has it)."""
    if hasattr(denoiser, "denoise_many"):
        yield from denoiser.denoise_many(noisies, sigma, progress=bar.update if bar is not None else None)
        return
    for noisy in noisies:
        start = time.perf_counter()
        estimate = denoiser(noisy, sigma)
        yield estimate, time.perf_counter() - start
        if bar is not None:
            bar.update(1)


def summarize(per_image, *, reference: bool = True, lead: tuple[str, float] | None = ("BSD68", 25.0)):
    """Mean PSNR/SSIM per (dataset, sigma, method), plus the paper's labelled reference rows.

    Args:
        per_image: DataFrame of :func:`evaluate_denoisers` rows.
        lead: the (dataset, sigma) whose rows come first (the paper's headline setting); the
            others follow by dataset and sigma. Within each, the measured rows keep the order of
            the denoisers, then the paper's rows.

    Returns:
        DataFrame with ``dataset, sigma, method, weights, source, images, psnr, ssim``; ``source`` is
        ``measured`` or ``paper (reference)``; ``weights`` says which networks were trained in this
        run and which were loaded (empty for BM3D, the noisy input and the paper's rows).
    """
    import pandas as pd

    # tables written before the column existed have none; read from CSV, empty cells are NaN
    per_image = per_image.assign(weights=per_image.get("weights", "")).fillna({"weights": ""})
    measured = (
        per_image.groupby(["dataset", "sigma", "method"], sort=False)
        .agg(weights=("weights", "first"), images=("image", "count"), psnr=("psnr", "mean"), ssim=("ssim", "mean"))
        .reset_index()
    )
    measured.insert(4, "source", "measured")
    frames = [measured]
    if reference:
        rows = []
        for dataset, sigma in measured[["dataset", "sigma"]].drop_duplicates().itertuples(index=False):
            for (ref_set, method), values in PAPER_PSNR.items():
                if ref_set == dataset and int(sigma) in values:
                    rows.append({"dataset": dataset, "sigma": sigma, "method": f"{method} (paper)", "weights": "",
                                 "source": "paper (reference)", "images": np.nan,
                                 "psnr": values[int(sigma)], "ssim": np.nan})
        frames.append(pd.DataFrame(rows))
    table = pd.concat(frames, ignore_index=True)
    # each dataset and sigma together, measured rows first, then the paper's; the lead setting first
    table["_lead"] = [(d, float(s)) != (lead[0], float(lead[1])) if lead else True for d, s in zip(table.dataset, table.sigma)]
    table = table.sort_values(["_lead", "dataset", "sigma"], kind="stable", ignore_index=True)
    return table.drop(columns="_lead")


def check_summary_means(per_image, summary, *, keys: Sequence[str] = ("dataset", "sigma", "method"),
                        tolerance: float = 1e-9) -> int:
    """Check that every measured row of ``summary`` is the mean of its images in ``per_image``.

    The means are recomputed here one group at a time (``math.fsum`` over the rows, not pandas'
    ``groupby``), so the check does not share code with :func:`summarize` or
    :func:`dncnn.evaluation.tasks.summarize_tasks`; it also holds for tables read back from CSV.

    Args:
        per_image: DataFrame of per-image rows (``keys``, ``image``, ``psnr``, ``ssim``).
        summary: DataFrame with ``keys``, ``source``, ``images``, ``psnr``, ``ssim``; rows whose
            ``source`` is not ``measured`` (the paper's reference rows) are not checked.
        keys: the columns a summary row is grouped by (notebook 05's tables: task, dataset, level, method).
        tolerance: largest allowed difference, in dB for PSNR and in SSIM units.

    Returns:
        The number of summary rows checked.

    Raises:
        ValueError: naming the first row whose mean, image count or presence differs.
    """
    import math

    groups: dict[tuple, list] = {}
    for row in per_image[list(keys) + ["psnr", "ssim"]].itertuples(index=False):
        groups.setdefault(_group_key(row[:len(keys)]), []).append((row[-2], row[-1]))
    measured = summary[summary["source"] == "measured"]
    seen = set()
    for row in measured[list(keys) + ["images", "psnr", "ssim"]].itertuples(index=False):
        key = _group_key(row[:len(keys)])
        values = groups.get(key)
        if values is None:
            raise ValueError(f"summary row {dict(zip(keys, key))} has no per-image rows")
        seen.add(key)
        count, psnr, ssim = row[-3:]
        if count != len(values):
            raise ValueError(f"summary row {dict(zip(keys, key))}: {float(count):g} images, the per-image table has {len(values)}")
        for name, got, column in (("psnr", psnr, 0), ("ssim", ssim, 1)):
            mean = math.fsum(v[column] for v in values) / len(values)
            if not abs(float(got) - mean) <= tolerance:
                raise ValueError(f"summary row {dict(zip(keys, key))}: {name} is {got}, the mean of its {len(values)} "
                                 f"images is {mean}")
    missing = [key for key in groups if key not in seen]
    if missing:
        raise ValueError(f"{len(missing)} groups of per-image rows have no summary row, e.g. {dict(zip(keys, missing[0]))}")
    return len(seen)


def check_image_counts(per_image, *, images: int | None = None, keys: Sequence[str] = ("dataset", "sigma", "method")) -> int:
    """Check that every setting of ``per_image`` (a group of ``keys``) holds the images it should: the
    first ``images`` files of its set (every file with ``images=None``) in the order of the set's
    SHA-256 manifest (:func:`dncnn.data.datasets.list_files`), each once. The manifest, not the
    evaluation code, says how many images a set has (BSD68 68, Set12 12, ...).

    Args:
        per_image: DataFrame of per-image rows with ``keys`` and ``image`` (a file name); ``keys``
            must hold ``dataset``.
        images: how many images of each set the run asked for (a profile's ``eval_images``); None: all.

    Returns:
        The number of settings checked.

    Raises:
        ValueError: naming the first setting with an image missing, extra or repeated.
    """
    from ..data.datasets import list_files

    if "dataset" not in keys:
        raise ValueError(f"keys must hold 'dataset'. Received: keys={tuple(keys)}")
    groups: dict[tuple, list] = {}
    for row in per_image[list(keys) + ["image"]].itertuples(index=False):
        groups.setdefault(_group_key(row[:len(keys)]), []).append(str(row[-1]))
    at = list(keys).index("dataset")
    for key, names in groups.items():
        files = [Path(rel).name for rel in list_files([key[at]])]
        expected = files[:images] if images is not None else files
        setting = dict(zip(keys, key))
        if len(set(names)) != len(names):
            raise ValueError(f"setting {setting}: an image appears more than once in the per-image table")
        if names != expected:
            missing = [n for n in expected if n not in names]
            extra = [n for n in names if n not in expected]
            raise ValueError(f"setting {setting}: {len(names)} images where the run asked for {len(expected)} of "
                             f"{key[at]}'s {len(files)} (missing {missing[:3]}, extra {extra[:3]}, or out of order)")
    return len(groups)


def _group_key(values) -> tuple:
    """A hashable key of a row's grouping values; numbers as float, so 25 and 25.0 (CSV) are one sigma."""
    return tuple(float(v) if isinstance(v, (int, float, np.integer, np.floating)) else str(v) for v in values)


AUTHORS_TOLERANCE_DB = 0.05  # numpy's noise is not MATLAB's: whole-set means differ from the paper by up to 0.02 dB


def check_authors_weights(summary, *, tolerance_db: float = AUTHORS_TOLERANCE_DB) -> int:
    """Check that the authors' released weights, run through this protocol on whole sets, land on the
    paper's numbers: every measured ``"DnCNN-S authors' weights"`` / ``"DnCNN-B authors' weights"`` row
    whose (dataset, sigma) has a paper value is within ``tolerance_db`` of it.

    A test of the protocol itself (noise, no clipping of the noisy input, rounding, PSNR); meaningful
    only when the evaluation covered every image uncropped (notebook 04 calls it then).

    Returns:
        The number of rows compared.

    Raises:
        ValueError: naming every row further than ``tolerance_db`` from the paper.
    """
    from ..model.catalog import AUTHORS, find_entry

    compared, off = 0, []
    for r in summary[summary["source"] == "measured"].itertuples(index=False):
        entry = find_entry(str(r.method))
        if entry is None or entry.source != AUTHORS:
            continue
        paper = PAPER_PSNR.get((r.dataset, entry.paper_method), {}).get(int(r.sigma))
        if paper is None:
            continue
        compared += 1
        if not abs(r.psnr - paper) <= tolerance_db:
            off.append(f"{r.method} on {r.dataset} at sigma {r.sigma:g}: {r.psnr:.3f} dB, the paper {paper:.2f} dB")
    if off:
        raise ValueError(f"the authors' weights miss the paper by more than {tolerance_db} dB, so the protocol differs "
                         f"from theirs: " + "; ".join(off))
    return compared


def format_summary_markdown(summary) -> str:
    """The summary as a Markdown table (PSNR to 2 decimals, SSIM to 4)."""
    lines = ["| dataset | sigma | method | weights | source | images | PSNR (dB) | SSIM |", "|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples(index=False):
        images = "" if np.isnan(r.images) else f"{int(r.images)}"
        ssim = "" if np.isnan(r.ssim) else f"{r.ssim:.4f}"
        weights = getattr(r, "weights", "")
        weights = weights if isinstance(weights, str) and weights else "-"  # no network: BM3D, noisy input, paper
        lines.append(f"| {r.dataset} | {r.sigma:g} | {r.method} | {weights} | {r.source} | {images} | {r.psnr:.2f} | {ssim} |")
    return "\n".join(lines) + "\n"


def paper_method(label: str) -> str | None:
    """The method of the paper's Table II a measured row stands for, from the catalogue entry the row
    label names (:func:`dncnn.model.catalog.find_entry`: the authors' models, ours, a profile's run,
    BM3D): ``BM3D``, ``DnCNN-S`` or ``DnCNN-B``; None for the noisy input and anything else."""
    from ..model.catalog import find_entry

    entry = find_entry(label)
    return None if entry is None else entry.paper_method


def tabulate_against_paper(summary):
    """The summary as readers expect it: one row per (dataset, method), one group of columns per
    sigma: the measured mean PSNR, the paper's value for that method (Table II; empty where the paper
    has none: Set12, the noisy input) and the difference, measured minus paper.

    Args:
        summary: DataFrame of :func:`summarize` (its paper rows are not needed: the values come from
            ``PAPER_PSNR``).

    Returns:
        DataFrame with ``dataset, method, images`` and, for each sigma ``s`` of the summary (as an
        integer), ``psnr_<s>``, ``paper_<s>``, ``diff_<s>`` (dB; NaN where not measured or no paper
        value), rows in the summary's order.
    """
    import pandas as pd

    measured = summary[summary.source == "measured"]
    sigmas = sorted({int(s) for s in measured.sigma})
    datasets, methods = list(dict.fromkeys(measured.dataset)), list(dict.fromkeys(measured.method))
    measured = measured.assign(_order=[(datasets.index(d), methods.index(m)) for d, m in zip(measured.dataset, measured.method)])
    measured = measured.sort_values("_order", kind="stable")
    rows = {}
    for r in measured.itertuples(index=False):
        row = rows.setdefault((r.dataset, r.method), {"dataset": r.dataset, "method": r.method, "images": r.images,
                                                      **{f"{k}_{s}": np.nan for s in sigmas for k in ("psnr", "paper", "diff")}})
        paper = PAPER_PSNR.get((r.dataset, paper_method(r.method)), {}).get(int(r.sigma), np.nan)
        row.update({f"psnr_{int(r.sigma)}": r.psnr, f"paper_{int(r.sigma)}": paper, f"diff_{int(r.sigma)}": r.psnr - paper})
    return pd.DataFrame(list(rows.values()))


def format_against_paper_markdown(table, *, dataset: str | None = None) -> str:
    """:func:`tabulate_against_paper` as a Markdown table (one dataset, or all with a dataset column):
    each cell is the measured PSNR, then the paper's value and the difference where the paper has one."""
    sigmas = [int(c.split("_")[1]) for c in table.columns if c.startswith("psnr_")]
    rows = table if dataset is None else table[table.dataset == dataset]
    lead = [] if dataset is not None else ["dataset"]
    lines = ["| " + " | ".join(lead + ["method"] + [f"sigma {s}" for s in sigmas]) + " |",
             "|" + "---|" * (len(lead) + 1 + len(sigmas))]
    for r in rows.to_dict("records"):
        cells = []
        for s in sigmas:
            psnr, paper, diff = r[f"psnr_{s}"], r[f"paper_{s}"], r[f"diff_{s}"]
            cell = "" if np.isnan(psnr) else f"{psnr:.2f}"
            if not np.isnan(psnr) and not np.isnan(paper):
                cell += f" (paper {paper:.2f}, {round(diff, 2) + 0.0:+.2f})"  # + 0.0: no "-0.00"
            cells.append(cell)
        lines.append("| " + " | ".join(([r["dataset"]] if not dataset else []) + [r["method"]] + cells) + " |")
    return "\n".join(lines) + "\n"


def denoise_example(denoisers, clean: np.ndarray, *, sigma: float, seed: int = 0, index: int = 0) -> dict:
    """Noisy image and every denoiser's output for one image, with their PSNRs (for figures).

    Returns ``{"clean": (image, None), "noisy": (image, psnr), <denoiser name>: (estimate, psnr), ...}``,
    images HxW float32 on the [0, 1] scale. The noisy input's own row and networks trained for
    another sigma are left out (the noisy image is already there).
    """
    from ..model.catalog import get_entry

    noisy = add_gaussian_noise(clean, sigma, seed=seed, index=index)
    out = {"clean": (to_float(clean), None), "noisy": (noisy, compute_psnr(clean, noisy))}
    for denoiser in denoisers:
        if denoiser.name == get_entry("noisy").name or denoiser.trained_sigma not in (None, sigma):
            continue
        estimate = denoiser(noisy, sigma)
        out[denoiser.name] = (estimate, compute_psnr(clean, estimate))
    return out


def denoise_examples(denoisers, picks, *, sigma: float, seed: int = 0, crop: int | None = None, raw_dir=None) -> list:
    """:func:`denoise_example` of several test images, for the visual comparison of notebook 04.

    Args:
        picks: ``[(dataset, index), ...]``: image ``index`` of each set (0-based, in file order).
        crop: the evaluation's crop (None: whole images). With the evaluation's ``seed`` and crop,
            each image gets exactly the noise it had in the evaluation, so BM3D's output comes
            from its cache.

    Returns:
        ``[(title, example), ...]``: the title names the set, file and sigma.
    """
    from .. import config
    from ..data import datasets

    out = []
    for dataset, index in picks:
        names, images = datasets.load_dataset(dataset, root=raw_dir or config.RAW_DIR, limit=index + 1)
        clean = crop_center(images[index], crop)
        out.append((f"{dataset} {names[index]}, sigma {sigma:g}",
                    denoise_example(denoisers, clean, sigma=sigma, seed=seed, index=index)))
    return out


def evaluate_sets(denoisers, *, sets: Sequence[str], sigmas: Sequence[float], images: int | None = None,
                  crop: int | None = None, seed: int = 0, raw_dir=None, progress: bool = True):
    """Notebook 04's evaluation: every denoiser on every image of ``sets`` at every sigma, as one
    per-image DataFrame (rows of :func:`evaluate_denoisers`).

    Args:
        sets: dataset names (``BSD68``, ``Set12``), fetched into ``raw_dir`` first if missing.
        sigmas: noise levels on the 0-255 scale. A denoiser whose ``trained_sigma`` is set (a
            network trained for one level) runs only at that level; the others at every level.
        images: the first N images of each set (None: all).
        crop: evaluate on the central ``crop`` x ``crop`` of each image (None: whole images).
        seed: the evaluation noise seed (image ``i`` gets noise seeded ``[seed, i]``).
    """
    import pandas as pd

    from .. import config
    from ..data import datasets

    raw_dir = raw_dir or config.RAW_DIR
    datasets.fetch_datasets(sets, dest=raw_dir, progress=False)
    rows = []
    for dataset in sets:
        names, clean = datasets.load_dataset(dataset, root=raw_dir, limit=images)
        clean = [crop_center(image, crop) for image in clean]
        for sigma in sigmas:
            active = [d for d in denoisers if d.trained_sigma in (None, sigma)]
            rows += evaluate_denoisers(active, clean, names, dataset=dataset, sigma=sigma, seed=seed, progress=progress)
    return pd.DataFrame(rows)


def write_tables(per_image, summary, *, out_dir, extra: dict | None = None) -> dict:
    """Write ``per_image.csv``, ``summary.csv``, ``summary.md`` (with the protocol) and ``summary.json``."""
    from ..files import atomic, provenance

    out_dir = Path(out_dir)
    paths = {
        "per_image": atomic.save_csv(out_dir / "per_image.csv", per_image),
        "summary_csv": atomic.save_csv(out_dir / "summary.csv", summary),
    }
    facts = provenance.provenance()
    machine = provenance.describe_machine(facts)
    text = format_summary_markdown(summary) + "\n" + DENOISING_PROTOCOL + "\n\n" + machine + "\n"
    paths["summary_md"] = atomic.save_text(out_dir / "summary.md", text)
    paths["summary_json"] = atomic.save_json(out_dir / "summary.json", {"protocol": DENOISING_PROTOCOL, **(extra or {}), **facts})
    return paths


def tabulate_images(per_image, *, dataset: str = "Set12", leave_out: Sequence[str] = ("noisy",)):
    """The paper's Table III: the PSNR of every image of ``dataset``, images as columns, one row per
    (sigma, method) in the order of the per-image table, then the paper's averages at each sigma
    (:data:`dncnn.evaluation.paper.PAPER_SET12`) as labelled reference rows.

    Args:
        per_image: DataFrame of :func:`evaluate_sets` rows.
        leave_out: catalogue keys of the methods not shown (the paper's table has no noisy-input row).

    Returns:
        DataFrame with ``sigma, method, source`` (``measured`` or ``paper (reference)``), one column per
        image (its file name; dB, NaN on the paper's rows) and ``average`` (dB).
    """
    import pandas as pd

    from ..model.catalog import get_entry

    rows = per_image[(per_image.dataset == dataset) & ~per_image.method.isin([get_entry(key).name for key in leave_out])]
    images = list(dict.fromkeys(rows.image))
    methods = list(dict.fromkeys(rows.method))
    out = []
    for sigma in sorted(rows.sigma.unique()):
        at = rows[rows.sigma == sigma]
        for method in methods:
            values = at[at.method == method].set_index("image").psnr
            if len(values):
                out.append({"sigma": float(sigma), "method": method, "source": "measured",
                            **{image: float(values.get(image, np.nan)) for image in images}, "average": float(values.mean())})
        for (paper_set, method), by_sigma in PAPER_SET12.items():
            if paper_set == dataset and int(sigma) in by_sigma:
                out.append({"sigma": float(sigma), "method": f"{method} (paper)", "source": "paper (reference)",
                            **{image: np.nan for image in images}, "average": by_sigma[int(sigma)]})
    return pd.DataFrame(out, columns=["sigma", "method", "source", *images, "average"])
