"""One interface for every denoiser: ``denoise(noisy, sigma) -> clean estimate``.

``noisy`` is an HxW float32 image on the [0, 1] scale (not clipped), ``sigma`` the noise level on
the 0-255 scale; the estimate is HxW float32 on the [0, 1] scale (not yet clipped or rounded).
A denoiser may also offer ``denoise_many(noisies, sigma)`` (a list of images in, a list of
``(estimate, seconds)`` out, in the same order) when it can use several cores for many images at
once; the evaluation then calls that instead.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .. import config

BM3D_WORKERS_ENV = "DNCNN_BM3D_WORKERS"  # how many processes run BM3D at once (default: all cores)


class Denoiser(Protocol):
    """(noisy HxW float32 in ~[0, 1], sigma on the 0-255 scale) -> HxW float32 estimate.

    ``trained_sigma`` is the noise level a network was trained for (the evaluation runs it at that
    level only), or None for a method that takes any level (BM3D, a blind network, the noisy input).
    """

    name: str
    trained_sigma: float | None

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray: ...


class KerasDenoiser:
    """A Keras DnCNN. The network sees only the image: the ``sigma`` of a call is not an input to it."""

    def __init__(self, model, *, name: str = "DnCNN", trained_sigma: float | None = None, weights: str = ""):
        """``trained_sigma``: the noise level the network was trained for, if it is not blind (the
        evaluation then runs it at that level only). ``weights``: where its weights come from, for
        the tables (``"trained in this run"``, ``"loaded: weights/<name>.keras"``, ...)."""
        self.model, self.name, self.trained_sigma, self.weights = model, name, trained_sigma, weights
        self._predict = compile_predict(model)

    def __call__(self, noisy: np.ndarray, sigma: float | None = None) -> np.ndarray:
        """Denoise an HxW float32 image (``sigma`` is accepted for the common interface and unused)."""
        x = np.asarray(noisy, dtype=np.float32)[None, :, :, None]
        return np.asarray(self._predict(x), dtype=np.float32)[0, :, :, 0]


def keras_denoiser(model, *, name: str, trained_sigma: float | None = None, weights: str = "") -> KerasDenoiser:
    """A denoiser of a trained DnCNN in deploy form (batch norm folded into the convolutions:
    the same outputs up to float rounding, about 10 % faster)."""
    from ..model.network import count_layers, fold_batchnorm

    return KerasDenoiser(fold_batchnorm(model) if count_layers(model, "bn") else model, name=name,
                         trained_sigma=trained_sigma, weights=weights)


def load_entry_denoiser(entry, *, name: str | None = None, bm3d_cache=None):
    """The denoiser of a catalogue entry (:class:`dncnn.model.catalog.ModelEntry`): its network
    (verified, batch norm folded; RGB in and out for a 3-channel one), BM3D, colour BM3D or the noisy
    input, named ``name`` (default the entry's display name) and run only at its trained sigma.

    ``bm3d_cache``: BM3D's cache folder (default ``data/cache/bm3d`` of the output root).
    """
    from ..model.catalog import load_network

    name = name or entry.name
    if entry.loader == "identity":
        return IdentityDenoiser(name=name)
    if entry.loader == "bm3d":
        return BM3DDenoiser(name=name) if bm3d_cache is None else BM3DDenoiser(name=name, cache_dir=bm3d_cache)
    if entry.loader == "cbm3d":
        from .colour import ColourBM3DDenoiser

        return ColourBM3DDenoiser(name=name) if bm3d_cache is None else ColourBM3DDenoiser(name=name, cache_dir=bm3d_cache)
    network = load_network(entry)
    if entry.channels == 3:
        from .colour import ColourKerasDenoiser

        return ColourKerasDenoiser(network, name=name, trained_sigma=entry.sigma, weights=entry.weights_note)
    return keras_denoiser(network, name=name, trained_sigma=entry.sigma, weights=entry.weights_note)


def shipped_denoiser(name: str = "dncnn-s-sigma25") -> KerasDenoiser:
    """This project's model committed in ``weights/`` (checksum verified), named as in the catalogue
    ("DnCNN-S ours, paper recipe (GPU)"), run only at the sigma it was trained for."""
    from ..model.weights import check_shipped_name
    from ..model.catalog import get_entry

    check_shipped_name(name)
    return load_entry_denoiser(get_entry(name))


def shipped_denoisers(sigmas, *, blind: bool = True) -> list[KerasDenoiser]:
    """This project's shipped models (catalogue entries of source ``shipped``) for notebook 04, in
    catalogue order: each one trained for one of ``sigmas`` (run at that sigma only), then, with
    ``blind``, each blind one (a DnCNN-B of the ``paper-blind`` profile; none shipped yet), run at every sigma."""
    from ..model.catalog import SHIPPED, entries

    wanted = {float(s) for s in sigmas}
    models = entries(source=SHIPPED)
    chosen = [e for e in models if e.sigma in wanted] + ([e for e in models if e.sigma is None] if blind else [])
    return [load_entry_denoiser(entry) for entry in chosen]


def trained_denoiser(plan: dict) -> KerasDenoiser | None:
    """The denoiser of the model notebook 02 trained in this run, as the training plan names it
    (:func:`dncnn.state.plan_training`: its path, label and sigma), or None where the plan
    loads the shipped model instead (its row is :func:`shipped_denoiser`'s)."""
    if plan["model"]["source"] != "trained":
        return None
    from ..state import load_planned_model

    return keras_denoiser(load_planned_model(plan), name=plan["model"]["label"], trained_sigma=plan["model"]["sigma"],
                          weights="trained in this run")


def reference_denoisers(sigmas, *, blind: bool = True) -> list:
    """The authors' released grey models of notebook 04 (catalogue entries of source ``authors`` in
    its study), under their notebook 04 row names: each DnCNN-S trained for one of ``sigmas`` (run only
    at its own sigma) and, with ``blind``, each blind one (DnCNN-B, every sigma)."""
    from ..model.catalog import AUTHORS, STUDY_EVALUATION, entries

    models = entries(source=AUTHORS, study=STUDY_EVALUATION)
    chosen = [e for sigma in sigmas for e in models if e.sigma == float(sigma)]  # in the order of ``sigmas``
    chosen += [e for e in models if e.sigma is None] if blind else []
    return [load_entry_denoiser(entry, name=entry.row_name) for entry in chosen]


def comparison_denoisers(denoisers, *, sigma: float) -> list:
    """The denoisers of a visual comparison at ``sigma`` (notebook 04 draws it at 50, as the paper's
    figures do): those of ``denoisers`` that run at ``sigma`` (trained for it, or for any level), then
    the authors' DnCNN-S trained for ``sigma`` and their blind DnCNN-B where ``denoisers`` lacks them
    (a profile that evaluates sigma 25 only still compares every method at 50)."""
    chosen = [d for d in denoisers if d.trained_sigma in (None, float(sigma))]
    have = {(d.name, d.trained_sigma) for d in chosen}
    return chosen + [d for d in reference_denoisers([sigma], blind=True) if (d.name, d.trained_sigma) not in have]


class BM3DDenoiser:
    """BM3D (``bm3d`` package, Makinen et al.), one thread per image, images in parallel processes.

    bm3d runs on all cores by default, and then its aggregation adds in a varying order, so the
    same input can give a different output on each call (bm3d's ``profiles.py`` says so). Here
    every image is denoised single-threaded (``BM3DProfile.num_threads = 1``), which is exactly
    reproducible, and :meth:`denoise_many` spreads the images over ``workers`` processes (the
    results keep the input order), so parallelism changes the speed and never a bit of a result.

    BM3D takes seconds per image, so each result is stored in ``cache_dir`` under
    :func:`bm3d_cache_key`: the SHA-256 of the noisy image's bytes, shape and dtype, the code that
    runs BM3D (the worker's name), the ``sigma_psd`` and every setting of the profile it passes
    (:func:`bm3d_arguments`) and bm3d's version; only identical inputs and settings reuse it.
    """

    def __init__(self, *, cache_dir: str | Path | None = config.CACHE_DIR / "bm3d", name: str | None = None,
                 workers: int | None = None):
        """``workers``: processes for :meth:`denoise_many`; default ``$DNCNN_BM3D_WORKERS``, else
        every core (``os.cpu_count()``). ``name``: default the catalogue's (``"BM3D"``)."""
        from ..model.catalog import get_entry

        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.name = name or get_entry("bm3d").name
        self.workers = resolve_workers(workers)
        self.trained_sigma = None  # BM3D takes the noise level of each call
        self.weights = ""  # no learned weights

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        return self.denoise_many([noisy], sigma, workers=1)[0][0]

    def denoise_many(self, noisies: Sequence[np.ndarray], sigma: float, *, workers: int | None = None,
                     progress=None) -> list[tuple[np.ndarray, float]]:
        """BM3D of every image: ``[(estimate, seconds), ...]`` in the order of ``noisies``.

        Cached results are read (``seconds`` is then the time of the original computation); the
        rest run in ``workers`` processes (default: this denoiser's). ``progress``: a callable
        given the number of images finished, for a progress bar.
        """
        noisies = [np.ascontiguousarray(x, dtype=np.float32) for x in noisies]
        results: list = [None] * len(noisies)
        todo = []
        for i, noisy in enumerate(noisies):
            cached = self._read_cache(noisy, sigma)
            if cached is None:
                todo.append(i)
            else:
                results[i] = cached
                if progress:
                    progress(1)
        workers = min(self.workers if workers is None else resolve_workers(workers), max(len(todo), 1))
        worker = getattr(self, "worker", _bm3d_one)  # a subclass may run another BM3D (dncnn.evaluation.colour)
        for i, (estimate, seconds) in _map_in_processes(worker, [(noisies[i], float(sigma)) for i in todo],
                                                        workers=workers, keys=todo):
            self._write_cache(noisies[i], sigma, estimate, seconds)
            results[i] = (estimate, seconds)
            if progress:
                progress(1)
        return results

    def _cache_path(self, noisy: np.ndarray, sigma: float) -> Path | None:
        if self.cache_dir is None:
            return None
        worker = getattr(self, "worker", _bm3d_one)
        key = bm3d_cache_key(noisy, sigma, worker=f"{worker.__module__}.{worker.__qualname__}")
        return self.cache_dir / f"{key}.npy"

    def _read_cache(self, noisy: np.ndarray, sigma: float) -> tuple[np.ndarray, float] | None:
        from ..files.atomic import load_npy

        path = self._cache_path(noisy, sigma)
        if path is None or not path.exists():
            return None
        seconds_file = path.with_suffix(".seconds")
        seconds = float(seconds_file.read_text()) if seconds_file.exists() else float("nan")
        return load_npy(path), seconds

    def _write_cache(self, noisy: np.ndarray, sigma: float, estimate: np.ndarray, seconds: float) -> None:
        from ..files.atomic import save_npy, save_text

        path = self._cache_path(noisy, sigma)
        if path is not None:
            save_text(path.with_suffix(".seconds"), f"{seconds!r}\n")
            save_npy(path, estimate)


def bm3d_arguments(sigma: float) -> dict:
    """The keyword arguments every BM3D call of the study passes to ``bm3d.bm3d`` / ``bm3d.bm3d_rgb``:
    ``sigma_psd``, the noise's standard deviation on the [0, 1] scale of the image (``sigma / 255``
    for ``sigma`` on the 0-255 scale), and ``profile``, bm3d's default profile (``"np"``) run on one
    thread (so that the same input always gives the same bytes). The cache key reads the same dict."""
    from bm3d.profiles import BM3DProfile

    if sigma < 0:
        raise ValueError(f"sigma must be >= 0 (0-255 scale). Received: sigma={sigma}")
    profile = BM3DProfile()  # bm3d's default profile ("np"), as bm3d.bm3d(..., profile="np")
    profile.num_threads = 1
    return {"sigma_psd": float(sigma) / 255.0, "profile": profile}


def bm3d_cache_key(noisy: np.ndarray, sigma: float, *, worker: str) -> str:
    """SHA-256 (hex) naming one cached BM3D result: the noisy image's bytes, shape and dtype, ``worker``
    (the function that ran BM3D), the ``sigma_psd`` and every profile setting of :func:`bm3d_arguments`
    at ``sigma``, and bm3d's version. Any other input, sigma, setting or code gives another key."""
    arguments = bm3d_arguments(sigma)
    profile = arguments["profile"]
    settings = {name: getattr(profile, name) for name in dir(profile)
                if not name.startswith("_") and not callable(getattr(profile, name))}
    noisy = np.ascontiguousarray(noisy)
    described = repr((noisy.shape, noisy.dtype.str, worker, repr(arguments["sigma_psd"]), sorted(settings.items()),
                      _bm3d_version()))
    return hashlib.sha256(noisy.tobytes() + described.encode()).hexdigest()


def denoise_bm3d(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """BM3D of one HxW float32 image in [0, 1] at ``sigma`` (0-255 scale): ``bm3d.bm3d`` with
    :func:`bm3d_arguments` (single-threaded, so that the same input always gives the same bytes).
    Returns HxW float32."""
    import bm3d

    return np.asarray(bm3d.bm3d(np.asarray(noisy, dtype=np.float32), **bm3d_arguments(sigma)), dtype=np.float32)


def resolve_workers(workers: int | None) -> int:
    """Number of worker processes: ``workers``, else ``$DNCNN_BM3D_WORKERS``, else every core."""
    if workers is None:
        workers = int(os.environ.get(BM3D_WORKERS_ENV) or os.cpu_count() or 1)
    if workers < 1:
        raise ValueError(f"workers must be >= 1. Received: workers={workers}")
    return int(workers)


class IdentityDenoiser:
    """Returns the noisy input: the 'noisy input' row of a table goes through the same protocol."""

    trained_sigma = None
    weights = ""

    def __init__(self, *, name: str | None = None):
        """``name``: default the catalogue's name of the noisy input (``"noisy input"``)."""
        from ..model.catalog import get_entry

        self.name = name or get_entry("noisy").name

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        return np.asarray(noisy, dtype=np.float32)


def _bm3d_one(args: tuple[np.ndarray, float]) -> tuple[np.ndarray, float]:
    noisy, sigma = args
    start = time.perf_counter()
    estimate = denoise_bm3d(noisy, sigma)
    return estimate, time.perf_counter() - start


def _map_in_processes(fn, items: list, *, workers: int, keys: list):
    """Yield ``(key, fn(item))`` for every item, ``workers`` processes at a time (in this process when
    ``workers`` is 1). Results come in the order they finish; the keys say which item each is."""
    if workers <= 1 or len(items) <= 1:
        for key, item in zip(keys, items):
            yield key, fn(item)
        return
    import concurrent.futures
    import multiprocessing

    # spawn: a fork of a process that runs TensorFlow's or JAX's thread pools can deadlock
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(fn, item): key for key, item in zip(keys, items)}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()


def _bm3d_version() -> str:
    import importlib.metadata as md

    try:
        return md.version("bm3d")
    except md.PackageNotFoundError:
        return "unknown"


# The compiled forward pass every command that denoises uses, per backend: of the paths `make bench`
# measures (docs/benchmark.md), the fastest whose output bytes are the same from call to call and with
# one intra-op thread or all (tests/test_evaluation_denoisers.py checks both). On TensorFlow that is a
# plain tf.function, oneDNN's convolutions (about 110 % of the numpy matmul ceiling on 2 CPU cores),
# not XLA (about 85 %); on JAX, jax.jit.
INFERENCE_PATHS = {"tensorflow": "tf.function", "jax": "jit"}
TENSORFLOW_PATHS = ("tf.function", "xla")  # the compiled paths compile_predict offers on TensorFlow


def compile_predict(model, *, path: str | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """The model's inference-mode forward pass, compiled for the active backend: a function from a
    (batch, H, W, C) float32 numpy array to the model's output as an array of the same shape.

    JAX: ``jax.jit`` of ``stateless_call``. TensorFlow: a ``tf.function`` traced once for any batch,
    height and width (an input signature of unknown sizes, so no call retraces it and TensorFlow's
    retracing warning never reaches a page), run by oneDNN (``path="tf.function"``, the default:
    :data:`INFERENCE_PATHS`) or compiled by XLA for each new shape (``path="xla"``, for the bench).
    Another backend: the plain call.

    Raises:
        ValueError: a ``path`` the backend does not offer.
    """
    import keras

    backend = keras.config.backend()
    path = path or INFERENCE_PATHS.get(backend)
    if backend == "jax":
        import jax

        fn = jax.jit(lambda variables, x: model.stateless_call(variables[0], variables[1], x, training=False)[0])
        variables = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables])
        return lambda x: fn(variables, x)
    if backend == "tensorflow":
        import tensorflow as tf

        if path not in TENSORFLOW_PATHS:
            raise ValueError(f"the inference path on TensorFlow is one of {', '.join(TENSORFLOW_PATHS)}. Received: path={path!r}")
        channels = model.input_shape[-1]
        signature = [tf.TensorSpec([None, None, None, channels], tf.float32)]
        # a partial, not a lambda: TensorFlow counts traces per code object, so the lambdas of several
        # models (notebook 06 loads seven) would add up to its "frequent retracing" warning
        fn = tf.function(functools.partial(_forward, model), jit_compile=path == "xla", input_signature=signature)
        return lambda x: fn(tf.constant(x)).numpy()
    return lambda x: keras.ops.convert_to_numpy(model(x, training=False))


def _forward(model, x):
    """The inference-mode call of ``model`` (compiled by :func:`compile_predict`)."""
    return model(x, training=False)
