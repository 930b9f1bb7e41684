"""One network, three tasks: the authors' DnCNN-3 by their test protocol (``Demo_test_DnCNN3.m``),
and the colour row (CDnCNN-B against colour BM3D). Notebook 05's logic; ``python -m dncnn tasks``
measures the whole table from the shell.

Protocol, per task (MATLAB operations from :mod:`dncnn.data.matlab`):

- Gaussian denoising (BSD68, grey): noise as notebook 04 (numpy, seeded per image), input not
  clipped; output rounded to uint8; PSNR and SSIM against the uint8 image, no border shaved.
- Super-resolution (Set5, Set14): the image is cropped to a multiple of the scale (top-left kept),
  shrunk with bicubic ``imresize`` (antialiased) on uint8 and enlarged back with bicubic
  ``imresize`` in double precision. A colour image's network input is the Y of ``rgb2ycbcr`` of the
  enlarged image and its target the Y of the original (both unrounded, [16, 235] / 255); a grey
  image (``bridge.bmp``) is enlarged as uint8 and used at full range. PSNR and SSIM on unrounded
  values, ``ceil(scale)`` pixels shaved from every border. The bicubic row is the network's input.
- JPEG deblocking (classic5, LIVE1): Y of ``rgb2ycbcr`` on uint8 (colour) or the grey image, JPEG
  at IJG quality Q and decoded; output rounded to uint8; no border shaved. The JPEG row is the
  decoded image.
- SSIM everywhere: Wang et al.'s ``ssim_index`` (11x11 Gaussian window, sigma 1.5, valid region).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..data import matlab
from ..data.noise import add_gaussian_noise
from .protocol import run_denoiser

SIGMAS = (15.0, 25.0, 50.0)
SCALES = (2, 3, 4)
QUALITIES = (10, 20, 30, 40)
SETS = {"denoising": ("BSD68",), "super-resolution": ("Set5", "Set14"), "jpeg": ("classic5", "LIVE1")}
COLOUR_SET, COLOUR_SIGMA = "LIVE1", 25.0

PROTOCOL = (
    "The authors' DnCNN-3 protocol (Demo_test_DnCNN3.m) with MATLAB's imresize (bicubic, antialiased "
    "when shrinking), rgb2ycbcr and IJG JPEG quality ported in dncnn/data/matlab.py. Denoising: BSD68 with "
    "numpy Gaussian noise seeded per image, output rounded to uint8. Super-resolution: Y of rgb2ycbcr "
    "(grey bridge.bmp at full range), unrounded, ceil(scale) pixels shaved; the bicubic row is the "
    "network's input. JPEG: Y (uint8) encoded at quality Q and decoded, output rounded to uint8; the "
    "JPEG row is the decoded image. SSIM: Wang et al.'s ssim_index (11x11 Gaussian, sigma 1.5, valid). "
    "Colour row: CDnCNN-B and colour BM3D (bm3d_rgb, one thread per image) on RGB at sigma 25, "
    "rounded to uint8, PSNR over all channels, SSIM averaged over channels. BSD100 and Urban100 are "
    "not in the authors' repository and CBSD68 (the paper's colour set) neither: they are left out."
)

# Paper Table V (the authors' README and model/README.txt at the pinned commit): DnCNN-3, PSNR / SSIM.
PAPER_DNCNN3 = {
    ("denoising", "BSD68", 15): (31.46, 0.8826), ("denoising", "BSD68", 25): (29.02, 0.8190),
    ("denoising", "BSD68", 50): (26.10, 0.7076),
    ("super-resolution", "Set5", 2): (37.58, 0.9590), ("super-resolution", "Set5", 3): (33.75, 0.9222),
    ("super-resolution", "Set5", 4): (31.40, 0.8845),
    ("super-resolution", "Set14", 2): (33.03, 0.9128), ("super-resolution", "Set14", 3): (29.81, 0.8321),
    ("super-resolution", "Set14", 4): (28.04, 0.7672),
    ("jpeg", "classic5", 10): (29.40, 0.8026), ("jpeg", "classic5", 20): (31.63, 0.8610),
    ("jpeg", "classic5", 30): (32.91, 0.8861), ("jpeg", "classic5", 40): (33.77, 0.9003),
    ("jpeg", "LIVE1", 10): (29.19, 0.8123), ("jpeg", "LIVE1", 20): (31.59, 0.8802),
    ("jpeg", "LIVE1", 30): (32.98, 0.9090), ("jpeg", "LIVE1", 40): (33.96, 0.9247),
}
# The bicubic baseline every super-resolution paper reports (rounded Y, scale pixels shaved).
PAPER_BICUBIC = {
    ("Set5", 2): (33.66, 0.9299), ("Set5", 3): (30.39, 0.8682), ("Set5", 4): (28.42, 0.8104),
    ("Set14", 2): (30.24, 0.8688), ("Set14", 3): (27.55, 0.7742), ("Set14", 4): (26.00, 0.7027),
}
BASELINE = {"denoising": "noisy input", "super-resolution": "bicubic", "jpeg": "JPEG"}


def crop_center(image: np.ndarray, size: int | None, *, multiple: int = 1) -> np.ndarray:
    """The central ``size`` x ``size`` crop (top-left corner on a multiple of ``multiple``) of an HxW or
    HxWxC image; the image itself when ``size`` is None or not smaller than both sides."""
    if size is None or size >= min(image.shape[:2]):
        return image
    if size < 1:
        raise ValueError(f"crop size must be >= 1. Received: size={size}")
    top = (image.shape[0] - size) // 2 // multiple * multiple
    left = (image.shape[1] - size) // 2 // multiple * multiple
    return image[top:top + size, left:left + size]


def prepare_super_resolution(image: np.ndarray, scale: int) -> dict:
    """The authors' super-resolution pair for one uint8 image (HxW grey or HxWx3 RGB).

    Returns:
        ``{"target", "input", "colour", "shave", "ycbcr"}``: ``target`` and ``input`` HxW float32 on
        the [0, 1] scale (Y in [16, 235] / 255 for colour, unrounded), ``shave = ceil(scale)``,
        ``ycbcr`` the enlarged image's YCbCr (float64, for putting colour back) or None for grey.
    """
    hr = matlab.modcrop(np.asarray(image), scale)
    lr = matlab.imresize(hr, 1 / scale)
    if hr.ndim == 3:
        bicubic = matlab.imresize(lr / 255.0, scale)
        ycbcr = matlab.rgb2ycbcr(bicubic)
        target = matlab.rgb2y(hr / 255.0)
        net_input = ycbcr[:, :, 0]
    else:
        ycbcr, target = None, hr / 255.0
        net_input = matlab.imresize(lr, scale) / 255.0
    return {"target": target.astype(np.float32), "input": net_input.astype(np.float32), "colour": hr.ndim == 3,
            "shave": int(math.ceil(scale)), "ycbcr": ycbcr}


def score_bicubic(image: np.ndarray, scale: int) -> dict:
    """The bicubic baseline as super-resolution papers report it (SRCNN's and VDSR's test code): Y of
    ``rgb2ycbcr`` in double precision (a grey image as it is), cropped to a multiple of ``scale``,
    shrunk and enlarged with bicubic ``imresize`` in double precision, rounded to uint8; PSNR and SSIM
    with ``scale`` pixels shaved. Returns ``{"psnr", "ssim"}``."""
    hr = matlab.modcrop(np.asarray(image), scale)
    y = matlab.rgb2y(hr / 255.0) * 255.0 if hr.ndim == 3 else hr.astype(np.float64)
    bicubic = matlab.imresize(matlab.imresize(y / 255.0, 1 / scale), scale) * 255.0
    return score(matlab.round_uint8(y), matlab.round_uint8(bicubic), shave=scale)


def prepare_jpeg(image: np.ndarray, quality: int) -> dict:
    """The authors' JPEG pair for one uint8 image: ``target`` HxW uint8 (Y of ``rgb2ycbcr`` for colour)
    and ``jpeg`` HxW uint8, the target encoded at IJG ``quality`` and decoded."""
    target = matlab.rgb2y(image) if np.asarray(image).ndim == 3 else np.asarray(image)
    return {"target": target, "jpeg": matlab.jpeg_roundtrip(target, quality)}


def score(target: np.ndarray, estimate: np.ndarray, *, shave: int = 0) -> dict:
    """``{"psnr", "ssim"}`` of an estimate against a target, both on the 0-255 scale (HxW or HxWx3;
    colour SSIM is the mean over channels, as the authors' ``Cal_PSNRSSIM``)."""
    target, estimate = np.asarray(target, dtype=np.float64), np.asarray(estimate, dtype=np.float64)
    if target.ndim == 3:
        ssim = float(np.mean([matlab.compute_ssim(target[..., c], estimate[..., c], shave=shave) for c in range(3)]))
    else:
        ssim = matlab.compute_ssim(target, estimate, shave=shave)
    return {"psnr": matlab.compute_psnr(target, estimate, shave=shave), "ssim": ssim}


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float [0, 1] -> uint8 [0, 255] as MATLAB's ``im2uint8`` (clipped, rounded half away from zero)."""
    return matlab.round_uint8(np.asarray(image, dtype=np.float64) * 255.0)


def evaluate_denoising(model, images, names, *, dataset: str, sigma: float, seed: int = 0) -> list[dict]:
    """DnCNN-3 (``model(noisy, sigma)``, HxW float32 in and out) on grey uint8 images at ``sigma``:
    rows for the noisy input and the network (output rounded to uint8, no shave)."""
    rows = []
    for index, (clean, name) in enumerate(zip(images, names)):
        noisy = add_gaussian_noise(clean, sigma, seed=seed, index=index)
        estimate, seconds = _timed(model, noisy, sigma)
        for method, image, secs in (("noisy input", noisy, 0.0), (model.name, estimate, seconds)):
            rows.append(_row("denoising", dataset, sigma, method, name, score(clean, to_uint8(image)), secs))
    return rows


def evaluate_super_resolution(model, images, names, *, dataset: str, scale: int) -> list[dict]:
    """Bicubic and DnCNN-3 at ``scale`` on uint8 images (grey or RGB): unrounded Y, ``ceil(scale)`` shaved."""
    rows = []
    for image, name in zip(images, names):
        pair = prepare_super_resolution(image, scale)
        estimate, seconds = _timed(model, pair["input"], None)
        for method, out, secs in (("bicubic", pair["input"], 0.0), (model.name, estimate, seconds)):
            rows.append(_row("super-resolution", dataset, scale, method, name,
                             score(pair["target"] * 255.0, np.asarray(out, np.float64) * 255.0, shave=pair["shave"]), secs))
    return rows


def evaluate_jpeg(model, images, names, *, dataset: str, quality: int) -> list[dict]:
    """The decoded JPEG and DnCNN-3 at IJG ``quality``: Y (uint8), output rounded to uint8, no shave."""
    rows = []
    for image, name in zip(images, names):
        pair = prepare_jpeg(image, quality)
        estimate, seconds = _timed(model, pair["jpeg"].astype(np.float32) / np.float32(255.0), None)
        for method, out, secs in (("JPEG", pair["jpeg"], 0.0), (model.name, to_uint8(estimate), seconds)):
            rows.append(_row("jpeg", dataset, quality, method, name, score(pair["target"], out), secs))
    return rows


def evaluate_colour(denoisers, images, names, *, dataset: str = COLOUR_SET, sigma: float = COLOUR_SIGMA,
                    seed: int = 0) -> list[dict]:
    """Colour denoisers (HxWx3 float32 in and out; BM3D's ``denoise_many`` runs images in parallel
    processes) on RGB uint8 images at ``sigma``, plus the noisy input: RGB rounded to uint8."""
    noisies = [add_gaussian_noise(image, sigma, seed=seed, index=index) for index, image in enumerate(images)]
    rows = [_row("colour denoising", dataset, sigma, "noisy input", name, score(image, to_uint8(noisy)), 0.0)
            for image, noisy, name in zip(images, noisies, names)]
    for denoiser in denoisers:
        results = run_denoiser(denoiser, noisies, sigma)
        rows += [_row("colour denoising", dataset, sigma, denoiser.name, name, score(image, to_uint8(estimate)), secs)
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
    """The authors' DnCNN-3 (``model/DnCNN3.mat``, fetched and verified) as a denoiser, named "DnCNN-3"."""
    from .denoisers import KerasDenoiser
    from ..model.reference import load_reference_model

    return KerasDenoiser(load_reference_model("dncnn3"), name="DnCNN-3")


def load_task_images(dataset: str, *, limit: int | None = None, crop: int | None = None, raw_dir=None):
    """``(names, images)`` of one set (fetched and verified), the first ``limit`` images, each cut to
    its central ``crop`` x ``crop`` square (corner on a multiple of 24, so that every scale and the
    8x8 JPEG grid see a whole image). BSD68 images are grey; the others as stored (RGB or grey)."""
    from .. import config
    from ..data.datasets import load_colour_dataset

    names, images = load_colour_dataset(dataset, root=raw_dir or config.RAW_DIR, limit=limit)
    return names, [crop_center(image, crop, multiple=24) for image in images]


def evaluate_three_tasks(model, *, images: int | None = None, crop: int | None = None, sigmas=SIGMAS,
                         scales=SCALES, qualities=QUALITIES, seed: int = 0, raw_dir=None, progress: bool = True,
                         tasks=("denoising", "super-resolution", "jpeg"), on_setting=None):
    """Every task, set and level of notebook 05 with one model: a per-image DataFrame (columns
    ``task, dataset, level, method, image, psnr, ssim, seconds``).

    Args:
        model: a denoiser (``model(x, sigma)``, HxW float32 in [0, 1] in and out), e.g. :func:`dncnn3_denoiser`.
        images: the first N images of each set (None: all). crop: central square side (None: whole image).
        tasks: the tasks to run, in this order.
        on_setting: called with the rows so far (a list of dicts) after each task, set and level.
    """
    import pandas as pd

    levels = {"denoising": sigmas, "super-resolution": scales, "jpeg": qualities}
    jobs = [(task, s, v) for task in tasks for s in SETS[task] for v in levels[task]]
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


def plan_tasks(profile, *, full: bool | None = None, accelerator: bool | None = None, check_images: int = 2) -> dict:
    """What notebook 05 runs for ``profile``: its images and crops, or a check of the committed table.

    A profile that evaluates every image (``tasks_images=None``, ``paper``) and is accelerator work
    runs the whole table on a machine with a GPU. Without one (unless ``full=True``) it reruns the
    first ``check_images`` whole images of each set (and 1 colour image) and compares them with the
    committed full table in ``results/dncnn3/`` (:func:`check_against_table`): the full table takes
    about 25 minutes on 2 cores, and a laptop run of the paper profile must fit in 45.

    Returns:
        ``{"images", "crop", "colour_images", "colour_crop", "check_table", "reason"}``;
        ``check_table`` is the committed per-image CSV to compare with, or None.
    """
    from .. import config
    from ..files.provenance import has_accelerator

    plan = {"images": profile.tasks_images, "crop": profile.tasks_crop, "colour_images": profile.colour_images,
            "colour_crop": profile.colour_crop, "check_table": None,
            "reason": f"the profile's images ({profile.tasks_images or 'all'} per set, crop {profile.tasks_crop or 'none'})"}
    whole = profile.tasks_images is None and profile.tasks_crop is None
    if not whole or full is True:
        return plan
    accelerator = has_accelerator() if accelerator is None else accelerator
    if full is None and (accelerator or not profile.accelerator_only):
        return plan
    table = config.TASKS_TABLE_DIR / "tasks_per_image.csv"
    if not table.exists():
        raise FileNotFoundError(f"{table} is missing (it is committed; `python -m dncnn tasks --colour-images -1` "
                                f"remakes it), or set full_tasks = True to run every image here")
    plan.update(images=check_images, colour_images=1, check_table=str(table),
                reason=(f"every image takes about 25 min on 2 cores and this machine has no GPU: the first {check_images} "
                        f"whole images of each set (1 colour image) are rerun and compared with the committed full table "
                        f"{table.relative_to(config.PROJECT_ROOT)}; full_tasks = True runs every image"))
    return plan


def check_against_table(per_image, table, *, keys=("task", "dataset", "level", "method", "image")):
    """Rows measured here beside the same rows of a committed per-image table.

    Args:
        per_image: DataFrame of :func:`evaluate_three_tasks` / :func:`evaluate_colour` rows.
        table: the committed table (a DataFrame, or the path of its CSV).

    Returns:
        DataFrame with ``keys``, ``psnr``, ``psnr_table``, ``psnr_diff`` (here minus table) and the
        same for SSIM, one row per measured row.

    Raises:
        ValueError: a measured row has no counterpart in the table (naming the first one).
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
    return merged


def _progress(items, *, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="task/set/level", unit="setting")


def summarize_tasks(per_image, *, reference: bool = True):
    """Mean PSNR/SSIM per (task, dataset, level, method), each setting followed by the paper's DnCNN-3
    row (and, for super-resolution, the published bicubic row), labelled ``paper (reference)``.

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
                                      "source": "paper (reference)", "images": np.nan, "psnr": psnr, "ssim": ssim}]))
    return pd.concat(out, ignore_index=True)


def format_markdown(summary) -> str:
    """The summary as a Markdown table (PSNR to 2 decimals, SSIM to 4)."""
    lines = ["| task | dataset | level | method | source | images | PSNR (dB) | SSIM |", "|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples(index=False):
        label = {"denoising": "sigma {:g}", "colour denoising": "sigma {:g}", "super-resolution": "x{:g}",
                 "jpeg": "q {:g}"}.get(r.task, "{:g}").format(r.level)
        images = "" if np.isnan(r.images) else f"{int(r.images)}"
        lines.append(f"| {r.task} | {r.dataset} | {label} | {r.method} | {r.source} | {images} | {r.psnr:.2f} | {r.ssim:.4f} |")
    return "\n".join(lines) + "\n"


def compare_with_paper(summary, *, method: str = "DnCNN-3") -> "object":
    """Measured minus paper PSNR for every DnCNN-3 row that has a paper value: DataFrame
    ``task, dataset, level, images, psnr, paper_psnr, delta_psnr, ssim, paper_ssim``."""
    import pandas as pd

    rows = []
    for r in summary[(summary.method == method) & (summary.source == "measured")].itertuples(index=False):
        key = (r.task, r.dataset, int(r.level))
        if key in PAPER_DNCNN3:
            psnr, ssim = PAPER_DNCNN3[key]
            rows.append({"task": r.task, "dataset": r.dataset, "level": r.level, "images": r.images, "psnr": r.psnr,
                         "paper_psnr": psnr, "delta_psnr": r.psnr - psnr, "ssim": r.ssim, "paper_ssim": ssim})
    return pd.DataFrame(rows)


def write_task_tables(per_image, summary, *, out_dir, extra: dict | None = None) -> dict:
    """Write ``tasks_per_image.csv``, ``tasks_summary.csv``, ``tasks_summary.md`` (with the protocol)
    and ``tasks_summary.json`` into ``out_dir``; return their paths."""
    from pathlib import Path

    from ..files import atomic, provenance

    out_dir = Path(out_dir)
    facts = provenance.provenance()
    machine = f"Measured on {facts['device']}, Keras {facts['versions'].get('keras', '?')} on {facts['backend']}."
    return {
        "per_image": atomic.save_csv(out_dir / "tasks_per_image.csv", per_image),
        "summary_csv": atomic.save_csv(out_dir / "tasks_summary.csv", summary),
        "summary_md": atomic.save_text(out_dir / "tasks_summary.md", format_markdown(summary) + "\n" + PROTOCOL + "\n\n" + machine + "\n"),
        "summary_json": atomic.save_json(out_dir / "tasks_summary.json", {"protocol": PROTOCOL, **(extra or {}), **facts}),
    }


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
        (fmt("noisy", score(clean, to_uint8(noisy))), np.clip(noisy, 0, 1)),
        (fmt(model.name, score(clean, to_uint8(est))), np.clip(est, 0, 1)), ("clean", clean / 255.0)]})
    names, images = load_task_images("Set5", limit=1, crop=crop, raw_dir=raw_dir)
    pair = prepare_super_resolution(images[0], scale)
    est = model(pair["input"], None)
    s_bic = score(pair["target"] * 255.0, pair["input"] * 255.0, shave=pair["shave"])
    s_net = score(pair["target"] * 255.0, np.asarray(est, np.float64) * 255.0, shave=pair["shave"])
    out.append({"title": f"super-resolution, Set5 {names[0]}, x{scale} (Y)", "panels": [
        (fmt("bicubic", s_bic), pair["input"]), (fmt(model.name, s_net), np.clip(est, 0, 1)), ("original", pair["target"])]})
    names, images = load_task_images("classic5", limit=1, crop=crop, raw_dir=raw_dir)
    pair = prepare_jpeg(images[0], quality)
    est = to_uint8(model(pair["jpeg"].astype(np.float32) / 255.0, None))
    out.append({"title": f"JPEG deblocking, classic5 {names[0]}, quality {quality}", "panels": [
        (fmt("JPEG", score(pair["target"], pair["jpeg"])), pair["jpeg"] / 255.0),
        (fmt(model.name, score(pair["target"], est)), est / 255.0), ("original", pair["target"] / 255.0)]})
    if colour_denoisers:
        names, images = load_task_images(COLOUR_SET, limit=1, crop=colour_crop, raw_dir=raw_dir)
        clean = images[0]
        noisy = add_gaussian_noise(clean, COLOUR_SIGMA, seed=0, index=0)
        panels = [(fmt("noisy", score(clean, to_uint8(noisy))), np.clip(noisy, 0, 1))]
        for denoiser in colour_denoisers:
            est = denoiser(noisy, COLOUR_SIGMA)
            panels.append((fmt(denoiser.name, score(clean, to_uint8(est))), np.clip(est, 0, 1)))
        out.append({"title": f"colour denoising, {COLOUR_SET} {names[0]}, sigma {COLOUR_SIGMA:g}",
                    "panels": panels + [("clean", clean / 255.0)]})
    return out
