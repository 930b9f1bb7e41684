"""Denoising a user's own image: ``python -m dncnn denoise NOISY.png CLEAN.png [--model NAME | --weights FILE]``.

No noise is added: the image is what the user has. Large images are processed in tiles whose
margins exceed the network's receptive field, so memory stays bounded and the result equals
whole-image inference (within float rounding).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .images import ImageError, read_noisy_image
from .io import atomic_path

DEFAULT_TILE = 512
SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def write_image(path: str | Path, image: np.ndarray, *, bits: int = 8) -> Path:
    """Write a float [0, 1] HxW image as 8- or 16-bit grey (clipped, rounded), atomically."""
    import cv2

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"output must end in one of {', '.join(SUFFIXES)}. Received: {path.name}")
    peak, dtype = (255.0, np.uint8) if bits == 8 else (65535.0, np.uint16)
    if bits == 16 and path.suffix.lower() in (".jpg", ".jpeg"):
        peak, dtype = 255.0, np.uint8  # JPEG is 8-bit
    pixels = np.clip(np.round(image.astype(np.float64) * peak), 0, peak).astype(dtype)
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), pixels):
            raise OSError(f"OpenCV could not write {path}")
    return path


def denoise_tiled(denoiser, image: np.ndarray, *, sigma: float | None = None, tile: int = DEFAULT_TILE, margin: int = 35) -> np.ndarray:
    """Apply ``denoiser(noisy, sigma)`` tile by tile.

    Each ``tile`` x ``tile`` block is denoised with ``margin`` extra pixels of context on every side
    that has image there, and only its centre is kept. With ``margin`` at least the network's
    receptive radius (17 for 17 layers; the default 35 is its whole receptive field) the result
    equals whole-image inference.
    """
    if tile < 1 or margin < 0:
        raise ValueError(f"tile must be >= 1 and margin >= 0. Received: tile={tile}, margin={margin}")
    h, w = image.shape
    if h <= tile and w <= tile:
        return denoiser(image, sigma)
    out = np.empty((h, w), np.float32)
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            t0, l0 = max(top - margin, 0), max(left - margin, 0)
            b1, r1 = min(top + tile + margin, h), min(left + tile + margin, w)
            block = denoiser(image[t0:b1, l0:r1], sigma)
            bh, bw = min(tile, h - top), min(tile, w - left)
            out[top:top + bh, left:left + bw] = block[top - t0:top - t0 + bh, left - l0:left - l0 + bw]
    return out


OURS = "ours"  # --model ours: this project's shipped DnCNN-S (weights/dncnn-s-sigma25.keras)


def load_denoiser(*, weights: str | Path | None = None, model: str | None = None, sigma: float | None = None):
    """The network for the CLI: ``weights`` (.keras of ours, folded, or an authors' .mat), else a
    model by name: ``ours`` (this project's shipped DnCNN-S, trained for sigma 25) or an authors'
    released model; by default the authors' DnCNN-S for ``sigma`` in 15/25/50, else their blind DnCNN-B."""
    from .denoisers import KerasDenoiser
    from .model import SHIPPED_MODELS, fold_batchnorm, load_model, load_shipped_model, receptive_field
    from .reference import REFERENCE_MODELS, load_reference_model

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


def denoise_file(noisy: str | Path, clean: str | Path, *, weights=None, model=None, sigma=None, tile: int = DEFAULT_TILE) -> dict:
    """Denoise the image file ``noisy`` into ``clean`` (same bit depth); return what was done.

    Nothing is written unless the whole image was denoised.
    """
    if sigma is not None and not 0 <= float(sigma) <= 255:
        raise ValueError(f"sigma must be in [0, 255]. Received: sigma={sigma}")
    image, info = read_noisy_image(noisy)
    if Path(clean).suffix.lower() not in SUFFIXES:
        raise ValueError(f"output must end in one of {', '.join(SUFFIXES)}. Received: {Path(clean).name}")
    denoiser, field = load_denoiser(weights=weights, model=model, sigma=sigma)
    estimate = denoise_tiled(denoiser, image, sigma=sigma, tile=tile, margin=field)
    write_image(clean, estimate, bits=info["bits"])
    return {**info, "model": denoiser.name, "shape": image.shape, "output": str(clean)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dncnn denoise", description=__doc__.splitlines()[0])
    parser.add_argument("noisy", type=Path, help="the noisy image (grey or colour PNG/JPEG/TIFF, 8- or 16-bit)")
    parser.add_argument("clean", type=Path, help="where to write the denoised image")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--weights", type=Path, help="a .keras model of this project or an authors' .mat file")
    group.add_argument("--model", help="ours (this project's DnCNN-S for sigma 25, trained on a GPU) or an authors' "
                                       "released model: dncnn_s_sigma15/25/50, dncnn_b_gray_blind")
    parser.add_argument("--sigma", type=float, help="noise level (0-255); picks DnCNN-S for 15/25/50")
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help="tile side in pixels (bounds memory)")
    args = parser.parse_args(argv)
    try:
        done = denoise_file(args.noisy, args.clean, weights=args.weights, model=args.model, sigma=args.sigma, tile=args.tile)
    except (ImageError, ValueError, FileNotFoundError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if done["converted"]:
        print(f"note: {done['converted']}", file=sys.stderr)
    print(f"denoised {args.noisy} ({done['shape'][1]}x{done['shape'][0]}, {done['bits']}-bit) with {done['model']} -> {args.clean}")
    return 0
