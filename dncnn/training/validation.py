"""Validation PSNR during training: a fixed, seeded set measured after every epoch.

The set: the central ``validation_crop`` square of the first ``validation_images`` images of
**Set5** (baby, bird, butterfly, head, woman), in grey (the Y of MATLAB's ``rgb2ycbcr`` on uint8),
with the evaluation protocol's noise (:func:`dncnn.data.noise.add_gaussian_noise`, seed
``[validation_seed, i]``, not clipped) at each of the profile's validation sigmas. Why Set5:

- it is not the results table: notebook 04 scores BSD68 and Set12, and a number tuned against
  (or chosen by) a curve on those images would no longer be an unbiased test;
- it shares no picture with them either: Set14, classic5 and LIVE1, the other grey-convertible sets
  of the source repository, hold Lena, Barbara, Peppers, Boat, Man, Monarch or Parrots, which Set12
  also has; Train400 is the training set itself;
- it is fetched and checksum-verified like every set (``python -m dncnn fetch Set5``) and is used
  elsewhere only by notebook 05's super-resolution, another task through another pipeline;
- five crops of 224 x 224 (Set5's smallest side is 228) are one fixed-shape batch, so one compiled
  forward pass measures them all, on one device or split over several.

Cost (FLOPs): DnCNN-S takes 554,112 multiply-adds per pixel (9 x (64 + 15 x 64 x 64 + 64)), so the
250,880 pixels of the set cost 2.8e11 FLOPs forward; one epoch of the paper profile is 238,336
patches x 1,600 pixels x ~3 x 1.1e6 FLOPs (forward and backward) = 1.3e15 FLOPs, 11.5 s on an H200
(``weights/dncnn-s-sigma25.log.csv``). A validation is thus 0.02 % of an epoch's arithmetic (about
2 ms at that rate, plus a transfer and, once, a compilation), far under the 5 % allowed; DnCNN-B's
three levels cost three times that against an epoch 3.3 times longer. On a 2-core CPU the set takes
a few seconds, which is why the CPU profiles validate every 50 steps (their epochs are that short)
or measure smaller crops (``quick``: 96, ``smoke``: 32).

PSNR as the study's protocol (:func:`dncnn.evaluation.metrics.compute_psnr`): the estimate clipped
to [0, 1], scaled by 255 and rounded to uint8 (half to even), peak 255, averaged over the crops and
sigmas. It is computed here with numpy, in float64.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from ..data import datasets, matlab
from ..data.noise import add_gaussian_noise
from ..profiles import Profile

VALIDATION_SET = "Set5"


def validation_sigmas(profile: Profile) -> tuple[float, ...]:
    """The noise levels the profile validates at: ``validation_sigmas``, else its training sigma."""
    return tuple(float(s) for s in (profile.validation_sigmas or (profile.sigma,)))


def load_validation_set(profile: Profile) -> dict | None:
    """The profile's validation batch, or None when ``validation_images`` is 0.

    Returns:
        ``{"clean": (n, c, c) uint8, "noisy": (n, c, c, 1) float32 (not clipped), "names": [str],
        "sigmas": [float]}``; entry ``k`` is image ``names[k]`` at ``sigmas[k]``, images first
        within each sigma.
    """
    if profile.validation_images == 0:
        return None
    names, images = datasets.load_colour_dataset(VALIDATION_SET, limit=profile.validation_images)
    greys = [datasets.crop_center(_grey(image), profile.validation_crop) for image in images]
    clean, noisy, labels, sigmas = [], [], [], []
    for sigma in validation_sigmas(profile):
        for index, (name, grey) in enumerate(zip(names, greys)):
            clean.append(grey)
            noisy.append(add_gaussian_noise(grey, sigma, seed=profile.validation_seed, index=index))
            labels.append(name)
            sigmas.append(sigma)
    return {"clean": np.stack(clean), "noisy": np.stack(noisy)[..., None].astype(np.float32), "names": labels,
            "sigmas": sigmas}


def measure_validation(model: keras.Model, validation: dict, *, devices: int = 1) -> tuple[float, float]:
    """``(PSNR in dB, seconds)`` of ``model`` (inference mode) on the validation batch: the mean over
    its entries of the protocol's PSNR. The batch is padded to a multiple of ``devices`` (repeating its
    last entry, dropped again) so that it splits over them."""
    start = time.monotonic()
    noisy = validation["noisy"]
    pad = (-len(noisy)) % devices
    if pad:
        noisy = np.concatenate([noisy, np.repeat(noisy[-1:], pad, axis=0)])
    estimates = np.asarray(keras.ops.convert_to_numpy(model.predict_on_batch(noisy)))[: len(validation["clean"]), ..., 0]
    return validation_psnr(validation["clean"], estimates), time.monotonic() - start


def validation_psnr(clean: np.ndarray, estimates: np.ndarray) -> float:
    """Mean PSNR (dB, peak 255) of (n, H, W) float estimates in [0, 1] against (n, H, W) uint8 clean
    images, each estimate clipped and rounded to uint8 first (the study's protocol)."""
    rounded = np.clip(np.round(np.asarray(estimates, dtype=np.float64) * 255.0), 0, 255)
    mse = np.mean((rounded - clean.astype(np.float64)) ** 2, axis=(1, 2))
    return float(np.mean(10.0 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-12))))


def describe_validation(profile: Profile) -> dict:
    """The validation set of a profile, for the run's sidecar."""
    return {"set": VALIDATION_SET, "images": profile.validation_images, "crop": profile.validation_crop,
            "grey": "Y of MATLAB rgb2ycbcr (uint8)", "sigmas": list(validation_sigmas(profile)),
            "seed": profile.validation_seed,
            "noise": "evaluation protocol: numpy default_rng([seed, i]) standard normal x sigma/255, not clipped",
            "psnr": "estimate clipped, x255, rounded to uint8; peak 255; mean over crops and sigmas",
            "when": "after every epoch (inference mode: batch norm's moving statistics)"}


def _grey(image: np.ndarray) -> np.ndarray:
    """HxW uint8 of an HxWx3 RGB image (MATLAB ``rgb2ycbcr``'s Y) or of a grey one (itself)."""
    return image if image.ndim == 2 else matlab.rgb2ycbcr(image)[..., 0]
