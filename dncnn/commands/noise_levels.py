"""``python -m dncnn noise-levels``: notebook 06's grid measured on every BSD68 image from the shell
(every method at every sigma, and the noise-level estimators), written to ``results/noise-levels/``,
which notebook 06 checks its rerun subset against and draws its figures from.

The grid takes about 100 minutes of a 2-core machine, so it is resumable: the rows of each finished
setting (one sigma and one method or estimator) are written at once to
``noise_levels_per_image.partial.csv`` and ``noise_levels_estimates.partial.csv``; a rerun with the
same output folder keeps them and runs only what is missing. BM3D's outputs are cached under
``data/cache/bm3d`` of the output root (``DNCNN_OUTPUT_ROOT``), so keep one output root for a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .. import config


def measure_noise_levels(*, out_dir: str | Path | None = None, images: int | None = None, crop: int | None = None,
                         sigmas: Sequence[float] | None = None, networks: bool = True, estimators: bool = True,
                         shipped: bool = True, argv: Sequence[str] = (), progress: bool = True) -> dict:
    """Measure the noise-level grid on BSD68 and write its tables.

    Args:
        out_dir: folder for the tables (default ``results/noise-levels`` of the output root).
        images: the first N BSD68 images (None: all 68). crop: central square side (None: whole images).
        sigmas: noise levels (default :data:`dncnn.evaluation.noise_levels.NOISE_SIGMAS`).
        networks: measure the denoisers (the noisy input, BM3D, the networks).
        estimators: measure the noise-level estimators.
        shipped: include our shipped DnCNN-S 25 (``weights/dncnn-s-sigma25.keras``).
        argv: the command line, recorded in the JSON sidecar.

    The partial files are removed once the whole tables are written; the tables are written only
    when both the denoisers and the estimators are complete (a run with ``networks=False`` or
    ``estimators=False`` fills the partial files only).

    Returns:
        ``{"per_image", "estimates"}`` DataFrames, and ``"paths"`` of the tables written (empty when
        the grid is not complete yet).
    """
    import pandas as pd

    from ..data import datasets
    from ..data.datasets import crop_center
    from ..evaluation import noise_levels as NL
    from ..files import atomic

    out_dir = Path(out_dir or config.RESULTS_DIR / "noise-levels")
    sigmas = tuple(float(s) for s in (sigmas or NL.NOISE_SIGMAS))
    datasets.fetch_datasets([NL.NOISE_SET], progress=False)
    names, clean = datasets.load_dataset(NL.NOISE_SET, limit=images)
    clean = [crop_center(image, crop) for image in clean]
    partial_scores = out_dir / "noise_levels_per_image.partial.csv"
    partial_estimates = out_dir / "noise_levels_estimates.partial.csv"
    scores = pd.read_csv(partial_scores) if partial_scores.exists() else None
    estimates = pd.read_csv(partial_estimates) if partial_estimates.exists() else None
    denoisers = NL.noise_level_denoisers(shipped=shipped)
    if estimators:
        from ..data.noise_estimation import ESTIMATORS

        estimates = NL.estimate_noise_levels(ESTIMATORS, clean, names, sigmas=sigmas, done=estimates, progress=progress,
                                             on_setting=lambda rows: atomic.save_csv(partial_estimates, rows))
    if networks:
        # the networks at every sigma first (a second each per image), then BM3D (several seconds each)
        for group in ([d for d in denoisers if not hasattr(d, "denoise_many")], [d for d in denoisers if hasattr(d, "denoise_many")]):
            scores = NL.evaluate_noise_levels(group, clean, names, sigmas=sigmas, done=scores, progress=progress,
                                              on_setting=lambda rows: atomic.save_csv(partial_scores, rows))
        scores = NL.order_scores(scores, denoisers=denoisers, sigmas=sigmas)
    out = {"per_image": scores, "estimates": estimates, "paths": {}}
    if not (networks and estimators):
        return out
    extra = {"argv": list(argv), "images": len(clean), "crop": crop, "sigmas": list(sigmas)}
    out["paths"] = NL.write_noise_level_tables(scores, estimates, out_dir=out_dir, extra=extra)
    partial_scores.unlink(missing_ok=True)
    partial_estimates.unlink(missing_ok=True)
    return out
