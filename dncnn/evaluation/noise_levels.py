"""The noise-level study (notebook 06, ``python -m dncnn noise-levels``): every denoiser on BSD68 at
every noise level, not only at the one a network was trained for, and the noise-level estimators.

Tables (pandas DataFrames, one row per image):

- per-image scores: ``dataset, sigma, method, trained_sigma, weights, image, psnr, ssim, seconds``
  (``trained_sigma`` NaN for a method that takes any level: the noisy input, BM3D, DnCNN-B);
- estimates: ``dataset, sigma, estimator, image, estimate, seconds`` (sigma and estimate 0-255 scale).

Both are measured by :func:`evaluate_noise_levels` and :func:`estimate_noise_levels`, setting by
setting (one sigma and one method or estimator), so a long run can be resumed: give the rows so far
as ``done`` and only the missing settings run.
"""

from __future__ import annotations

import time
from typing import Callable, Mapping, Sequence

import numpy as np

from ..data.noise import add_gaussian_noise
from ..model.catalog import AUTHORS, BLIND_RANGE, STUDY_NOISE_LEVELS, SHIPPED, entries, find_entry, get_entry
from .protocol import DENOISING_PROTOCOL, evaluate_denoisers

NOISE_SET = "BSD68"
NOISE_SIGMAS = (5.0, 15.0, 25.0, 35.0, 45.0, 50.0, 55.0, 65.0, 75.0)  # 5 to 75 in steps of 10, and 50
DNCNN_B_RANGE = BLIND_RANGE  # the noise levels DnCNN-B was trained on (the paper, Section IV-A)
SCORE_KEYS = ("dataset", "sigma", "method", "image")
ESTIMATE_KEYS = ("dataset", "sigma", "estimator", "image")

NOISE_LEVELS_PROTOCOL = (
    "Every method runs at every noise level sigma (not only a network's trained level); BM3D is told "
    "the true sigma, the networks see only the image. " + DENOISING_PROTOCOL + " Estimators see the "
    "same noisy images (float32, not clipped, on the 0-255 scale) and are scored by estimate minus true sigma."
)


BLIND_LABEL = get_entry("dncnn_b_gray_blind").name  # the rule's fallback: the authors' blind DnCNN-B


def noise_level_entries(*, specific_sigmas: Sequence[float] | None = None, shipped: bool = True,
                        bm3d: bool = True, keys: Sequence[str] | None = None) -> list:
    """The catalogue entries of the study's rows (:data:`dncnn.model.catalog.STUDY_NOISE_LEVELS`), in table
    order: the noisy input, BM3D, the authors' DnCNN-S, our shipped DnCNN-S, the authors' DnCNN-B.

    Args:
        specific_sigmas: the authors' DnCNN-S kept, by trained sigma (None: all of them).
        shipped: keep this project's shipped models. bm3d: keep BM3D.
        keys: keep only these catalogue keys (None: every entry the other options keep).
    """
    out = []
    for entry in entries(study=STUDY_NOISE_LEVELS):
        if (entry.key == "bm3d" and not bm3d) or (entry.source == SHIPPED and not shipped):
            continue
        if (specific_sigmas is not None and entry.source == AUTHORS and entry.family == "S"
                and float(entry.sigma) not in [float(s) for s in specific_sigmas]):
            continue
        if keys is None or entry.key in keys:
            out.append(entry)
    return out


def noise_level_methods(**options) -> list[str]:
    """The names of :func:`noise_level_denoisers`' rows, in the same order, without loading a model
    (options: those of :func:`noise_level_entries`)."""
    return [entry.name for entry in noise_level_entries(**options)]


def noise_level_denoisers(*, bm3d_cache=None, **options) -> list:
    """The rows of the study, in table order (:func:`noise_level_entries`; BM3D told the true sigma).
    Every one is run at every sigma of the study.

    ``bm3d_cache``: BM3D's cache folder (default ``data/cache/bm3d`` of the output root).
    """
    from .denoisers import load_entry_denoiser

    return [load_entry_denoiser(entry, bm3d_cache=bm3d_cache) for entry in noise_level_entries(**options)]


def done_settings(rows, *, column: str = "method", images: int | None = None) -> set[tuple[float, str]]:
    """The ``(sigma, method)`` (or ``(sigma, estimator)`` with ``column="estimator"``) settings that
    ``rows`` (a DataFrame, or None) already holds for all ``images`` images (any number when None)."""
    if rows is None or len(rows) == 0:
        return set()
    counts = rows.groupby(["sigma", column]).image.nunique()
    return {(float(s), str(m)) for (s, m), n in counts.items() if images is None or n >= images}


def evaluate_noise_levels(denoisers: Sequence, images: Sequence[np.ndarray], names: Sequence[str], *,
                          sigmas: Sequence[float] = NOISE_SIGMAS, dataset: str = NOISE_SET, seed: int = 0,
                          done=None, on_setting: Callable | None = None, progress: bool = True):
    """Every denoiser on every image at every sigma (a network also away from its trained level).

    Args:
        denoisers: as :func:`noise_level_denoisers` (``name``, ``trained_sigma``, ``__call__``).
        images: HxW uint8 clean images. names: their names.
        sigmas: noise levels (0-255 scale); image ``i`` gets the noise of the protocol seeded
            ``[seed, i]``, the same pattern at every sigma.
        done: rows measured before (a DataFrame of this function's columns, or None): settings it
            holds for every image are kept, not run again.
        on_setting: called with all rows so far (a DataFrame) after each new (sigma, method) setting.

    Returns:
        DataFrame ``dataset, sigma, method, trained_sigma, weights, image, psnr, ssim, seconds``,
        sigma by sigma in the order of ``denoisers``; every row of ``done`` is kept (other sigmas and
        methods too, after them).
    """
    import pandas as pd

    skip = done_settings(done, images=len(images))
    frames = [] if done is None or len(done) == 0 else [done]
    todo = [(s, d) for s in sigmas for d in denoisers if (float(s), d.name) not in skip]
    bar = _bar(len(todo), "noise levels (sigma, method)", enabled=progress and bool(todo), unit="setting")
    for sigma, denoiser in todo:
        if bar is not None:
            bar.set_postfix_str(f"sigma {float(sigma):g}, {denoiser.name}")
        rows = evaluate_denoisers([denoiser], images, names, dataset=dataset, sigma=float(sigma), seed=seed, progress=False)
        frame = pd.DataFrame(rows)
        trained = getattr(denoiser, "trained_sigma", None)
        frame.insert(3, "trained_sigma", np.nan if trained is None else float(trained))
        frames.append(frame)
        if on_setting is not None:
            on_setting(pd.concat(frames, ignore_index=True))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return order_scores(pd.concat(frames, ignore_index=True), denoisers=denoisers)


def order_scores(per_image, *, denoisers=None, sigmas=None, methods=None):
    """Rows sorted by sigma, then method in the order of ``denoisers`` (or of the labels ``methods``;
    other methods after them, as they come), then image as they come; only the sigmas of ``sigmas``
    when given."""
    table = per_image
    if sigmas is not None:
        table = table[table.sigma.isin([float(s) for s in sigmas])]
    methods = [d.name for d in denoisers] if denoisers is not None else list(methods or [])
    methods += [m for m in dict.fromkeys(table.method) if m not in methods]
    image_order = {name: i for i, name in enumerate(dict.fromkeys(table.image))}
    rank = {name: i for i, name in enumerate(methods)}
    keys = table.sigma.astype(float) * 1e6 + table.method.map(rank) * 1e3 + table.image.map(image_order)
    return table.iloc[np.argsort(keys.to_numpy(), kind="stable")].reset_index(drop=True)


def estimate_noise_levels(estimators: Mapping[str, Callable], images: Sequence[np.ndarray], names: Sequence[str], *,
                          sigmas: Sequence[float] = NOISE_SIGMAS, dataset: str = NOISE_SET, seed: int = 0,
                          done=None, on_setting: Callable | None = None, progress: bool = True):
    """Every estimator on every noisy image of the protocol (the images :func:`evaluate_noise_levels` denoises).

    Args:
        estimators: name -> ``estimate(noisy) -> sigma`` (noisy HxW float32 on the [0, 1] scale,
            sigma on the 0-255 scale), e.g. :data:`dncnn.data.noise_estimation.ESTIMATORS`.
        done, on_setting: as in :func:`evaluate_noise_levels`, per (sigma, estimator).

    Returns:
        DataFrame ``dataset, sigma, estimator, image, estimate, seconds``.
    """
    import pandas as pd

    skip = done_settings(done, column="estimator", images=len(images))
    frames = [] if done is None or len(done) == 0 else [done]
    todo = [(s, e) for s in sigmas for e in estimators if (float(s), e) not in skip]
    bar = _bar(len(todo) * len(images), "estimating sigma", enabled=progress and bool(todo))
    for sigma, name in todo:
        rows = []
        for index, (clean, image) in enumerate(zip(images, names)):
            noisy = add_gaussian_noise(clean, float(sigma), seed=seed, index=index)
            start = time.perf_counter()
            value = float(estimators[name](noisy))
            rows.append({"dataset": dataset, "sigma": float(sigma), "estimator": name, "image": image,
                         "estimate": value, "seconds": time.perf_counter() - start})
            if bar is not None:
                bar.update(1)
        frames.append(pd.DataFrame(rows))
        if on_setting is not None:
            on_setting(pd.concat(frames, ignore_index=True))
    if bar is not None:
        bar.close()
    table = pd.concat(frames, ignore_index=True)
    table = table[table.sigma.isin([float(s) for s in sigmas]) & table.estimator.isin(list(estimators))]
    rank = {name: i for i, name in enumerate(estimators)}
    image_order = {name: i for i, name in enumerate(dict.fromkeys(table.image))}
    keys = table.sigma.astype(float) * 1e6 + table.estimator.map(rank) * 1e3 + table.image.map(image_order)
    return table.iloc[np.argsort(keys.to_numpy(), kind="stable")].reset_index(drop=True)


JPEG_QUALITIES = (None, 95, 85, 75, 50)  # IJG qualities of estimate_jpeg_noise; None: the 8-bit file itself (PNG)


def estimate_jpeg_noise(estimators: Mapping[str, Callable], images: Sequence[np.ndarray], *,
                        sigmas: Sequence[float] = (5.0, 15.0, 25.0), qualities: Sequence[int | None] = JPEG_QUALITIES,
                        seed: int = 0):
    """What the estimators report on compressed photos: each clean HxW uint8 image with the
    protocol's Gaussian noise of each sigma, rounded to an 8-bit file and saved as baseline JPEG at
    each IJG quality (:func:`dncnn.data.matlab.jpeg_roundtrip`; None: not compressed), decoded, estimated.

    Returns:
        DataFrame ``sigma, quality, image, estimator, estimate, residual``, one row per image:
        ``estimate`` and ``residual`` on the 0-255 scale, ``residual`` the standard deviation of the
        decoded file minus the clean image (the error the file holds, noise and compression's; the
        JPEG removes part of the noise and adds its own block errors), ``quality`` 0 for None.
    """
    import pandas as pd

    from ..data.matlab import jpeg_roundtrip

    rows = []
    for sigma in sigmas:
        for index, clean in enumerate(images):
            noisy = add_gaussian_noise(clean, float(sigma), seed=seed, index=index)
            file = np.clip(np.round(noisy.astype(np.float64) * 255), 0, 255).astype(np.uint8)
            for quality in qualities:
                decoded = file if quality is None else jpeg_roundtrip(file, int(quality))
                residual = float(np.std(decoded.astype(np.float64) - clean))
                for name, estimate in estimators.items():
                    rows.append({"sigma": float(sigma), "quality": quality or 0, "image": index, "estimator": name,
                                 "estimate": float(estimate(decoded.astype(np.float32) / np.float32(255))),
                                 "residual": residual})
    return pd.DataFrame(rows)


def _bar(total: int, desc: str, *, enabled: bool, unit: str = "image"):
    """A progress bar (:func:`dncnn.runtime.progress.progress_bar`: stdout in a notebook, not a red
    stderr block), or None."""
    if not enabled:
        return None
    from ..runtime.progress import progress_bar

    return progress_bar(total=total, desc=desc, unit=unit)


# --- the tables: means by sigma, the rows chosen by an estimate, the rule of the denoise command ---

NEAREST_LABEL = "estimated sigma -> nearest DnCNN-S"  # the "estimate, then the nearest DnCNN-S" row
DEFAULT_LABEL = "denoise default: estimated sigma -> rule"  # what `python -m dncnn denoise` without --sigma does
ORACLE_LABEL = "DnCNN-S told the true sigma"  # the best authors' DnCNN-S at each true sigma (a bound, not a method)


def specific_models(per_image) -> dict[float, str]:
    """The authors' DnCNN-S models in a per-image table (by their catalogue entries): ``{trained sigma: method}``, by sigma."""
    found = {}
    for method in dict.fromkeys(per_image.method):
        entry = find_entry(str(method))
        if entry is not None and entry.source == AUTHORS and entry.family == "S" and entry.name == method:
            found[float(entry.sigma)] = str(method)
    return dict(sorted(found.items()))


def mean_psnr(per_image, *, metric: str = "psnr"):
    """Mean ``metric`` over the images: DataFrame with one row per method (table order) and one column per sigma."""
    table = per_image.pivot_table(index="method", columns="sigma", values=metric, aggfunc="mean", sort=False)
    table.columns = [float(c) for c in table.columns]
    return table[sorted(table.columns)]


def specific_thresholds(per_image) -> list[dict]:
    """Where each of the authors' DnCNN-S overtakes the one trained for the next lower sigma, in mean
    PSNR against the true sigma: the estimate thresholds of the "nearest DnCNN-S" choice.

    For each pair (lower, upper) of consecutive trained sigmas, the difference upper minus lower of
    their mean PSNRs is followed along the grid's sigmas; where it turns from negative to positive,
    the threshold is the sigma at which the straight line between the two grid points crosses zero.
    Where the grid shows no such turn, the threshold is the midpoint of the two trained sigmas
    (``how`` says which).

    Returns:
        ``[{"lower", "upper", "threshold", "how"}, ...]`` by trained sigma (labels of the models).
    """
    models = specific_models(per_image)
    means = mean_psnr(per_image)
    sigmas = list(means.columns)
    out = []
    trained = list(models)
    for low, high in zip(trained, trained[1:]):
        diff = [means.loc[models[high], s] - means.loc[models[low], s] for s in sigmas]
        threshold, how = (low + high) / 2.0, "midpoint of the trained sigmas (no crossing on the grid)"
        for k in range(len(sigmas) - 1):
            if diff[k] <= 0 < diff[k + 1]:
                a, b = diff[k], diff[k + 1]
                threshold = sigmas[k] + (sigmas[k + 1] - sigmas[k]) * (-a) / (b - a)
                how = f"crossing between sigma {sigmas[k]:g} and {sigmas[k + 1]:g}"
                break
        out.append({"lower": models[low], "upper": models[high], "threshold": float(threshold), "how": how})
    return out


def nearest_specific(estimate: float, thresholds: list[dict]) -> str:
    """The DnCNN-S that :func:`specific_thresholds` assigns to an estimated sigma (the lower model
    below each threshold, the upper one from it on)."""
    label = thresholds[0]["lower"]
    for t in thresholds:
        if estimate >= t["threshold"]:
            label = t["upper"]
    return label


def rule_bins(sigmas) -> list[tuple[float, float, float]]:
    """``(low, high, sigma)``: the estimates nearest each grid sigma (edges halfway between them; the
    first bin starts at 0 and the last one has no upper end)."""
    sigmas = sorted(float(s) for s in sigmas)
    edges = [0.0] + [(a + b) / 2.0 for a, b in zip(sigmas, sigmas[1:])] + [float("inf")]
    return [(edges[k], edges[k + 1], s) for k, s in enumerate(sigmas)]


def derive_rule(per_image, estimates, *, estimator: str) -> list[dict]:
    """The model the grid measured best for each estimated sigma of one estimator: the rule of
    ``python -m dncnn denoise`` without ``--sigma``.

    The estimates are split into the bins of :func:`rule_bins` (those nearest each grid sigma). For
    each bin, every candidate (the authors' DnCNN-S 15/25/50 and DnCNN-B) is scored by its mean PSNR
    over the (image, true sigma) pairs whose estimate fell in the bin; the best one is the bin's
    choice, and DnCNN-B unless another model is strictly better (also where a bin holds no pair).
    Adjacent bins with the same choice are merged.

    Returns:
        ``[{"estimator", "low", "high", "model", "pairs", "psnr", "psnr_blind"}, ...]`` by ``low``:
        estimates in [low, high) go to ``model`` (a table label); ``psnr`` is its mean PSNR on the
        ``pairs`` of the bin, ``psnr_blind`` DnCNN-B's.
    """
    import pandas as pd

    candidates = list(specific_models(per_image).values()) + [BLIND_LABEL]
    est = estimates[estimates.estimator == estimator][["sigma", "image", "estimate"]]
    scores = per_image[per_image.method.isin(candidates)].pivot_table(index=["sigma", "image"], columns="method",
                                                                     values="psnr", aggfunc="first")
    joined = est.merge(scores.reset_index(), on=["sigma", "image"], how="inner")
    rules = []
    for low, high, _ in rule_bins(per_image.sigma.unique()):
        inside = joined[(joined.estimate >= low) & (joined.estimate < high)]
        means = inside[candidates].mean() if len(inside) else pd.Series({c: float("nan") for c in candidates})
        best = BLIND_LABEL
        for label in candidates:
            if len(inside) and means[label] > means[best]:
                best = label
        rules.append({"estimator": estimator, "low": low, "high": high, "model": best, "pairs": int(len(inside)),
                      "psnr": float(means[best]), "psnr_blind": float(means[BLIND_LABEL])})
    merged = [rules[0]]
    for rule in rules[1:]:
        last = merged[-1]
        if rule["model"] == last["model"]:
            pairs = last["pairs"] + rule["pairs"]
            weight = lambda key: (_nan0(last[key]) * last["pairs"] + _nan0(rule[key]) * rule["pairs"]) / pairs if pairs else float("nan")
            merged[-1] = {**last, "high": rule["high"], "pairs": pairs, "psnr": weight("psnr"), "psnr_blind": weight("psnr_blind")}
        else:
            merged.append(rule)
    return merged


def _nan0(value: float) -> float:
    return 0.0 if value != value else value


def apply_rule(estimate: float, rule: list[dict]) -> str:
    """The model (table label) a rule of :func:`derive_rule` gives an estimated sigma."""
    for row in rule:
        if row["low"] <= estimate < row["high"]:
            return row["model"]
    return rule[0]["model"] if estimate < rule[0]["low"] else rule[-1]["model"]


def choose_by_estimate(per_image, estimates, *, estimator: str, choose, label: str):
    """Per-image rows of a method that picks a network from each image's estimated sigma: for every
    (true sigma, image), ``choose(estimate)`` names a method whose row is taken (no network is run
    again). Returns rows like ``per_image`` (method ``label``) with ``estimate`` and ``chosen`` columns."""
    est = estimates[estimates.estimator == estimator][["sigma", "image", "estimate"]].copy()
    est["chosen"] = [choose(float(e)) for e in est.estimate]
    rows = est.merge(per_image, left_on=["sigma", "image", "chosen"], right_on=["sigma", "image", "method"], how="inner")
    rows = rows.assign(method=label, trained_sigma=float("nan"), weights="chosen per image")
    return rows[["dataset", "sigma", "method", "trained_sigma", "weights", "image", "psnr", "ssim", "seconds",
                 "estimate", "chosen"]]


def oracle_rows(per_image):
    """Per-image rows of the authors' DnCNN-S whose mean PSNR is highest at each true sigma (what a
    user who knows sigma and picks the best DnCNN-S gets), labelled :data:`ORACLE_LABEL`."""
    models = specific_models(per_image)
    means = mean_psnr(per_image).loc[list(models.values())]
    best = {s: means[s].idxmax() for s in means.columns}
    rows = per_image[[best.get(float(s)) == m for s, m in zip(per_image.sigma, per_image.method)]]
    return rows.assign(method=ORACLE_LABEL, chosen=rows.method, weights="best DnCNN-S at the true sigma")


def choose_default_estimator(per_image, estimates) -> str:
    """The estimator whose rule (:func:`derive_rule`) gives the highest mean PSNR over the whole grid
    (every true sigma and image); on a tie, the one with the smaller mean absolute error."""
    scores = {}
    for name in dict.fromkeys(estimates.estimator):
        rule = derive_rule(per_image, estimates, estimator=name)
        rows = choose_by_estimate(per_image, estimates, estimator=name, choose=lambda e: apply_rule(e, rule), label=DEFAULT_LABEL)
        mine = estimates[estimates.estimator == name]
        scores[name] = (rows.psnr.mean(), -(mine.estimate - mine.sigma).abs().mean())
    return max(scores, key=scores.get)


def derived_rows(per_image, estimates) -> dict:
    """The rows the study derives from the measured ones, without running a network again.

    Returns:
        ``{"estimator": the default estimator, "thresholds": specific_thresholds, "rules": {estimator: rule},
        "rows": DataFrame}`` whose rows are, for the default estimator, :data:`NEAREST_LABEL` and
        :data:`DEFAULT_LABEL`, then :data:`ORACLE_LABEL` (per image, with ``estimate`` and ``chosen``).
    """
    import pandas as pd

    thresholds = specific_thresholds(per_image)
    rules = {name: derive_rule(per_image, estimates, estimator=name) for name in dict.fromkeys(estimates.estimator)}
    estimator = choose_default_estimator(per_image, estimates)
    nearest = choose_by_estimate(per_image, estimates, estimator=estimator, label=NEAREST_LABEL,
                                 choose=lambda e: nearest_specific(e, thresholds))
    default = choose_by_estimate(per_image, estimates, estimator=estimator, label=DEFAULT_LABEL,
                                 choose=lambda e: apply_rule(e, rules[estimator]))
    rows = pd.concat([nearest, default, oracle_rows(per_image)], ignore_index=True)
    return {"estimator": estimator, "thresholds": thresholds, "rules": rules, "rows": rows}


def summarize_noise_levels(per_image, derived=None):
    """Mean PSNR and SSIM per (sigma, method): the measured rows in table order, then the derived
    ones (:func:`derived_rows`' ``rows``). Returns DataFrame ``dataset, sigma, method, source, images, psnr, ssim``."""
    import pandas as pd

    frames = [per_image.assign(source="measured")]
    if derived is not None:
        frames.append(derived["rows"].assign(source="derived"))
    table = pd.concat(frames, ignore_index=True)
    out = (table.groupby(["dataset", "sigma", "method"], sort=False)
           .agg(source=("source", "first"), images=("image", "count"), psnr=("psnr", "mean"), ssim=("ssim", "mean"))
           .reset_index())
    return out.sort_values("sigma", kind="stable", ignore_index=True)


def pivot_summary(summary, *, metric: str = "psnr"):
    """The summary as one row per method (table order) and one column per sigma (``metric``)."""
    table = summary.pivot_table(index="method", columns="sigma", values=metric, aggfunc="first", sort=False)
    table.columns = [f"{float(c):g}" for c in table.columns]
    table.columns.name = "sigma"
    return table


def gap_to_best(summary):
    """Each row's mean PSNR minus the best row's at that sigma (dB, <= 0); the oracle row is left out
    of "best" (it is a bound, not a method). Same layout as :func:`pivot_summary`."""
    table = pivot_summary(summary)
    methods = [m for m in table.index if m != ORACLE_LABEL]
    return table - table.loc[methods].max()


def summarize_estimators(estimates):
    """Bias and spread of each estimator at each true sigma: DataFrame ``estimator, sigma, images,
    bias`` (mean of estimate minus true sigma), ``spread`` (standard deviation of that error, ddof 1),
    ``mae`` (mean absolute error), ``worst`` (largest absolute error), ``mean_seconds``."""
    table = estimates.assign(error=estimates.estimate - estimates.sigma)
    out = (table.groupby(["estimator", "sigma"], sort=False)
           .agg(images=("image", "count"), bias=("error", "mean"), spread=("error", "std"),
                mae=("error", lambda e: e.abs().mean()), worst=("error", lambda e: e.abs().max()),
                mean_seconds=("seconds", "mean"))
           .reset_index())
    return out


def check_noise_levels(per_image, table, *, keys=SCORE_KEYS, columns=("psnr", "ssim")):
    """Rows measured here beside the same rows of the committed table (a DataFrame or the path of its
    CSV): ``keys``, each column, ``<column>_table`` and ``<column>_diff`` (here minus table).

    Raises:
        ValueError: a measured row has no counterpart in the table (naming the first one).
    """
    import pandas as pd

    table = pd.read_csv(table) if not isinstance(table, pd.DataFrame) else table
    keys, columns = list(keys), list(columns)
    merged = per_image[keys + columns].merge(table[keys + columns], on=keys, how="left", suffixes=("", "_table"),
                                             validate="one_to_one")
    missing = merged[merged[f"{columns[0]}_table"].isna()]
    if len(missing):
        raise ValueError(f"{len(missing)} measured rows are not in the committed table, e.g. {missing.iloc[0][keys].to_dict()}")
    for column in columns:
        merged[f"{column}_diff"] = merged[column] - merged[f"{column}_table"]
    return merged


def assert_close_to_table(check, *, tolerances: Mapping[str, float]) -> None:
    """Raise ``AssertionError`` naming the row and the column when any ``|<column>_diff|`` of a
    :func:`check_noise_levels` result exceeds its tolerance (``{"psnr": 0.05, ...}``)."""
    for column, tolerance in tolerances.items():
        worst = check[f"{column}_diff"].abs()
        if len(worst) and worst.max() > tolerance:
            row = check.loc[worst.idxmax()]
            raise AssertionError(f"{column} differs from the committed table by {row[f'{column}_diff']:+.4g} "
                                 f"(tolerance {tolerance:g}) at {row.drop(labels=[c for c in row.index if c.startswith(column)]).to_dict()}")


def format_pivot_markdown(table, *, digits: int = 2, corner: str = "method") -> str:
    """A method-by-sigma table as Markdown (values to ``digits`` decimals)."""
    lines = [f"| {corner} | " + " | ".join(f"sigma {c}" for c in table.columns) + " |",
             "|---|" + "---|" * len(table.columns)]
    for method, row in table.iterrows():
        lines.append(f"| {method} | " + " | ".join("" if v != v else f"{v:.{digits}f}" for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_noise_level_tables(per_image, estimates, *, out_dir, extra: dict | None = None) -> dict:
    """Write the study's tables into ``out_dir``: ``noise_levels_per_image.csv``,
    ``noise_levels_estimates.csv`` (the measurements), ``noise_levels_summary.csv`` and ``.md``
    (PSNR and SSIM by method and sigma, with the derived rows), ``noise_levels_estimators.csv``
    (bias and spread), ``noise_levels_rule.csv`` (the denoise command's rule, ``default`` marking the
    default estimator's rows) and ``noise_levels.json`` (protocol, thresholds, provenance); return their paths."""
    from pathlib import Path

    import pandas as pd

    from ..files import atomic, provenance

    out_dir = Path(out_dir)
    derived = derived_rows(per_image, estimates)
    summary = summarize_noise_levels(per_image, derived)
    rules = pd.DataFrame([{**row, "reference_model": find_entry(row["model"]).key, "default": name == derived["estimator"]}
                          for name, rule in derived["rules"].items() for row in rule])
    facts = provenance.provenance()
    machine = provenance.describe_machine(facts)
    text = (f"Mean PSNR (dB) on {NOISE_SET} at each true sigma:\n\n" + format_pivot_markdown(pivot_summary(summary))
            + f"\nMean SSIM:\n\n" + format_pivot_markdown(pivot_summary(summary, metric="ssim"), digits=4)
            + f"\nDerived rows (no network run again), with the {derived['estimator']} estimator: '{NEAREST_LABEL}' "
            f"uses thresholds where one DnCNN-S overtakes the next ("
            + ", ".join(f"{t['threshold']:.2f} ({t['how']})" for t in derived["thresholds"])
            + f"); '{DEFAULT_LABEL}' uses noise_levels_rule.csv; '{ORACLE_LABEL}' is the best DnCNN-S at the true sigma.\n\n"
            + NOISE_LEVELS_PROTOCOL + "\n\n" + machine + "\n")
    return {
        "per_image": atomic.save_csv(out_dir / "noise_levels_per_image.csv", per_image),
        "estimates": atomic.save_csv(out_dir / "noise_levels_estimates.csv", estimates),
        "summary_csv": atomic.save_csv(out_dir / "noise_levels_summary.csv", summary),
        "estimators": atomic.save_csv(out_dir / "noise_levels_estimators.csv", summarize_estimators(estimates)),
        "rule": atomic.save_csv(out_dir / "noise_levels_rule.csv", rules),
        "summary_md": atomic.save_text(out_dir / "noise_levels_summary.md", text),
        "json": atomic.save_json(out_dir / "noise_levels.json", {
            "protocol": NOISE_LEVELS_PROTOCOL, "default_estimator": derived["estimator"],
            "thresholds": derived["thresholds"],
            # the sum of every row's own seconds (a shared machine makes them longer than on a quiet one)
            "seconds_measured": {"denoisers": float(per_image.seconds.sum()), "estimators": float(estimates.seconds.sum())},
            **(extra or {}), **facts}),
    }


def load_noise_level_tables(folder=None) -> dict:
    """The committed grid (``results/noise-levels`` of the project, :data:`dncnn.config.NOISE_LEVELS_TABLE_DIR`,
    or ``folder``): ``{"per_image", "estimates"}`` DataFrames.

    Raises:
        FileNotFoundError: naming the missing file and the command that remakes it.
    """
    from pathlib import Path

    import pandas as pd

    from .. import config

    folder = Path(folder or config.NOISE_LEVELS_TABLE_DIR)
    out = {}
    for key in ("per_image", "estimates"):
        path = folder / f"noise_levels_{key}.csv"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing (it is committed; `python -m dncnn noise-levels --out-dir {folder}` "
                                    "remakes it in about 100 minutes on 2 cores)")
        out[key] = pd.read_csv(path, keep_default_na=True).fillna({"weights": ""})
    return out


def rerun_noise_levels(profile, *, progress: bool = True) -> dict:
    """Notebook 06's rerun: the profile's subset of the grid (its first ``noise_images`` whole BSD68
    images at ``noise_sigmas``, the catalogue's models named by ``noise_models`` or all), denoisers and estimators.

    Returns:
        ``{"per_image", "estimates"}`` DataFrames with the committed table's columns.
    """
    from ..data import datasets
    from ..data.noise_estimation import ESTIMATORS

    datasets.fetch_datasets([NOISE_SET], progress=False)
    names, images = datasets.load_dataset(NOISE_SET, limit=profile.noise_images)
    denoisers = noise_level_denoisers(keys=profile.noise_models)
    return {
        "per_image": evaluate_noise_levels(denoisers, images, names, sigmas=profile.noise_sigmas, progress=progress),
        "estimates": estimate_noise_levels(ESTIMATORS, images, names, sigmas=profile.noise_sigmas, progress=progress),
    }
