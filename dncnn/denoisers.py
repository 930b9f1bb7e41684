"""One interface for every denoiser: ``denoise(noisy, sigma) -> clean estimate``.

``noisy`` is an HxW float32 image on the [0, 1] scale (not clipped), ``sigma`` the noise level on
the 0-255 scale; the estimate is HxW float32 on the [0, 1] scale (not yet clipped or rounded).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from . import config


class Denoiser(Protocol):
    """(noisy HxW float32 in ~[0, 1], sigma on the 0-255 scale) -> HxW float32 estimate."""

    name: str

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray: ...


class KerasDenoiser:
    """A Keras DnCNN (blind to ``sigma``: the network was trained for its own noise level)."""

    def __init__(self, model, *, name: str = "DnCNN", sigma: float | None = None):
        """``sigma``: the noise level the network was trained for, if it is not blind (the
        evaluation then runs it at that level only)."""
        self.model, self.name, self.sigma = model, name, sigma
        self._predict = _compile_predict(model)

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        x = np.asarray(noisy, dtype=np.float32)[None, :, :, None]
        return np.asarray(self._predict(x), dtype=np.float32)[0, :, :, 0]


class BM3DDenoiser:
    """BM3D (``bm3d`` package, Makinen et al.) with its outputs cached on disk.

    BM3D takes seconds per image, so each result is stored in ``cache_dir`` under the SHA-256 of
    the noisy image's bytes and sigma; identical inputs reuse it.
    """

    def __init__(self, *, cache_dir: str | Path | None = config.CACHE_DIR / "bm3d", name: str = "BM3D"):
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.name = name

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        import bm3d

        from .io import load_npy, save_npy

        noisy = np.ascontiguousarray(noisy, dtype=np.float32)
        path = None
        if self.cache_dir is not None:
            key = hashlib.sha256(noisy.tobytes() + repr((noisy.shape, float(sigma), bm3d.__name__)).encode()).hexdigest()
            path = self.cache_dir / f"{key}.npy"
            if path.exists():
                return load_npy(path)
        estimate = np.asarray(bm3d.bm3d(noisy, sigma_psd=float(sigma) / 255.0), dtype=np.float32)
        if path is not None:
            save_npy(path, estimate)
        return estimate


class IdentityDenoiser:
    """Returns the noisy input: the 'noisy input' row of a table goes through the same protocol."""

    name = "noisy input"

    def __call__(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        return np.asarray(noisy, dtype=np.float32)


def _compile_predict(model) -> Callable[[np.ndarray], np.ndarray]:
    """The model's inference-mode forward pass, compiled for the active backend."""
    import keras

    backend = keras.config.backend()
    if backend == "jax":
        import jax

        fn = jax.jit(lambda variables, x: model.stateless_call(variables[0], variables[1], x, training=False)[0])
        variables = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables])
        return lambda x: fn(variables, x)
    if backend == "tensorflow":
        import tensorflow as tf

        fn = tf.function(lambda x: model(x, training=False), jit_compile=True, reduce_retracing=True)
        return lambda x: fn(tf.constant(x)).numpy()
    return lambda x: keras.ops.convert_to_numpy(model(x, training=False))
