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
from .protocol import DENOISING_PROTOCOL, evaluate_denoisers

NOISE_SET = "BSD68"
NOISE_SIGMAS = (5.0, 15.0, 25.0, 35.0, 45.0, 50.0, 55.0, 65.0, 75.0)  # 5 to 75 in steps of 10, and 50
DNCNN_B_RANGE = (0.0, 55.0)  # the noise levels DnCNN-B was trained on (the paper, Section IV-A)
SCORE_KEYS = ("dataset", "sigma", "method", "image")
ESTIMATE_KEYS = ("dataset", "sigma", "estimator", "image")

NOISE_LEVELS_PROTOCOL = (
    "Every method runs at every noise level sigma (not only a network's trained level); BM3D is told "
    "the true sigma, the networks see only the image. " + DENOISING_PROTOCOL + " Estimators see the "
    "same noisy images (float32, not clipped, on the 0-255 scale) and are scored by estimate minus true sigma."
)


def authors_specific_label(sigma: float) -> str:
    """The table label of the authors' DnCNN-S trained for ``sigma`` (``"DnCNN-S15 authors' weights"``)."""
    return f"DnCNN-S{float(sigma):g} authors' weights"


BLIND_LABEL = "DnCNN-B authors' weights"


def noise_level_denoisers(*, specific_sigmas: Sequence[float] = (15.0, 25.0, 50.0), shipped: bool = True,
                          bm3d: bool = True, bm3d_cache=None) -> list:
    """The rows of the study, in table order: the noisy input, BM3D (told the true sigma), the
    authors' DnCNN-S for each of ``specific_sigmas``, our shipped DnCNN-S (sigma 25, when
    ``shipped``), the authors' blind DnCNN-B. Every one is run at every sigma of the study.

    ``bm3d_cache``: BM3D's cache folder (default ``data/cache/bm3d`` of the output root).
    """
    from ..model.reference import load_reference_model
    from .denoisers import AUTHORS_WEIGHTS, BM3DDenoiser, IdentityDenoiser, KerasDenoiser, shipped_denoiser

    out: list = [IdentityDenoiser()]
    if bm3d:
        out.append(BM3DDenoiser() if bm3d_cache is None else BM3DDenoiser(cache_dir=bm3d_cache))
    for sigma in specific_sigmas:
        out.append(KerasDenoiser(load_reference_model(f"dncnn_s_sigma{int(sigma)}"), name=authors_specific_label(sigma),
                                 trained_sigma=float(sigma), weights=AUTHORS_WEIGHTS))
    if shipped:
        out.append(shipped_denoiser())
    out.append(KerasDenoiser(load_reference_model("dncnn_b_gray_blind"), name=BLIND_LABEL, weights=AUTHORS_WEIGHTS))
    return out


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
        sigma by sigma in the order of ``denoisers``.
    """
    import pandas as pd

    skip = done_settings(done, images=len(images))
    frames = [] if done is None or len(done) == 0 else [done]
    for sigma in sigmas:
        for denoiser in denoisers:
            if (float(sigma), denoiser.name) in skip:
                continue
            rows = evaluate_denoisers([denoiser], images, names, dataset=dataset, sigma=float(sigma), seed=seed,
                                      progress=progress)
            frame = pd.DataFrame(rows)
            trained = getattr(denoiser, "trained_sigma", None)
            frame.insert(3, "trained_sigma", np.nan if trained is None else float(trained))
            frames.append(frame)
            if on_setting is not None:
                on_setting(pd.concat(frames, ignore_index=True))
    return order_scores(pd.concat(frames, ignore_index=True), denoisers=denoisers, sigmas=sigmas)


def order_scores(per_image, *, denoisers=None, sigmas=None):
    """Rows sorted by sigma, then method in the order of ``denoisers`` (else as they come), then image
    as they come; only the settings of ``sigmas`` and ``denoisers`` when given."""
    table = per_image
    if sigmas is not None:
        table = table[table.sigma.isin([float(s) for s in sigmas])]
    methods = [d.name for d in denoisers] if denoisers is not None else list(dict.fromkeys(table.method))
    table = table[table.method.isin(methods)]
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


def _bar(total: int, desc: str, *, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="image")
