"""Denoising a user's own image files (``python -m dncnn denoise NOISY CLEAN`` or ``... IN... --out-dir DIR``).

No noise is added: the image is what the user has. Large images are processed in tiles whose
margins exceed the network's receptive field, so memory stays bounded and the result equals
whole-image inference (within float rounding).

A user's files are never damaged: an output that is the input itself is refused, an existing file
is replaced only with ``overwrite``, a truncated input is refused unless ``accept_truncated``, and
each output is written to a temporary name and renamed when complete. Several images (or folders of
them) are denoised with one model, loaded and compiled once; a bad file is reported and skipped.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from ..files.images import SUFFIXES, ImageError, OutputError, TruncatedImageError, read_noisy_colour_image, read_noisy_image, write_image

DEFAULT_TILE = 512


def check_output(noisy: str | Path, clean: str | Path, *, overwrite: bool = False) -> None:
    """Refuse an output that cannot or must not be written, before any work is done.

    Raises:
        ValueError: if ``clean`` does not end in an image suffix.
        OutputError: naming the file if ``clean`` is the input itself (always refused), a folder,
            or an existing file and ``overwrite`` is false.
    """
    noisy, clean = Path(noisy), Path(clean)
    if clean.suffix.lower() not in SUFFIXES:
        raise ValueError(f"output must end in one of {', '.join(SUFFIXES)}. Received: {clean.name}")
    target = resolve_output(clean)
    if not os.path.lexists(target):
        return
    if target.is_dir():
        raise OutputError(f"{clean} is a folder; give a file name, or use --out-dir {clean} to write into it")
    if noisy.exists() and os.path.samefile(noisy, target):
        raise OutputError(f"{clean} is the input itself: writing there would destroy the noisy original; "
                          f"choose another output name (--overwrite does not allow this). Received: {noisy} -> {clean}")
    if not overwrite:
        raise OutputError(f"{clean} already exists; pass --overwrite to replace it")


def resolve_output(path: str | Path) -> Path:
    """The file that writing ``path`` will replace, once its missing folders exist: links resolved,
    and a ``..`` after a missing folder taken lexically (``sub/../keep.png`` is ``keep.png`` even
    before ``sub/`` is created), so a check made before any folder is created holds for the write."""
    return Path(os.path.realpath(path))


def check_sigma(sigma: float | str | None) -> None:
    """Raise ``ValueError`` unless ``sigma`` is ``None``, ``"auto"`` or in [0, 255]."""
    if sigma == AUTO:
        return
    if sigma is not None and not 0 <= float(sigma) <= 255:
        raise ValueError(f"sigma must be in [0, 255]. Received: sigma={sigma}")


def denoise_tiled(denoiser, image: np.ndarray, *, sigma: float | None = None, tile: int = DEFAULT_TILE, margin: int = 35,
                  progress=None) -> np.ndarray:
    """Apply ``denoiser(noisy, sigma)`` tile by tile.

    Each ``tile`` x ``tile`` block is denoised with ``margin`` extra pixels of context on every side
    that has image there, and only its centre is kept. With ``margin`` at least the network's
    receptive radius (17 for 17 layers; the default 35 is its whole receptive field) the result
    equals whole-image inference. ``progress(total)`` (e.g. :func:`dncnn.files.progress.tile_progress`)
    gives a bar that is updated after each of the ``total`` tiles of an image larger than one tile.
    """
    if tile < 1 or margin < 0:
        raise ValueError(f"tile must be >= 1 and margin >= 0. Received: tile={tile}, margin={margin}")
    h, w = image.shape[:2]
    if h <= tile and w <= tile:
        return denoiser(image, sigma)
    out = np.empty(image.shape, np.float32)
    bar = progress(-(-h // tile) * -(-w // tile)) if progress is not None else None
    try:
        for top in range(0, h, tile):
            for left in range(0, w, tile):
                t0, l0 = max(top - margin, 0), max(left - margin, 0)
                b1, r1 = min(top + tile + margin, h), min(left + tile + margin, w)
                block = denoiser(image[t0:b1, l0:r1], sigma)
                bh, bw = min(tile, h - top), min(tile, w - left)
                out[top:top + bh, left:left + bw] = block[top - t0:top - t0 + bh, left - l0:left - l0 + bw]
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    return out


OURS = "ours"  # --model ours: this project's shipped DnCNN-S (weights/dncnn-s-sigma25.keras)


def load_denoiser(*, weights: str | Path | None = None, model: str | None = None, sigma: float | None = None):
    """The network for the CLI: ``weights`` (.keras of ours, folded, or an authors' .mat), else a
    model by name: ``ours`` (this project's shipped DnCNN-S, trained for sigma 25) or an authors'
    released model; by default the authors' DnCNN-S for ``sigma`` in 15/25/50, else their blind DnCNN-B."""
    from ..model.network import fold_batchnorm, receptive_field
    from ..model.reference import REFERENCE_MODELS, load_reference_model
    from ..model.weights import SHIPPED_MODELS, load_model, load_shipped_model
    from ..evaluation.denoisers import KerasDenoiser

    if weights is not None and model is not None:
        raise ValueError("give --weights or --model, not both")
    if weights is not None:
        weights = Path(weights)
        if weights.suffix == ".mat":
            net, label = load_reference_model(weights), weights.name
        elif weights.suffix == ".keras":
            net, label = load_model(weights), weights.name
            if any("_bn" in layer.name for layer in net.layers):
                net = fold_batchnorm(net)
        else:
            raise ValueError(f"--weights must be a .keras model of this project or an authors' .mat file. Received: {weights}")
    else:
        if model is None:
            model = f"dncnn_s_sigma{int(sigma)}" if sigma is not None and float(sigma) in (15.0, 25.0, 50.0) else "dncnn_b_gray_blind"
        if model == OURS:
            trained = SHIPPED_MODELS["dncnn-s-sigma25"]["sigma"]
            if sigma is not None and float(sigma) != trained:
                raise ValueError(f"--model ours is trained for sigma {trained:g} only; for sigma {float(sigma):g} use the "
                                 f"authors' blind model (leave out --model). Received: sigma={sigma}")
            net, label = fold_batchnorm(load_shipped_model("dncnn-s-sigma25")), SHIPPED_MODELS["dncnn-s-sigma25"]["label"]
        elif model in REFERENCE_MODELS:
            net, label = load_reference_model(model), model
        else:
            allowed = ", ".join([OURS, *REFERENCE_MODELS])
            raise ValueError(f"unknown model {model!r}: allowed are {allowed}. Received: {model!r}")
    depth = sum("_conv" in layer.name for layer in net.layers)
    return KerasDenoiser(net, name=label), receptive_field(depth)


def denoise_image_file(denoiser, noisy: str | Path, clean: str | Path, *, field: int, sigma=None, tile: int = DEFAULT_TILE,
                       overwrite: bool = False, accept_truncated: bool = False, colour=None, choose=None) -> dict:
    """Denoise ``noisy`` into ``clean`` (same bit depth) with a loaded ``denoiser`` of receptive
    field ``field``; return what was done (``info`` of :func:`read_noisy_image`, shape, output).

    Nothing is written unless the whole image was denoised, and nothing over the input or (without
    ``overwrite``) over an existing file. With ``colour`` (a callable giving ``(denoiser, field)`` of
    a colour model, :func:`load_colour_denoiser`) a colour image stays in colour and goes to that model.
    With ``choose`` (``image -> (denoiser, field, facts)``, :func:`choose_for_image`) the model is
    picked for each image from its estimated noise level; ``facts`` join the returned dict.
    """
    check_output(noisy, clean, overwrite=overwrite)
    image, info = read_input(noisy, colour=colour is not None, accept_truncated=accept_truncated)
    if choose is not None:
        denoiser, field, facts = choose(image)
        return denoise_and_write(denoiser, image, {**info, **facts}, noisy, clean, field=field, sigma=None, tile=tile,
                                 overwrite=overwrite)
    if image.ndim == 3:
        denoiser, field = colour()
    elif denoiser is None:
        raise ValueError(f"{noisy} is grey; {CDNCNN} denoises colour images only: leave out --model for grey ones")
    return denoise_and_write(denoiser, image, info, noisy, clean, field=field, sigma=sigma, tile=tile, overwrite=overwrite)


def denoise_and_write(denoiser, image: np.ndarray, info: dict, noisy, clean, *, field: int, sigma, tile: int,
                      overwrite: bool) -> dict:
    """Denoise ``image`` (float32 HxW in [0, 1], as read from ``noisy``) and write it to ``clean``."""
    from ..files.progress import tile_progress

    estimate = denoise_tiled(denoiser, image, sigma=sigma, tile=tile, margin=field,
                             progress=lambda total: tile_progress(total, desc=f"denoising {Path(noisy).name}"))
    write_image(clean, estimate, bits=info["bits"], overwrite=overwrite)
    return {**info, "model": denoiser.name, "shape": image.shape, "input": str(noisy), "output": str(clean)}


def denoise_file(noisy: str | Path, clean: str | Path, *, weights=None, model=None, sigma=None, tile: int = DEFAULT_TILE,
                 overwrite: bool = False, accept_truncated: bool = False, grey: bool = False) -> dict:
    """Denoise the image file ``noisy`` into ``clean`` (same bit depth); return what was done.

    Without ``sigma``, ``model`` and ``weights`` (or with ``sigma="auto"``) the noise level is
    estimated and the model chosen by the noise-level study's rule (:func:`choose_for_image`); the
    returned dict then has ``sigma_estimate`` and ``estimator``.
    The output and the input are checked before the model is loaded. Nothing is written unless the
    whole image was denoised; the input is never written over, an existing file only with ``overwrite``.
    A colour image stays in colour and goes to the authors' CDnCNN-B unless ``grey`` (or another
    model or weights are named): it is then converted to grey as before.
    """
    check_sigma(sigma)
    check_output(noisy, clean, overwrite=overwrite)
    auto = wants_estimate(sigma=sigma, weights=weights, model=model)
    keep = keeps_colour(weights=weights, model=model, grey=grey)
    rule = read_sigma_rule() if auto else None
    if auto:
        fetch_rule_models(rule, colour=keep)  # missing weights fail before a large photo's estimate, not after
    image, info = read_input(noisy, colour=keep, accept_truncated=accept_truncated)  # a bad file fails before the model loads
    if auto:
        denoiser, field, facts = choose_for_image(image, rule=rule, load=load_named_model)
        return denoise_and_write(denoiser, image, {**info, **facts}, noisy, clean, field=field, sigma=None, tile=tile,
                                 overwrite=overwrite)
    if image.ndim == 3:
        denoiser, field = load_colour_denoiser()
    elif model == CDNCNN:
        raise ValueError(f"{noisy} is grey; {CDNCNN} denoises colour images only: leave out --model for grey ones")
    else:
        denoiser, field = load_denoiser(weights=weights, model=model, sigma=sigma)
    return denoise_and_write(denoiser, image, info, noisy, clean, field=field, sigma=sigma, tile=tile, overwrite=overwrite)


CDNCNN = "cdncnn_b_color_blind"  # the authors' colour blind model: the default for colour images


def keeps_colour(*, weights=None, model=None, grey: bool = False) -> bool:
    """Whether colour images stay in colour: yes by default (CDnCNN-B), no with ``grey`` or when
    another model or weights are named (they are grey networks).

    Raises:
        ValueError: for ``grey`` together with the colour model.
    """
    if grey and model == CDNCNN:
        raise ValueError(f"--grey converts colour images to grey, which {CDNCNN} cannot denoise: leave out one of them")
    return not grey and weights is None and model in (None, CDNCNN)


def read_input(path: str | Path, *, colour: bool, accept_truncated: bool = False) -> tuple[np.ndarray, dict]:
    """A user's image as float32 in [0, 1]: HxWx3 RGB for a colour file when ``colour``
    (:func:`dncnn.files.images.read_noisy_colour_image`), else HxW (:func:`read_noisy_image`, colour converted to grey)."""
    if colour:
        return read_noisy_colour_image(path, accept_truncated=accept_truncated)
    return read_noisy_image(path, accept_truncated=accept_truncated)


def load_colour_denoiser():
    """``(denoiser, receptive field)`` of the authors' CDnCNN-B (20 layers, RGB in and out)."""
    from ..evaluation.colour import cdncnn_denoiser
    from ..model.network import receptive_field

    return cdncnn_denoiser(name=CDNCNN), receptive_field(20)


def collect_inputs(inputs: list[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The image files named by ``inputs``: files as given, a folder's PNG/JPEG/TIFF files (not its
    subfolders or hidden files), sorted by name. Duplicates (same file) are kept once.

    Returns:
        (files, problems): problems are (input, reason) for folders holding no image.
    """
    files, problems, seen = [], [], set()
    for item in map(Path, inputs):
        if item.is_dir():
            found = sorted(p for p in item.iterdir()
                           if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
            if not found:
                problems.append((str(item), f"the folder {item} holds no {'/'.join(s[1:].upper() for s in SUFFIXES)} files"))
        else:
            found = [item]
        for path in found:
            key = os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files, problems


def plan_outputs(files: list[Path], out_dir: str | Path) -> list[tuple[Path, Path]]:
    """(input, output) pairs: each output is ``out_dir`` / the input's name.

    Raises:
        OutputError: if ``out_dir`` is a file, or if two inputs have the same name (compared without
            case, as some file systems do): they would write the same output; nothing is done.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out-dir {out_dir} is a file; give a folder (it is created if missing)")
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.name.lower(), []).append(path)
    clashes = [paths for paths in by_name.values() if len(paths) > 1]
    if clashes:
        listed = "; ".join(" and ".join(map(str, paths)) + f" -> {out_dir / paths[0].name}" for paths in clashes)
        raise OutputError(f"inputs with the same name would write the same output in {out_dir}: {listed}. "
                          "Nothing was denoised; denoise those folders into different --out-dir folders")
    return [(path, out_dir / path.name) for path in files]


def denoise_files(inputs: list[str | Path], out_dir: str | Path, *, weights=None, model=None, sigma=None,
                  tile: int = DEFAULT_TILE, overwrite: bool = False, accept_truncated: bool = False,
                  progress: bool = True, notify=None, grey: bool = False) -> dict:
    """Denoise image files and folders into ``out_dir`` (same names), loading the model once.

    A file that fails (not an image, truncated, output exists, ...) is skipped and reported; the
    others are denoised. ``notify(text)`` receives a note per warning (default: stderr, above the
    progress bar).

    Returns:
        ``{"done": [dict per image], "failed": [(input, reason)], "seconds": wall time,
        "load_seconds": time to load the model}``.

    Raises:
        OutputError: for a name clash or an ``out_dir`` that is a file (before any work).
        ValueError: for ``sigma`` out of range or bad ``weights``/``model`` (before any image).
    """
    from tqdm import tqdm

    start = time.perf_counter()
    check_sigma(sigma)
    files, failed = collect_inputs(inputs)
    pairs = plan_outputs(files, out_dir)
    done = []
    if notify is None:
        def notify(text):
            tqdm.write(text, file=sys.stderr)
    loaded = {}

    def load_colour():  # CDnCNN-B, loaded at the first colour image
        if "model" not in loaded:
            loaded["model"] = load_colour_denoiser()
        return loaded["model"]

    colour = load_colour if keeps_colour(weights=weights, model=model, grey=grey) else None
    choose = None
    if wants_estimate(sigma=sigma, weights=weights, model=model):  # each image's model from its estimated sigma
        rule, models = read_sigma_rule(), {}
        fetch_rule_models(rule, colour=colour is not None)
        choose = lambda image: choose_for_image(image, rule=rule, load=lambda name: cached_model(name, models))  # noqa: E731
    grey_model = pairs and model != CDNCNN and choose is None
    denoiser, field = load_denoiser(weights=weights, model=model, sigma=sigma) if grey_model else (None, 0)
    load_seconds = time.perf_counter() - start
    bar = tqdm(pairs, desc="denoising", unit="image", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    for noisy, clean in bar:
        try:
            result = denoise_image_file(denoiser, noisy, clean, field=field, sigma=sigma, tile=tile, overwrite=overwrite,
                                        accept_truncated=accept_truncated, colour=colour, choose=choose)
        except (ImageError, ValueError, OSError) as err:
            failed.append((str(noisy), explain_error(err)))
            continue
        for key, label in (("truncated", "warning"), ("converted", "note"), ("oriented", "note")):
            if result.get(key):
                notify(f"{label}: {noisy}: {result[key]}")
        if result.get("sigma_estimate") is not None:
            notify(f"{noisy}: {describe_sigma_estimate(result)}")
        done.append(result)
    bar.close()
    return {"done": done, "failed": failed, "seconds": time.perf_counter() - start, "load_seconds": load_seconds}


def explain_error(err: Exception) -> str:
    """The error's message, with the command-line fix where there is one."""
    text = str(err)
    if isinstance(err, TruncatedImageError):
        text += "; pass --accept-truncated to denoise what can be decoded"
    return text


# --- without --sigma: estimate the noise level, and let the noise-level study pick the model ---

AUTO = "auto"  # --sigma auto: estimate sigma per image (also the default without --sigma, --model and --weights)
RULE_FILE = "noise_levels_rule.csv"  # in the committed noise-level study (config.NOISE_LEVELS_TABLE_DIR)


def wants_estimate(*, sigma=None, weights=None, model=None) -> bool:
    """Whether each image's noise level is estimated: ``sigma="auto"``, or none of ``sigma``,
    ``model`` and ``weights`` given (the default path).

    Raises:
        ValueError: for ``sigma="auto"`` with ``model`` or ``weights`` (the estimate picks the model).
    """
    if sigma == AUTO:
        if weights is not None or model is not None:
            raise ValueError("--sigma auto picks the model from the estimated noise level: leave out --model/--weights, "
                             "or give a number to --sigma")
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
                                "or give --sigma N or --model NAME")
    with open(path, newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["default"] == "True"]
    if not rows:
        raise ValueError(f"{path} marks no estimator as default; remake it with `python -m dncnn noise-levels`")
    rule = [{"low": float(r["low"]), "high": float(r["high"]), "model": r["model"], "reference_model": r["reference_model"]}
            for r in rows]
    return {"estimator": rows[0]["estimator"], "rule": sorted(rule, key=lambda r: r["low"])}


def fetch_rule_models(rule: dict, *, colour: bool) -> None:
    """Fetch and verify the weights of every model ``rule`` (:func:`read_sigma_rule`) can pick, and of
    CDnCNN-B when colour images stay in colour, before any image is estimated (a few MB each, fetched once).

    Raises:
        DataError: naming the first file that cannot be had, and the fix.
    """
    from ..model.reference import fetch_reference_weights

    names = [row["reference_model"] for row in rule["rule"]] + ([CDNCNN] if colour else [])
    for name in dict.fromkeys(names):
        fetch_reference_weights(name)


def estimate_image_sigma(image: np.ndarray, *, estimator: str) -> float:
    """The noise level (0-255 scale) of a user's image (float32 HxW, or HxWx3 RGB: channels estimated
    separately and averaged) by a named estimator of :data:`dncnn.data.noise_estimation.ESTIMATORS`."""
    from ..data.noise_estimation import ESTIMATORS, estimate_sigma_pca
    from ..files.progress import step_progress

    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}: allowed are {', '.join(ESTIMATORS)}. Received: {estimator!r}")
    if ESTIMATORS[estimator] is estimate_sigma_pca:  # minutes on a large photo: a bar once it takes 2 s
        return float(estimate_sigma_pca(image, progress=lambda total: step_progress(total, desc="estimating the noise level",
                                                                                      unit="band")))
    return float(ESTIMATORS[estimator](image))


def choose_model(estimate: float, rule: list[dict]) -> str:
    """The ``--model`` name the rule gives an estimated sigma (grey images); below the first bin the
    first model, above the last the last."""
    for row in rule:
        if row["low"] <= estimate < row["high"]:
            return row["reference_model"]
    return rule[0]["reference_model"] if estimate < rule[0]["low"] else rule[-1]["reference_model"]


def choose_for_image(image: np.ndarray, *, rule: dict, load) -> tuple:
    """``(denoiser, field, facts)`` for one image on the default path: its sigma estimated by the
    rule's estimator; a grey image goes to the model the rule gives that estimate, a colour image to
    CDnCNN-B (the only colour model, blind). ``load(name) -> (denoiser, field)`` loads a model by
    ``--model`` name. ``facts``: ``{"sigma_estimate", "estimator", "chosen"}``."""
    estimate = estimate_image_sigma(image, estimator=rule["estimator"])
    name = CDNCNN if image.ndim == 3 else choose_model(estimate, rule["rule"])
    denoiser, field = load(name)
    return denoiser, field, {"sigma_estimate": estimate, "estimator": rule["estimator"], "chosen": name}


def load_named_model(name: str) -> tuple:
    """``(denoiser, receptive field)`` of a model by ``--model`` name (CDnCNN-B for :data:`CDNCNN`)."""
    return load_colour_denoiser() if name == CDNCNN else load_denoiser(model=name)


def cached_model(name: str, cache: dict) -> tuple:
    """:func:`load_named_model`, each model loaded once per ``cache`` dict."""
    if name not in cache:
        cache[name] = load_named_model(name)
    return cache[name]


def describe_sigma_estimate(done: dict) -> str:
    """One line for the user: the estimated sigma, the estimator and the model it chose."""
    return (f"estimated sigma {done['sigma_estimate']:.1f} (0-255, {done['estimator']}) -> {done['chosen']}")
