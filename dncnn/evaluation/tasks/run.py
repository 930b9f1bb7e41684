"""Running DnCNN-3's three tasks (and the colour row) image by image: the per-image rows of notebook
05 and ``python -m dncnn tasks``, and one example per task for the crop figure.
"""

from __future__ import annotations

import time

import numpy as np

from ...data import matlab
from ...data.noise import add_gaussian_noise
from ...model.catalog import get_entry
from ..protocol import run_denoiser
from .inputs import COLOUR_SET, COLOUR_SIGMA, QUALITIES, SCALES, SETS, SIGMAS, load_task_images, prepare_jpeg, prepare_super_resolution
from .scoring import matlab_scores

NOISY = get_entry("noisy").name  # the noisy input's rows


def evaluate_denoising(model, images, names, *, dataset: str, sigma: float, seed: int = 0) -> list[dict]:
    """DnCNN-3 (``model(noisy, sigma)``, HxW float32 in and out) on grey uint8 images at ``sigma``:
    rows for the noisy input and the network (output rounded to uint8, no shave)."""
    rows = []
    for index, (clean, name) in enumerate(zip(images, names)):
        noisy = add_gaussian_noise(clean, sigma, seed=seed, index=index)
        estimate, seconds = _timed(model, noisy, sigma)
        for method, image, secs in ((NOISY, noisy, 0.0), (model.name, estimate, seconds)):
            rows.append(_row("denoising", dataset, sigma, method, name, matlab_scores(clean, matlab.im2uint8(image)), secs))
    return rows


def evaluate_super_resolution(model, images, names, *, dataset: str, scale: int) -> list[dict]:
    """Bicubic and DnCNN-3 at ``scale`` on uint8 images (grey or RGB): unrounded Y, ``ceil(scale)`` shaved."""
    rows = []
    for image, name in zip(images, names):
        pair = prepare_super_resolution(image, scale)
        estimate, seconds = _timed(model, pair["input"], None)
        for method, out, secs in (("bicubic", pair["input"], 0.0), (model.name, estimate, seconds)):
            rows.append(_row("super-resolution", dataset, scale, method, name,
                             matlab_scores(pair["target"] * 255.0, np.asarray(out, np.float64) * 255.0, shave=pair["shave"]), secs))
    return rows


def evaluate_jpeg(model, images, names, *, dataset: str, quality: int) -> list[dict]:
    """The decoded JPEG and DnCNN-3 at IJG ``quality``: Y (uint8), output rounded to uint8, no shave."""
    rows = []
    for image, name in zip(images, names):
        pair = prepare_jpeg(image, quality)
        estimate, seconds = _timed(model, pair["jpeg"].astype(np.float32) / np.float32(255.0), None)
        for method, out, secs in (("JPEG", pair["jpeg"], 0.0), (model.name, matlab.im2uint8(estimate), seconds)):
            rows.append(_row("jpeg", dataset, quality, method, name, matlab_scores(pair["target"], out), secs))
    return rows


def evaluate_colour(denoisers, images, names, *, dataset: str = COLOUR_SET, sigma: float = COLOUR_SIGMA,
                    seed: int = 0) -> list[dict]:
    """Colour denoisers (HxWx3 float32 in and out; BM3D's ``denoise_many`` runs images in parallel
    processes) on RGB uint8 images at ``sigma``, plus the noisy input: RGB rounded to uint8."""
    noisies = [add_gaussian_noise(image, sigma, seed=seed, index=index) for index, image in enumerate(images)]
    rows = [_row("colour denoising", dataset, sigma, NOISY, name, matlab_scores(image, matlab.im2uint8(noisy)), 0.0)
            for image, noisy, name in zip(images, noisies, names)]
    for denoiser in denoisers:
        results = run_denoiser(denoiser, noisies, sigma)
        rows += [_row("colour denoising", dataset, sigma, denoiser.name, name, matlab_scores(image, matlab.im2uint8(estimate)), secs)
                 for image, name, (estimate, secs) in zip(images, names, results)]
    return rows


def _timed(model, x, sigma):
    """``(model(x, sigma), seconds it took)``."""
    start = time.perf_counter()
    estimate = model(x, sigma)
    return estimate, time.perf_counter() - start


def _row(task, dataset, level, method, image, scores, seconds) -> dict:
    return {"task": task, "dataset": dataset, "level": float(level), "method": method, "image": image,
            **scores, "seconds": float(seconds)}


def dncnn3_denoiser():
    """The authors' DnCNN-3 (``model/DnCNN3.mat``, fetched and verified) as a denoiser, under its
    catalogue name ("DnCNN-3")."""
    from ...model.catalog import get_entry
    from ..denoisers import load_entry_denoiser

    return load_entry_denoiser(get_entry("dncnn3"))


def evaluate_three_tasks(model, *, images: int | None = None, crop: int | None = None, sigmas=SIGMAS,
                         scales=SCALES, qualities=QUALITIES, seed: int = 0, raw_dir=None, progress: bool = True,
                         tasks=("denoising", "super-resolution", "jpeg"), skip=(), on_setting=None):
    """Every task, set and level of notebook 05 with one model: a per-image DataFrame (columns
    ``task, dataset, level, method, image, psnr, ssim, seconds``).

    Args:
        model: a denoiser (``model(x, sigma)``, HxW float32 in [0, 1] in and out), e.g. :func:`dncnn3_denoiser`.
        images: the first N images of each set (None: all). crop: central square side (None: whole image).
        tasks: the tasks to run, in this order.
        skip: ``(task, dataset, level)`` settings to leave out (those a committed table already holds).
        on_setting: called with the rows so far (a list of dicts) after each task, set and level.
    """
    import pandas as pd

    skip = {(task, dataset, float(level)) for task, dataset, level in skip}
    jobs = [job for job in list_task_jobs(tasks=tasks, sigmas=sigmas, scales=scales, qualities=qualities) if job not in skip]
    loaded, rows = {}, []
    for task, dataset, level in _progress(jobs, enabled=progress):
        if dataset not in loaded:
            loaded[dataset] = load_task_images(dataset, limit=images, crop=crop, raw_dir=raw_dir)
        names, imgs = loaded[dataset]
        if task == "denoising":
            rows += evaluate_denoising(model, imgs, names, dataset=dataset, sigma=level, seed=seed)
        elif task == "super-resolution":
            rows += evaluate_super_resolution(model, imgs, names, dataset=dataset, scale=int(level))
        else:
            rows += evaluate_jpeg(model, imgs, names, dataset=dataset, quality=int(level))
        if on_setting is not None:
            on_setting(rows)
    return pd.DataFrame(rows)


def list_task_jobs(*, tasks=("denoising", "super-resolution", "jpeg"), sigmas=SIGMAS, scales=SCALES,
                   qualities=QUALITIES) -> list[tuple[str, str, float]]:
    """Every ``(task, dataset, level)`` setting of DnCNN-3's table, in the order the table lists them
    (``level`` a float: sigma, scale or JPEG quality)."""
    levels = {"denoising": sigmas, "super-resolution": scales, "jpeg": qualities}
    return [(task, dataset, float(level)) for task in tasks for dataset in SETS[task] for level in levels[task]]


def _progress(items, *, enabled: bool):
    if not enabled:
        return items
    from ...runtime.progress import progress_bar

    return progress_bar(items, desc="task/set/level", unit="setting")


def task_examples(model, *, crop: int | None = 96, raw_dir=None, sigma: float = 25.0, scale: int = 3,
                  quality: int = 10, colour_denoisers=(), colour_crop: int | None = 96) -> list[dict]:
    """One example per task for the crop figure: the first image of BSD68, Set5, classic5 (and LIVE1
    for the colour denoisers), each task at one level.

    Returns:
        ``[{"title", "panels": [(label, HxW or HxWx3 float image in [0, 1]), ...]}, ...]``; each label
        carries its PSNR (dB) where there is one.
    """
    def fmt(label, s):
        return f"{label}\n{s['psnr']:.2f} dB"

    out = []
    names, images = load_task_images("BSD68", limit=1, crop=crop, raw_dir=raw_dir)
    clean = images[0]
    noisy = add_gaussian_noise(clean, sigma, seed=0, index=0)
    est = model(noisy, sigma)
    out.append({"title": f"denoising, BSD68 {names[0]}, sigma {sigma:g}", "panels": [
        (fmt("noisy", matlab_scores(clean, matlab.im2uint8(noisy))), np.clip(noisy, 0, 1)),
        (fmt(model.name, matlab_scores(clean, matlab.im2uint8(est))), np.clip(est, 0, 1)), ("clean", clean / 255.0)]})
    names, images = load_task_images("Set5", limit=1, crop=crop, raw_dir=raw_dir)
    pair = prepare_super_resolution(images[0], scale)
    est = model(pair["input"], None)
    s_bic = matlab_scores(pair["target"] * 255.0, pair["input"] * 255.0, shave=pair["shave"])
    s_net = matlab_scores(pair["target"] * 255.0, np.asarray(est, np.float64) * 255.0, shave=pair["shave"])
    out.append({"title": f"super-resolution, Set5 {names[0]}, x{scale} (Y)", "panels": [
        (fmt("bicubic", s_bic), pair["input"]), (fmt(model.name, s_net), np.clip(est, 0, 1)), ("original", pair["target"])]})
    names, images = load_task_images("classic5", limit=1, crop=crop, raw_dir=raw_dir)
    pair = prepare_jpeg(images[0], quality)
    est = matlab.im2uint8(model(pair["jpeg"].astype(np.float32) / 255.0, None))
    out.append({"title": f"JPEG deblocking, classic5 {names[0]}, quality {quality}", "panels": [
        (fmt("JPEG", matlab_scores(pair["target"], pair["jpeg"])), pair["jpeg"] / 255.0),
        (fmt(model.name, matlab_scores(pair["target"], est)), est / 255.0), ("original", pair["target"] / 255.0)]})
    if colour_denoisers:
        names, images = load_task_images(COLOUR_SET, limit=1, crop=colour_crop, raw_dir=raw_dir)
        clean = images[0]
        noisy = add_gaussian_noise(clean, COLOUR_SIGMA, seed=0, index=0)
        panels = [(fmt("noisy", matlab_scores(clean, matlab.im2uint8(noisy))), np.clip(noisy, 0, 1))]
        for denoiser in colour_denoisers:
            est = denoiser(noisy, COLOUR_SIGMA)
            panels.append((fmt(denoiser.name, matlab_scores(clean, matlab.im2uint8(est))), np.clip(est, 0, 1)))
        out.append({"title": f"colour denoising, {COLOUR_SET} {names[0]}, sigma {COLOUR_SIGMA:g}",
                    "panels": panels + [("clean", clean / 255.0)]})
    return out
