"""Notebook 03's computations: training-batch histograms and batch-norm input statistics."""

from __future__ import annotations

import numpy as np

# Batches for analysis are drawn as if from this epoch, far from any epoch a training run uses.
ANALYSIS_EPOCH = 1_000_000


def sample_batches(patches: np.ndarray, *, n_batches: int, batch_size: int, sigma: float, seed: int) -> list[dict]:
    """Random training batches exactly as training draws them: the device pipeline's batch of step
    ``i`` (:func:`dncnn.training.pipeline.draw_batch`: same patch order, same stateless noise, on the
    active Keras backend) of the epoch ``ANALYSIS_EPOCH``, which no training run reaches.

    Returns:
        One dict per batch with ``clean``, ``noisy`` and ``residual`` (noisy - clean), each
        (batch, p, p) float32 on the [0, 1] scale.
    """
    from ..training.pipeline import draw_batch

    if n_batches < 1:
        raise ValueError(f"n_batches must be >= 1. Received: n_batches={n_batches}")
    out = []
    for i in range(n_batches):
        noisy, clean = draw_batch(patches, batch_size=batch_size, sigma=sigma, seed=seed, epoch=ANALYSIS_EPOCH, step=i)
        out.append({"clean": clean[..., 0], "noisy": noisy[..., 0], "residual": (noisy - clean)[..., 0]})
    return out


def bn_input_statistics(model, patches: np.ndarray, *, n_batches: int, batch_size: int, sigma: float, seed: int, name: str = "dncnn"):
    """Statistics of the input of every batch-norm layer over many training batches.

    The trained model runs in inference mode (moving statistics), as it is deployed. For each BN
    layer ``bn{i}`` its input is the output of ``conv{i}``; per batch and channel the mean and
    standard deviation are taken over (batch, H, W).

    Returns:
        DataFrame, one row per (layer, batch): ``layer``, ``batch``, ``mean`` and ``std`` (averaged
        over channels), ``moving_mean`` and ``moving_std`` (the layer's moving statistics averaged
        over channels) and ``mean_shift`` (mean over channels of |batch mean - moving mean| divided
        by the moving std).
    """
    import keras
    import pandas as pd

    bn_layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not bn_layers:
        raise ValueError(f"model {model.name} has no batch-norm layers (a deploy-form model?)")
    indices = [int(layer.name.rsplit("bn", 1)[1]) for layer in bn_layers]
    stats = []
    for i in indices:  # per-channel mean and std of each BN input, computed inside the compiled graph
        z = model.get_layer(f"{name}_conv{i}").output
        stats += [keras.ops.mean(z, axis=(0, 1, 2)), keras.ops.std(z, axis=(0, 1, 2))]
    probe = keras.Model(model.input, stats)
    rows = []
    for b, batch in enumerate(sample_batches(patches, n_batches=n_batches, batch_size=batch_size, sigma=sigma, seed=seed)):
        outputs = probe.predict_on_batch(batch["noisy"][..., None])
        for k, (i, layer) in enumerate(zip(indices, bn_layers)):
            mean, std = (np.asarray(outputs[2 * k], np.float64), np.asarray(outputs[2 * k + 1], np.float64))
            moving_mean = keras.ops.convert_to_numpy(layer.moving_mean).astype(np.float64)
            moving_std = np.sqrt(keras.ops.convert_to_numpy(layer.moving_variance).astype(np.float64) + layer.epsilon)
            rows.append({
                "layer": i, "batch": b, "mean": mean.mean(), "std": std.mean(),
                "moving_mean": moving_mean.mean(), "moving_std": moving_std.mean(),
                "mean_shift": float(np.mean(np.abs(mean - moving_mean) / moving_std)),
            })
    return pd.DataFrame(rows)


def bn_statistics_of_models(models: dict, patches: np.ndarray, *, n_batches: int, sigma: float, seed: int):
    """:func:`bn_input_statistics` of several models on the same patches, in one table.

    Args:
        models: ``{label: (model, batch_size)}``; each model sees batches of the size it was
            trained with, drawn exactly as training draws them.

    Returns:
        DataFrame with a ``model`` column (the label) before the columns of :func:`bn_input_statistics`.
    """
    import pandas as pd

    frames = []
    for label, (model, batch_size) in models.items():
        stats = bn_input_statistics(model, patches, n_batches=n_batches, batch_size=batch_size, sigma=sigma, seed=seed)
        stats.insert(0, "model", label)
        frames.append(stats)
    return pd.concat(frames, ignore_index=True)


def batch_statistics(batches: list[dict]):
    """Mean and standard deviation of the noisy, clean and residual values of each batch of
    :func:`sample_batches`: a DataFrame with ``batch, kind, mean, std`` (the [0, 1] scale)."""
    import pandas as pd

    return pd.DataFrame([
        {"batch": i, "kind": kind, "mean": float(batch[kind].mean()), "std": float(batch[kind].std())}
        for i, batch in enumerate(batches) for kind in ("noisy", "clean", "residual")
    ])


def check_noise_level(batches: list[dict], *, sigma: float, z: float = 5.0) -> dict:
    """Check that the residual (noisy - clean) of training batches is the study's noise: zero mean and
    standard deviation sigma/255, each within ``z`` standard errors for the number of values, not clipped
    (the noisy values are exactly clean + residual, beyond [0, 1] where the noise takes them).

    Args:
        batches: :func:`sample_batches` output.
        sigma: the noise level on the 0-255 scale.

    Returns:
        ``{"values", "mean", "std"}`` of the residual on the 0-255 scale.

    Raises:
        ValueError: naming the statistic that is off and its allowed range.
    """
    residual = np.concatenate([b["residual"].ravel() for b in batches]).astype(np.float64) * 255
    n = residual.size
    mean, std = float(residual.mean()), float(residual.std())
    if abs(mean) > z * sigma / np.sqrt(n):
        raise ValueError(f"the residual's mean is {mean:.3f} on the 0-255 scale, not 0 within {z * sigma / np.sqrt(n):.3f}")
    if abs(std - sigma) > z * sigma / np.sqrt(2 * n):
        raise ValueError(f"the residual's standard deviation is {std:.3f}, not sigma = {sigma:g} within {z * sigma / np.sqrt(2 * n):.3f}")
    clean_out = min(float(b["clean"].min()) for b in batches) < 0 or max(float(b["clean"].max()) for b in batches) > 1
    if clean_out:
        raise ValueError("the clean values leave [0, 1]")
    if sigma > 0 and not any(float(b["noisy"].min()) < 0 or float(b["noisy"].max()) > 1 for b in batches):
        raise ValueError("no noisy value leaves [0, 1]: the noisy input looks clipped")
    return {"values": n, "mean": mean, "std": std}
