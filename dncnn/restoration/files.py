"""Denoising a user's own image files: one file into another, or files and folders into a folder.

No noise is added: the image is what the user has. A user's files are never damaged: an output that
is the input itself is refused, an existing file is replaced only with ``overwrite``, a truncated
input is refused unless ``accept_truncated``, and each output is written to a temporary name and
renamed when complete. Several images (or folders of them) are denoised with one :class:`ModelChoice`,
each model loaded and compiled once; a bad file is reported and skipped.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..files.images import SUFFIXES, ImageError, OutputError, read_noisy_colour_image, read_noisy_image, write_image
from .models import CDNCNN, cached_model, keeps_colour, load_denoiser
from .rule import check_sigma, choose_for_image, fetch_rule_models, read_sigma_rule, wants_estimate
from .tiling import DEFAULT_TILE, denoise_tiled


class ModelChoice:
    """The model of each image, as ``python -m dncnn denoise`` picks it: with a known ``sigma`` (or
    ``model``, ``weights``) one grey model (the authors' DnCNN-S for 15/25/50, else DnCNN-B) and, for a
    colour image unless ``grey``, CDnCNN-B; without them (or ``sigma="auto"``) the model the noise-level
    rule gives each image's estimated sigma. Every model is loaded at its first use and kept.

    Calling it on an image (float32 HxW, or HxWx3 when :attr:`colour`) gives ``(denoiser, receptive
    field, facts)``; ``facts`` is ``{"sigma_estimate", "estimator", "chosen"}`` on the estimated path,
    else empty.

    Raises:
        ValueError: on construction, for ``sigma`` out of [0, 255], ``sigma="auto"`` with ``model`` or
            ``weights``, ``grey`` with CDnCNN-B; when called, for a grey image and CDnCNN-B.
    """

    def __init__(self, *, weights=None, model: str | None = None, sigma=None, grey: bool = False):
        check_sigma(sigma)
        self.auto = wants_estimate(sigma=sigma, weights=weights, model=model)
        self.colour = keeps_colour(weights=weights, model=model, grey=grey)  # colour images stay in colour
        self.sigma = None if self.auto else sigma  # the sigma given to each denoiser call
        self.weights, self.model = weights, model
        self.rule = read_sigma_rule() if self.auto else None
        self._cache: dict = {}

    def __call__(self, image: np.ndarray, *, source: str = "the image") -> tuple:
        if self.auto:
            return choose_for_image(image, rule=self.rule, load=lambda name: cached_model(name, self._cache))
        if image.ndim == 3:
            return (*cached_model(CDNCNN, self._cache), {})
        if self.model == CDNCNN:
            raise ValueError(f"{source} is grey; {CDNCNN} denoises colour images only: leave out `model` for grey ones")
        return (*self.load_grey(), {})

    def load_grey(self) -> tuple:
        """``(denoiser, receptive field)`` of the one grey model of a known sigma, model or weights (loaded once)."""
        if "grey" not in self._cache:
            self._cache["grey"] = load_denoiser(weights=self.weights, model=self.model, sigma=self.sigma)
        return self._cache["grey"]

    def fetch_models(self) -> None:
        """On the estimated path, fetch and verify every model the rule may pick, and CDnCNN-B when colour
        stays colour (:func:`dncnn.restoration.rule.fetch_rule_models`): missing weights fail before a
        large photo's estimate, not after it. With a known sigma, model or weights, nothing (the one
        model loads before the first image is denoised)."""
        if self.auto:
            fetch_rule_models(self.rule, colour=self.colour)

    def preload(self) -> None:
        """Load the grey model now when every grey image will use it, or on the estimated path fetch every
        model the rule may pick (:meth:`fetch_models`): bad or missing weights fail before any image."""
        if self.auto:
            self.fetch_models()
        elif self.model != CDNCNN:
            self.load_grey()


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
        raise OutputError(f"{clean} is a folder; give a file name, or give it as `out_dir` to write into it")
    if noisy.exists() and os.path.samefile(noisy, target):
        raise OutputError(f"{clean} is the input itself: writing there would destroy the noisy original; "
                          f"choose another output name (`overwrite=True` does not allow this). Received: {noisy} -> {clean}")
    if not overwrite:
        raise OutputError(f"{clean} already exists; pass `overwrite=True` to replace it")


def resolve_output(path: str | Path) -> Path:
    """The file that writing ``path`` will replace, once its missing folders exist: links resolved,
    and a ``..`` after a missing folder taken lexically (``sub/../keep.png`` is ``keep.png`` even
    before ``sub/`` is created), so a check made before any folder is created holds for the write."""
    return Path(os.path.realpath(path))


def read_input(path: str | Path, *, colour: bool, accept_truncated: bool = False) -> tuple[np.ndarray, dict]:
    """A user's image as float32 in [0, 1]: HxWx3 RGB for a colour file when ``colour``
    (:func:`dncnn.files.images.read_noisy_colour_image`), else HxW (:func:`read_noisy_image`, colour converted to grey)."""
    if colour:
        return read_noisy_colour_image(path, accept_truncated=accept_truncated)
    return read_noisy_image(path, accept_truncated=accept_truncated)


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
        raise OutputError(f"`out_dir` {out_dir} is a file; give a folder (it is created if missing)")
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.name.lower(), []).append(path)
    clashes = [paths for paths in by_name.values() if len(paths) > 1]
    if clashes:
        listed = "; ".join(" and ".join(map(str, paths)) + f" -> {out_dir / paths[0].name}" for paths in clashes)
        raise OutputError(f"inputs with the same name would write the same output in {out_dir}: {listed}. "
                          "Nothing was denoised; denoise those folders into different `out_dir` folders")
    return [(path, out_dir / path.name) for path in files]


def denoise_and_write(denoiser, image: np.ndarray, info: dict, noisy, clean, *, field: int, sigma, tile: int,
                      overwrite: bool) -> dict:
    """Denoise ``image`` (float32 HxW in [0, 1], as read from ``noisy``) and write it to ``clean``; an image
    that takes over 2 s shows a bar of tiles done and time left on stderr (:func:`dncnn.runtime.progress.tile_progress`)."""
    from ..runtime.progress import tile_progress

    estimate = denoise_tiled(denoiser, image, sigma=sigma, tile=tile, margin=field,
                             progress=lambda total: tile_progress(total, desc=f"denoising {Path(noisy).name}"))
    write_image(clean, estimate, bits=info["bits"], overwrite=overwrite)
    return {**info, "model": denoiser.name, "shape": image.shape, "input": str(noisy), "output": str(clean)}


def denoise_image_file(noisy: str | Path, clean: str | Path, *, choice: ModelChoice, tile: int = DEFAULT_TILE,
                       overwrite: bool = False, accept_truncated: bool = False) -> dict:
    """Denoise ``noisy`` into ``clean`` (same bit depth) with the model ``choice`` gives it; return
    what was done (``info`` of :func:`read_noisy_image`, the model, shape, input, output, and the
    choice's facts).

    The output is checked, then the input read, before any model loads. Nothing is written unless the
    whole image was denoised, and nothing over the input or (without ``overwrite``) over an existing file.
    """
    check_output(noisy, clean, overwrite=overwrite)
    image, info = read_input(noisy, colour=choice.colour, accept_truncated=accept_truncated)
    denoiser, field, facts = choice(image, source=str(noisy))
    return denoise_and_write(denoiser, image, {**info, **facts}, noisy, clean, field=field, sigma=choice.sigma, tile=tile,
                             overwrite=overwrite)


def denoise_file(noisy: str | Path, clean: str | Path, *, weights=None, model=None, sigma=None, tile: int = DEFAULT_TILE,
                 overwrite: bool = False, accept_truncated: bool = False, grey: bool = False) -> dict:
    """Denoise the image file ``noisy`` into ``clean`` (same bit depth); return what was done.

    Without ``sigma``, ``model`` and ``weights`` (or with ``sigma="auto"``) the noise level is
    estimated and the model chosen by the noise-level study's rule (:class:`ModelChoice`); the
    returned dict then has ``sigma_estimate``, ``estimator`` and ``chosen``.
    The output and the input are checked before the model is loaded. Nothing is written unless the
    whole image was denoised; the input is never written over, an existing file only with ``overwrite``.
    A colour image stays in colour and goes to the authors' CDnCNN-B unless ``grey`` (or another
    model or weights are named): it is then converted to grey as before.
    """
    choice = ModelChoice(weights=weights, model=model, sigma=sigma, grey=grey)
    check_output(noisy, clean, overwrite=overwrite)
    choice.fetch_models()  # missing weights fail before a large photo's estimate, not after
    return denoise_image_file(noisy, clean, choice=choice, tile=tile, overwrite=overwrite, accept_truncated=accept_truncated)


def denoise_files(inputs: list[str | Path], out_dir: str | Path, *, weights=None, model=None, sigma=None,
                  tile: int = DEFAULT_TILE, overwrite: bool = False, accept_truncated: bool = False,
                  progress: bool = True, notify: Callable[[str], None] | None = None, grey: bool = False,
                  describe_error: Callable[[Exception], str] = str) -> dict:
    """Denoise image files and folders into ``out_dir`` (same names), each model loaded once.

    A file that fails (not an image, truncated, output exists, ...) is skipped and reported (its
    reason by ``describe_error``); the others are denoised. ``notify(text)`` receives a note per
    warning and per estimated sigma (default: stderr, above the progress bar).

    Returns:
        ``{"done": [dict per image], "failed": [(input, reason)], "seconds": wall time,
        "load_seconds": time to load the model}``.

    Raises:
        OutputError: for a name clash or an ``out_dir`` that is a file (before any work).
        ValueError: for ``sigma`` out of range or bad ``weights``/``model`` (before any image).
    """
    from tqdm import tqdm

    start = time.perf_counter()
    choice = ModelChoice(weights=weights, model=model, sigma=sigma, grey=grey)
    files, failed = collect_inputs(inputs)
    pairs = plan_outputs(files, out_dir)
    notify = notify or (lambda text: tqdm.write(text, file=sys.stderr))
    if pairs:
        choice.preload()
    load_seconds = time.perf_counter() - start
    done = []
    for noisy, clean in tqdm(pairs, desc="denoising", unit="image", file=sys.stderr, disable=not progress, dynamic_ncols=True):
        try:
            result = denoise_image_file(noisy, clean, choice=choice, tile=tile, overwrite=overwrite,
                                        accept_truncated=accept_truncated)
        except (ImageError, ValueError, OSError) as err:
            failed.append((str(noisy), describe_error(err)))
            continue
        for key, label in (("truncated", "warning"), ("converted", "note"), ("oriented", "note")):
            if result.get(key):
                notify(f"{label}: {noisy}: {result[key]}")
        if result.get("sigma_estimate") is not None:
            notify(f"{noisy}: {describe_sigma_estimate(result)}")
        done.append(result)
    return {"done": done, "failed": failed, "seconds": time.perf_counter() - start, "load_seconds": load_seconds}


def describe_sigma_estimate(done: dict) -> str:
    """One line for the user: the estimated sigma, the estimator and the model it chose."""
    return (f"estimated sigma {done['sigma_estimate']:.1f} (0-255, {done['estimator']}) -> {done['chosen']}")
