"""Without a known sigma: estimate each image's noise level and let the noise-level study's rule
pick the model. The rule is the committed ``noise_levels_rule.csv`` (``results/noise-levels``),
applied by the study's own function, :func:`dncnn.evaluation.noise_levels.apply_rule`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .models import CDNCNN

AUTO = "auto"  # --sigma auto: estimate sigma per image (also the default without --sigma, --model and --weights)


RULE_FILE = "noise_levels_rule.csv"  # in the committed noise-level study (config.NOISE_LEVELS_TABLE_DIR)


def check_sigma(sigma: float | str | None) -> None:
    """Raise ``ValueError`` unless ``sigma`` is ``None``, ``"auto"`` or in [0, 255]."""
    if sigma == AUTO:
        return
    if sigma is not None and not 0 <= float(sigma) <= 255:
        raise ValueError(f"sigma must be in [0, 255]. Received: sigma={sigma}")


def wants_estimate(*, sigma=None, weights=None, model=None) -> bool:
    """Whether each image's noise level is estimated: ``sigma="auto"``, or none of ``sigma``,
    ``model`` and ``weights`` given (the default path).

    Raises:
        ValueError: for ``sigma="auto"`` with ``model`` or ``weights`` (the estimate picks the model).
    """
    if sigma == AUTO:
        if weights is not None or model is not None:
            raise ValueError("`sigma=\"auto\"` picks the model from the estimated noise level: leave out `model` and "
                             "`weights`, or give a number as `sigma`")
        return True
    return sigma is None and weights is None and model is None


def read_sigma_rule(folder: str | Path | None = None) -> dict:
    """The rule of the default path: the default estimator's rows of ``noise_levels_rule.csv`` in
    the committed noise-level study (``results/noise-levels``, written by ``python -m dncnn
    noise-levels`` from the measured grid by :func:`dncnn.evaluation.noise_levels.derive_rule`).

    Returns:
        ``{"estimator": name in dncnn.data.noise_estimation.ESTIMATORS, "rule": [{"low", "high",
        "model", "reference_model"}, ...]}``: an estimate in [low, high) goes to ``reference_model``.

    Raises:
        FileNotFoundError: naming the file and how to remake it.
    """
    import csv

    from .. import config

    path = Path(folder or config.NOISE_LEVELS_TABLE_DIR) / RULE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: it is committed with the study (`python -m dncnn noise-levels` remakes it); "
                                "or give a number as `sigma`, or a `model`")
    with open(path, newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["default"] == "True"]
    if not rows:
        raise ValueError(f"{path} marks no estimator as default; remake it with `python -m dncnn noise-levels`")
    rule = [{"low": float(r["low"]), "high": float(r["high"]), "model": r["model"], "reference_model": r["reference_model"]}
            for r in rows]
    return {"estimator": rows[0]["estimator"], "rule": sorted(rule, key=lambda r: r["low"])}


def fetch_rule_models(rule: dict, *, colour: bool) -> None:
    """Fetch and verify the weights of every model ``rule`` (:func:`read_sigma_rule`) can pick, and of
    CDnCNN-B when colour images stay in colour, before any image is estimated (a few MB each, fetched
    once): the authors' models of the catalogue, from the mirrors or the pinned source; this project's
    shipped models are committed in ``weights/`` and checked as they load.

    Raises:
        DataError: naming the first file that cannot be had, and the fix.
    """
    from ..model.catalog import AUTHORS, find_entry, get_entry
    from ..model.reference import fetch_reference_weights

    keys = [find_entry(row["model"]).key for row in rule["rule"]] + ([CDNCNN] if colour else [])
    for key in dict.fromkeys(keys):
        if get_entry(key).source == AUTHORS:
            fetch_reference_weights(key)


def estimate_image_sigma(image: np.ndarray, *, estimator: str) -> float:
    """The noise level (0-255 scale) of a user's image (float32 HxW, or HxWx3 RGB: channels estimated
    separately and averaged) by a named estimator of :data:`dncnn.data.noise_estimation.ESTIMATORS`;
    the weak-texture PCA estimate of a large photo shows a bar of its bands on stderr once it takes 2 s."""
    from ..data.noise_estimation import ESTIMATORS, estimate_sigma_pca
    from ..runtime.progress import step_progress

    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}: allowed are {', '.join(ESTIMATORS)}. Received: {estimator!r}")
    if ESTIMATORS[estimator] is estimate_sigma_pca:  # minutes on a large photo: a bar once it takes 2 s
        return float(estimate_sigma_pca(image, progress=lambda total: step_progress(total, desc="estimating the noise level",
                                                                                      unit="band")))
    return float(ESTIMATORS[estimator](image))


def choose_for_image(image: np.ndarray, *, rule: dict, load) -> tuple:
    """``(denoiser, field, facts)`` for one image on the default path: its sigma estimated by the
    rule's estimator; a grey image goes to the model the rule (:func:`dncnn.evaluation.noise_levels.apply_rule`,
    the study's) gives that estimate, a colour image to
    CDnCNN-B (the only colour model, blind). ``load(name) -> (denoiser, field)`` loads a model by
    ``--model`` name. ``facts``: ``{"sigma_estimate", "estimator", "chosen"}``."""
    from ..evaluation.noise_levels import apply_rule
    from ..model.catalog import find_entry

    estimate = estimate_image_sigma(image, estimator=rule["estimator"])
    name = CDNCNN if image.ndim == 3 else find_entry(apply_rule(estimate, rule["rule"])).key
    denoiser, field = load(name)
    return denoiser, field, {"sigma_estimate": estimate, "estimator": rule["estimator"], "chosen": name}
