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
    ``estimators=False`` fills the partial files only). A finished grid in ``out_dir`` counts as done:
    a rerun only rewrites the derived tables. Writing into the committed folder
    (``config.NOISE_LEVELS_TABLE_DIR``) also regenerates the measured block of ``docs/noise-levels.md``.

    Returns:
        ``{"per_image", "estimates"}`` DataFrames, and ``"paths"`` of the tables written (empty when
        the grid is not complete yet).
    """
    from ..data import datasets
    from ..data.datasets import crop_center
    from ..evaluation import noise_levels as NL
    from ..files import atomic
    from ..restoration.clean_photos import measure_clean_photos

    out_dir = Path(out_dir or config.RESULTS_DIR / "noise-levels")
    sigmas = tuple(float(s) for s in (sigmas or NL.NOISE_SIGMAS))
    fetch_grid_inputs(networks=networks)  # the data and weights first: none missing is found after an hour of work
    names, clean = datasets.load_dataset(NL.NOISE_SET, limit=images)
    clean = [crop_center(image, crop) for image in clean]
    partial_scores = out_dir / "noise_levels_per_image.partial.csv"
    partial_estimates = out_dir / "noise_levels_estimates.partial.csv"
    scores = _read_first(partial_scores, out_dir / "noise_levels_per_image.csv")  # a finished grid is done too
    estimates = _read_first(partial_estimates, out_dir / "noise_levels_estimates.csv")
    if estimators:
        from ..data.noise_estimation import ESTIMATORS

        estimates = NL.estimate_noise_levels(ESTIMATORS, clean, names, sigmas=sigmas, done=estimates, progress=progress,
                                             on_setting=lambda rows: atomic.save_csv(partial_estimates, rows))
    methods = NL.noise_level_methods(shipped=shipped)
    missing = {(s, m) for s in sigmas for m in methods} - NL.done_settings(scores, images=len(clean))
    if networks and missing:  # the models are loaded only when a setting is left to measure
        denoisers = NL.noise_level_denoisers(shipped=shipped)
        # sigma by sigma in the order given (an interrupted run leaves whole sigmas), every method at each
        for sigma in dict.fromkeys(s for s, _ in sorted(missing, key=lambda item: sigmas.index(item[0]))):
            scores = NL.evaluate_noise_levels(denoisers, clean, names, sigmas=(sigma,), done=scores, progress=progress,
                                              on_setting=lambda rows: atomic.save_csv(partial_scores, rows))
    if networks:
        scores = NL.order_scores(scores, methods=methods, sigmas=sigmas)
    out = {"per_image": scores, "estimates": estimates, "paths": {}}
    if not (networks and estimators):
        return out
    extra = {"argv": list(argv), "images": len(clean), "crop": crop, "sigmas": list(sigmas)}
    out["paths"] = NL.write_noise_level_tables(scores, estimates, out_dir=out_dir, extra=extra)
    out["paths"]["clean_photos"] = atomic.save_csv(out_dir / "noise_levels_clean_photos.csv",
                                                   measure_clean_photos(rule_folder=out_dir, progress=progress))
    partial_scores.unlink(missing_ok=True)
    partial_estimates.unlink(missing_ok=True)
    if out_dir.resolve() == config.NOISE_LEVELS_TABLE_DIR.resolve():
        from ..analysis.noise_levels import update_noise_levels_doc

        update_noise_levels_doc(out_dir)
    return out


def fetch_grid_inputs(*, networks: bool = True) -> None:
    """Fetch and verify what the grid reads before it measures anything: BSD68 and, with ``networks``,
    the weights of the authors' models among the study's rows (catalogue entries,
    :func:`dncnn.evaluation.noise_levels.noise_level_entries`) and of CDnCNN-B, which the clean colour
    photos go to (from the mirrors or the pinned source).

    Raises:
        DataError: naming the first file that cannot be had, and the fix.
    """
    from ..data import datasets
    from ..evaluation.noise_levels import NOISE_SET, noise_level_entries
    from ..model.catalog import AUTHORS
    from ..model.reference import fetch_reference_weights
    from ..restoration.models import CDNCNN

    datasets.fetch_datasets([NOISE_SET], progress=False)
    keys = [entry.key for entry in noise_level_entries() if entry.source == AUTHORS] + [CDNCNN]
    for key in keys if networks else ():
        fetch_reference_weights(key)


def _read_first(*paths: Path):
    """The first of ``paths`` that exists, as a DataFrame (``weights`` empty, not NaN, where blank), or None."""
    import pandas as pd

    for path in paths:
        if path.exists():
            table = pd.read_csv(path)
            return table.fillna({"weights": ""}) if "weights" in table else table
    return None
