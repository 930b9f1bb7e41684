"""The host-side batch stream: (noisy, clean) patch batches whose order and noise are pure functions
of ``(seed, epoch, batch)``, drawn in numpy. Training uses the device pipeline
(:mod:`dncnn.training.pipeline`), whose clean batches are these (same :func:`epoch_order`) and whose
noise comes from the backend's stateless generator instead of numpy; this stream stays as the
reference the tests compare the device's clean batches with, and for host-side use."""

from __future__ import annotations

import keras
import numpy as np

from ..data.noise import gaussian_noise
from .pipeline import epoch_order


class NoisyPatchBatches(keras.utils.PyDataset):
    """Batches of (noisy, clean) patches for one epoch, with fresh Gaussian noise per batch.

    The patch order of epoch ``e`` is ``default_rng([seed, e]).permutation``; the noise of batch
    ``i`` is :func:`dncnn.data.noise.gaussian_noise` seeded with ``[seed, e, i]`` (drawn in float32). Items: two (batch, p, p, 1) float32 arrays,
    clean in [0, 1], noisy = clean + sigma/255 * N(0, 1), not clipped.
    """

    def __init__(self, patches: np.ndarray, *, batch_size: int, sigma: float, seed: int, epoch: int,
                 steps: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1. Received: batch_size={batch_size}")
        if len(patches) < batch_size:
            raise ValueError(f"need at least batch_size={batch_size} patches. Received: {len(patches)}")
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0. Received: sigma={sigma}")
        self.patches, self.batch_size, self.sigma = patches, batch_size, float(sigma)
        self.seed, self.epoch = int(seed), int(epoch)
        self.steps = int(steps) if steps else len(patches) // batch_size
        self.order = epoch_order(len(patches), batch_size=batch_size, steps=self.steps, seed=self.seed, epoch=self.epoch).reshape(-1)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int):
        if not 0 <= index < self.steps:
            raise IndexError(index)
        idx = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        clean = self.patches[idx].astype(np.float32)[..., None] / np.float32(255.0)
        noisy = clean + gaussian_noise(clean.shape, self.sigma, seed=[self.seed, self.epoch, index], dtype=np.float32)
        return noisy, clean
