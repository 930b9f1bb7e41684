"""The one-line call of a Python user, :func:`dncnn.denoise`: an image array in, its estimate out,
with the model ``python -m dncnn denoise`` would choose for it."""

from __future__ import annotations

import numpy as np

from .files import ModelChoice
from .tiling import DEFAULT_TILE, denoise_tiled


def denoise_array(image, sigma: float | str | None = None, *, model: str | None = None, details: bool = False,
                  tile: int = DEFAULT_TILE):
    """Denoise an image array as :func:`dncnn.denoise` documents it (the function behind it).

    Args:
        image: HxW grey or HxWx3 RGB; uint8 (0-255), uint16 (0-65535) or float on the [0, 1] scale.
        sigma: the noise level (0-255 scale); None or ``"auto"``: estimated, and the model chosen by
            the noise-level study's rule.
        model: a catalogue key (``"dncnn_b_gray_blind"``, ``"ours"``, ...) instead of the choice.
        details: also return ``{"model": catalogue key, "sigma_estimate", "estimator"}`` (the last
            two None when sigma was given).
        tile: tile side in pixels (bounds memory; the result does not depend on it).

    Returns:
        The estimate, float32 of the image's shape on the [0, 1] scale, clipped to [0, 1]; with
        ``details``, ``(estimate, facts)``.

    Raises:
        ValueError: for an image that is not HxW or HxWx3, a float image far outside [0, 1], a sigma
            outside [0, 255], an unknown model, or a grey image given to the colour model.
    """
    image = to_unit_float(image)
    choice = ModelChoice(model=model, sigma=sigma)
    choice.fetch_models()  # every model the rule may pick, before a large image's estimate
    denoiser, field, facts = choice(image)
    estimate = np.clip(denoise_tiled(denoiser, image, sigma=choice.sigma, tile=tile, margin=field), 0.0, 1.0)
    if not details:
        return estimate.astype(np.float32)
    return estimate.astype(np.float32), {"model": facts.get("chosen") or model_key(model, denoiser=denoiser),
                                         "sigma_estimate": facts.get("sigma_estimate"), "estimator": facts.get("estimator")}


def model_key(model: str | None, *, denoiser) -> str:
    """The catalogue key of the model that denoised: ``model``'s (an alias such as ``"ours"`` resolved),
    else the key the chosen denoiser carries as its name (the authors' models; CDnCNN-B)."""
    from ..model.catalog import get_entry

    return get_entry(model).key if model is not None else denoiser.name


def to_unit_float(image) -> np.ndarray:
    """``image`` (HxW or HxWx3; uint8, uint16 or float in about [0, 1]) as float32 on the [0, 1] scale
    (not clipped: a noisy float image may leave [0, 1] a little).

    Raises:
        ValueError: for another shape, or a float image whose values lie far outside [0, 1] (on the
            0-255 scale, say).
    """
    array = np.asarray(image)
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        raise ValueError(f"image must be HxW (grey) or HxWx3 (RGB). Received: shape {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    array = array.astype(np.float32)
    if array.size and (array.min() < -1.0 or array.max() > 2.0):
        raise ValueError(f"a float image must be on the [0, 1] scale (divide 0-255 values by 255). "
                         f"Received: values from {array.min():g} to {array.max():g}")
    return array
