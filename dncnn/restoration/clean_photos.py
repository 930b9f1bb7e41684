"""The denoise command's default path on clean photographs (scikit-image's bundled data, none of them
in the study's test sets): each photo's estimated sigma, the model the rule chose, and how close
the output stays to the photo. Notebook 06 and ``python -m dncnn noise-levels`` measure it."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

# scikit-image's bundled photographs (no download), none of them in the study's test sets: what the
# denoise command's default path does to a clean photo (sigma near 0)
CLEAN_PHOTOS = ("coins", "moon", "clock", "astronaut", "chelsea", "coffee", "rocket")
CLEAN_MARGIN_SIGMA = 5.0  # a clean photo must come out closer to itself than Gaussian noise of this sigma would leave it


def clean_margin_db(sigma: float = CLEAN_MARGIN_SIGMA) -> float:
    """The PSNR (dB, peak 255) of Gaussian noise of ``sigma`` (0-255 scale): 20 log10(255 / sigma),
    the margin a clean photo's output must beat."""
    import math

    return 20.0 * math.log10(255.0 / sigma)


def measure_clean_photos(names: Sequence[str] = CLEAN_PHOTOS, *, rule_folder: str | Path | None = None,
                         progress: bool = True):
    """The denoise command's default path on clean photographs (scikit-image's bundled data, 8-bit):
    each one's estimated sigma, the model chosen, and the output's PSNR and SSIM against the photo
    itself (grey photos as grey, colour photos in colour through CDnCNN-B).

    Args:
        names: ``skimage.data`` functions of :data:`CLEAN_PHOTOS` (bundled, no download).
        rule_folder: where ``noise_levels_rule.csv`` is (default: the committed study).

    Returns:
        DataFrame ``photo, height, width, channels, estimator, sigma_estimate, model, psnr, ssim, margin_db``.
    """
    import pandas as pd
    import skimage.data

    from ..evaluation.metrics import compute_psnr
    from .models import cached_model
    from .rule import choose_for_image, read_sigma_rule
    from .tiling import denoise_tiled

    rule, models, rows = read_sigma_rule(rule_folder), {}, []
    for name in _progress(names, enabled=progress):
        photo = getattr(skimage.data, name)()
        image = photo.astype("float32") / 255.0
        denoiser, field, facts = choose_for_image(image, rule=rule, load=lambda model: cached_model(model, models))
        output = denoise_tiled(denoiser, image, tile=512, margin=field)
        rows.append({"photo": name, "height": photo.shape[0], "width": photo.shape[1],
                     "channels": 1 if photo.ndim == 2 else photo.shape[2], "estimator": facts["estimator"],
                     "sigma_estimate": facts["sigma_estimate"], "model": facts["chosen"],
                     "psnr": compute_psnr(photo, output), "ssim": _ssim(photo, output), "margin_db": clean_margin_db()})
    return pd.DataFrame(rows)


def _ssim(photo, output) -> float:
    """The study's SSIM (:func:`dncnn.evaluation.metrics.compute_ssim`), averaged over the channels of a colour photo."""
    import numpy as np

    from ..evaluation.metrics import compute_ssim

    if photo.ndim == 2:
        return compute_ssim(photo, output)
    return float(np.mean([compute_ssim(photo[..., c], output[..., c]) for c in range(photo.shape[2])]))


def _progress(items, *, enabled: bool):
    if not enabled:
        return items
    from ..runtime.progress import progress_bar

    return progress_bar(items, desc="clean photos", unit="photo")
