"""Colour denoising: the authors' colour CDnCNN-B and colour BM3D.

Colour BM3D (``bm3d.bm3d_rgb``) runs like :class:`dncnn.evaluation.denoisers.BM3DDenoiser`: one
thread per image (exactly reproducible) and images in parallel processes, so no result depends on
the number of cores.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import config
from .denoisers import BM3DDenoiser, KerasDenoiser, bm3d_arguments


class ColourKerasDenoiser(KerasDenoiser):
    """A Keras DnCNN on RGB images (the authors' CDnCNN-B: 3 channels in and out, blind to sigma).

    ``noisy``: HxWx3 float32 RGB on the [0, 1] scale (not clipped); returns HxWx3 float32.
    """

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        x = np.asarray(noisy, dtype=np.float32)[None]
        return np.asarray(self._predict(x), dtype=np.float32)[0]


def cdncnn_denoiser(*, name: str | None = None) -> ColourKerasDenoiser:
    """The authors' colour blind model (``model/GD_Color_Blind.mat``), fetched and verified, named
    ``name`` (default its catalogue name, ``"CDnCNN-B authors' weights"``)."""
    from ..model.catalog import get_entry
    from .denoisers import load_entry_denoiser

    return load_entry_denoiser(get_entry("cdncnn_b_color_blind"), name=name)


class ColourBM3DDenoiser(BM3DDenoiser):
    """Colour BM3D (``bm3d.bm3d_rgb``, opponent colour space, bm3d's default profile), one thread per
    image and images in parallel processes, cached like :class:`dncnn.evaluation.denoisers.BM3DDenoiser`.

    ``noisy``: HxWx3 float32 RGB on the [0, 1] scale; returns HxWx3 float32.
    """

    def __init__(self, *, cache_dir: str | Path | None = config.CACHE_DIR / "bm3d_rgb", name: str | None = None,
                 workers: int | None = None):
        """``name``: default the catalogue's (``"CBM3D"``)."""
        from ..model.catalog import get_entry

        name = name or get_entry("cbm3d").name
        super().__init__(cache_dir=cache_dir, name=name, workers=workers)
        self.worker = denoise_bm3d_rgb_timed


def denoise_bm3d_rgb(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Colour BM3D of one HxWx3 float32 RGB image in [0, 1] at ``sigma`` (0-255 scale): ``bm3d.bm3d_rgb``
    with :func:`dncnn.evaluation.denoisers.bm3d_arguments` (single-threaded: the same input always gives
    the same bytes) in bm3d's default opponent colour space. Returns HxWx3 float32."""
    import bm3d

    noisy = np.asarray(noisy, dtype=np.float32)
    if noisy.ndim != 3 or noisy.shape[2] != 3:
        raise ValueError(f"colour BM3D needs an HxWx3 RGB image. Received: shape {noisy.shape}")
    return np.asarray(bm3d.bm3d_rgb(noisy, **bm3d_arguments(sigma)), dtype=np.float32)  # bm3d's opponent colour space


def denoise_bm3d_rgb_timed(args: tuple[np.ndarray, float]) -> tuple[np.ndarray, float]:
    """``(estimate, seconds)`` of :func:`denoise_bm3d_rgb` for ``(noisy, sigma)`` (a process-pool job)."""
    noisy, sigma = args
    start = time.perf_counter()
    estimate = denoise_bm3d_rgb(noisy, sigma)
    return estimate, time.perf_counter() - start


# The paper's colour table: CDnCNN-B against CBM3D on every CBSD68 image at four noise levels
COLOUR_TABLE_SET = "CBSD68"
COLOUR_TABLE_SIGMAS = (15.0, 25.0, 35.0, 50.0)


def colour_table_denoisers(*, bm3d: bool = True) -> list:
    """The colour table's denoisers: the authors' CDnCNN-B and, with ``bm3d``, CBM3D told the true sigma."""
    return [cdncnn_denoiser()] + ([ColourBM3DDenoiser()] if bm3d else [])


def done_colour_settings(table, *, names) -> set:
    """``{(sigma, method)}`` of ``table`` (colour per-image rows) that hold exactly the images ``names``."""
    if table is None or len(table) == 0:
        return set()
    done = set()
    for (level, method), part in table.groupby(["level", "method"], sort=False):
        if list(part.image) == list(names):
            done.add((float(level), method))
    return done


def evaluate_colour_table(denoisers, images, names, *, sigmas=COLOUR_TABLE_SIGMAS, dataset: str = COLOUR_TABLE_SET,
                          seed: int = 0, done=None, on_setting=None):
    """The colour table's per-image rows (:func:`dncnn.evaluation.tasks.evaluate_colour`: per-image seeded
    noise, independent per channel, not clipped; PSNR over the three channels) for every sigma, the noisy
    input and every denoiser, keeping the rows of ``done`` (a per-image table of an interrupted run) whose
    setting holds every image, and measuring only the rest.

    Args:
        denoisers: colour denoisers (HxWx3 float32 in and out), e.g. :func:`colour_table_denoisers`.
        images, names: the clean RGB uint8 images and their file names.
        on_setting: called with the DataFrame so far after each sigma and method.

    Returns:
        DataFrame ``task, dataset, level, method, image, psnr, ssim, seconds``, sigma by sigma, the noisy
        input first, then ``denoisers`` in order.
    """
    import pandas as pd

    from ..model.catalog import get_entry
    from .tasks.run import evaluate_colour

    finished = done_colour_settings(done, names=names)
    kept = [] if done is None else [part for (level, method), part in done.groupby(["level", "method"], sort=False)
                                    if (float(level), method) in finished]
    table = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    noisy = get_entry("noisy").name
    order = [noisy, *[d.name for d in denoisers]]
    for sigma in sigmas:
        todo = [d for d in denoisers if (float(sigma), d.name) not in finished]
        if (float(sigma), noisy) not in finished and not todo:
            todo = [None]  # the noisy input's rows only
        for denoiser in todo:  # one method at a time, so that an interrupted run keeps each finished one
            rows = pd.DataFrame(evaluate_colour([denoiser] if denoiser else [], images, names, dataset=dataset,
                                                sigma=sigma, seed=seed))
            rows = rows[~rows.method.isin([m for s, m in finished if s == float(sigma)])]
            table = pd.concat([table, rows], ignore_index=True)
            finished |= {(float(sigma), m) for m in set(rows.method)}
            if on_setting is not None:
                on_setting(table)
    rank = {m: i for i, m in enumerate(order)}
    levels = {float(s): i for i, s in enumerate(sigmas)}
    table = table.assign(_s=[levels.get(float(v), len(levels)) for v in table.level],
                         _m=[rank.get(m, len(rank)) for m in table.method])
    return table.sort_values(["_s", "_m"], kind="stable").drop(columns=["_s", "_m"]).reset_index(drop=True)


def compare_colour_with_paper(summary):
    """The colour table beside the paper: one row per (sigma, method) measured, with the paper's value
    (:data:`dncnn.evaluation.paper.PAPER_COLOUR`) and the difference, and the authors' comment's values
    (:data:`dncnn.evaluation.paper.PAPER_COLOUR_COMMENT`) beside CDnCNN-B.

    Args:
        summary: :func:`dncnn.evaluation.tasks.summarize_tasks` of colour per-image rows.

    Returns:
        DataFrame ``dataset, sigma, method, images, psnr, ssim, paper, delta_psnr, comment, delta_comment``
        (dB; NaN where there is no reference).
    """
    import numpy as np
    import pandas as pd

    from ..model.catalog import find_entry
    from .paper import PAPER_COLOUR, PAPER_COLOUR_COMMENT

    (comment,) = PAPER_COLOUR_COMMENT.values()
    rows = []
    for r in summary[summary.source == "measured"].itertuples(index=False):
        sigma, entry = int(r.level), find_entry(r.method)
        method = entry.paper_method if entry is not None else None  # the paper's method the row stands for
        paper = PAPER_COLOUR.get((r.dataset, method), {}).get(sigma, np.nan)
        other = comment.get(sigma, np.nan) if method == "CDnCNN-B" else np.nan
        rows.append({"dataset": r.dataset, "sigma": float(r.level), "method": r.method, "images": r.images, "psnr": r.psnr,
                     "ssim": r.ssim, "paper": paper, "delta_psnr": r.psnr - paper, "comment": other,
                     "delta_comment": r.psnr - other})
    return pd.DataFrame(rows)


def format_colour_markdown(versus) -> str:
    """:func:`compare_colour_with_paper` as the paper prints its colour table: methods as rows, sigmas as
    columns, each measured PSNR with the paper's value and the difference in brackets."""
    import numpy as np

    sigmas = list(dict.fromkeys(versus.sigma))
    lines = ["| method | " + " | ".join(f"sigma {s:g}" for s in sigmas) + " |", "|---|" + "---|" * len(sigmas)]
    for method in dict.fromkeys(versus.method):
        cells = []
        for s in sigmas:
            hit = versus[(versus.method == method) & (versus.sigma == s)]
            if not len(hit):
                cells.append("")
                continue
            r = hit.iloc[0]
            paper = "" if np.isnan(r.paper) else f" (paper {r.paper:.2f}, {r.delta_psnr:+.2f})"
            cells.append(f"{r.psnr:.2f}{paper}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    comment = versus[~versus.comment.isna()]
    if len(comment):
        lines.append("| DnCNN colour, the authors' comment (issue 4) | " + " | ".join(
            f"{comment[comment.sigma == s].comment.iloc[0]:.2f}" if (comment.sigma == s).any() else "" for s in sigmas) + " |")
    return "\n".join(lines)


COLOUR_PROTOCOL = (
    "CBSD68 (the authors' FFDNet repository at a pinned commit), RGB: image i gets numpy "
    "default_rng([seed, i]).standard_normal of shape HxWx3 (independent per channel) scaled by sigma/255, "
    "not clipped; every output rounded to uint8 (MATLAB's im2uint8); PSNR over the three channels and SSIM "
    "averaged over them (the authors' Cal_PSNRSSIM). CBM3D: bm3d.bm3d_rgb (opponent colour space, bm3d's "
    "default profile, one thread per image) told the true sigma; CDnCNN-B: the authors' blind colour weights."
)


def write_colour_tables(per_image, summary, versus, *, out_dir, extra: dict | None = None) -> dict:
    """Write ``colour_per_image.csv``, ``colour_summary.csv``, ``colour_vs_paper.csv``, ``colour_summary.md``
    (the table beside the paper, the protocol, the machine) and ``colour_summary.json`` into ``out_dir``."""
    from ..files import atomic, provenance

    out_dir = Path(out_dir)
    facts = provenance.provenance()
    machine = provenance.describe_machine(facts)
    return {
        "per_image": atomic.save_csv(out_dir / "colour_per_image.csv", per_image),
        "summary_csv": atomic.save_csv(out_dir / "colour_summary.csv", summary),
        "versus": atomic.save_csv(out_dir / "colour_vs_paper.csv", versus),
        "summary_md": atomic.save_text(out_dir / "colour_summary.md", format_colour_markdown(versus) + "\n\n"
                                       + COLOUR_PROTOCOL + "\n\n" + machine + "\n"),
        "summary_json": atomic.save_json(out_dir / "colour_summary.json", {"protocol": COLOUR_PROTOCOL, **(extra or {}), **facts}),
    }
