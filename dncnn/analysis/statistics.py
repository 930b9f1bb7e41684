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


# The super-resolution scales of DnCNN-3 (Table V), for the residual of super-resolution batches.
SR_SCALES = (2, 3, 4)
NOISE_KIND = "noise"  # the kind of the AWGN residual in :func:`residual_batches`


def residual_batches(batches: list[dict], *, scales=SR_SCALES) -> list[dict]:
    """The residual the network learns, for noise and for super-resolution, on the same patches.

    The noise residual is the batch's ``noisy - clean``. The super-resolution residual of scale s is
    the bicubic reconstruction of each clean patch minus the patch (the network's input minus its
    target, as for noise; the issue's "patch minus its reconstruction" with the sign flipped, which
    changes only the mean's sign): the patch, cropped to a multiple of s (top-left kept), shrunk
    with MATLAB's bicubic ``imresize`` (antialiased) on uint8 and enlarged back in double precision
    (:func:`dncnn.data.matlab.imresize`), the grey route of DnCNN-3's super-resolution protocol.

    Args:
        batches: :func:`sample_batches` output (``clean`` and ``residual``, (batch, p, p) float32 in [0, 1]).
        scales: super-resolution factors.

    Returns:
        One dict per batch: ``{"noise": (batch, p, p), "x2": (batch, p2, p2), ...}`` float32 on the
        [0, 1] scale, ``p_s = p - p % s``.
    """
    from ..data import matlab

    out = []
    for batch in batches:
        hr = np.round(np.asarray(batch["clean"], np.float64) * 255.0).astype(np.uint8)  # the uint8 patches, exactly
        kinds = {NOISE_KIND: np.asarray(batch["residual"], np.float32)}
        for scale in scales:
            side = hr.shape[1] - hr.shape[1] % scale
            stack = np.moveaxis(hr[:, :side, :side], 0, -1)  # (p, p, batch): imresize works on channels
            bicubic = matlab.imresize(matlab.imresize(stack, 1 / scale) / 255.0, scale)
            kinds[f"x{scale}"] = np.moveaxis(bicubic - stack / 255.0, -1, 0).astype(np.float32)
        out.append(kinds)
    return out


def residual_statistics(residuals: list[dict]):
    """Spread and shape of each batch's residual, per kind: a DataFrame ``batch, kind, patches, mean,
    std, kurtosis`` (``patches`` in the batch; mean and std on the 0-255 scale; excess kurtosis over all the batch's values, 0 for
    a Gaussian, large for a residual that is near zero in most pixels and large at a few edges).

    Args:
        residuals: :func:`residual_batches` output.
    """
    import pandas as pd

    rows = []
    for i, kinds in enumerate(residuals):
        for kind, values in kinds.items():
            v = np.asarray(values, np.float64).ravel() * 255.0
            centred = v - v.mean()
            variance = float(np.mean(centred ** 2))
            kurtosis = float(np.mean(centred ** 4) / variance ** 2 - 3.0) if variance > 0 else float("nan")
            rows.append({"batch": i, "kind": kind, "patches": int(np.shape(values)[0]), "mean": float(v.mean()), "std": float(np.sqrt(variance)), "kurtosis": kurtosis})
    return pd.DataFrame(rows)


def summarize_residual_spread(stats):
    """How much each kind's residual changes from batch to batch (:func:`residual_statistics` rows):
    a DataFrame, one row per kind in order, ``kind, batches, std_mean, std_sd, std_cv`` (standard
    deviation across batches of the batch's std, over its mean), ``std_min, std_max, kurtosis_mean,
    kurtosis_sd, kurtosis_min, kurtosis_max`` (std on the 0-255 scale)."""
    grouped = stats.groupby("kind", sort=False)
    table = grouped.agg(batches=("batch", "count"), std_mean=("std", "mean"), std_sd=("std", "std"),
                        std_min=("std", "min"), std_max=("std", "max"), kurtosis_mean=("kurtosis", "mean"),
                        kurtosis_sd=("kurtosis", "std"), kurtosis_min=("kurtosis", "min"),
                        kurtosis_max=("kurtosis", "max")).reset_index()
    table.insert(4, "std_cv", table.std_sd / table.std_mean)
    return table


# The verdict on "super-resolution does not have this property" (a residual of constant distribution):
# it holds when the spread of every super-resolution residual changes from batch to batch at least this
# many times more than the noise's (coefficient of variation of the batch std), and its excess kurtosis
# stays above this in every batch (heavy tails, far from the noise's Gaussian 0).
SPREAD_RATIO = 5.0
KURTOSIS_FLOOR = 1.0


def judge_residual_property(spread, *, ratio: float = SPREAD_RATIO, kurtosis: float = KURTOSIS_FLOOR) -> dict:
    """Whether the super-resolution residuals lack the noise residual's constant distribution.

    Args:
        spread: :func:`summarize_residual_spread` (one ``noise`` row, one row per scale).
        ratio, kurtosis: the bars (:data:`SPREAD_RATIO`, :data:`KURTOSIS_FLOOR`).

    Returns:
        ``{"holds", "ratios", "kurtosis_min"}``: ``holds`` True when every super-resolution kind's
        ``std_cv`` is at least ``ratio`` times the noise's and its smallest batch kurtosis exceeds
        ``kurtosis``; ``ratios`` maps each kind to its ``std_cv`` over the noise's; ``kurtosis_min``
        each kind's smallest batch kurtosis.
    """
    table = spread.set_index("kind")
    if NOISE_KIND not in table.index or len(table) < 2:
        raise ValueError(f"spread needs a {NOISE_KIND!r} row and at least one super-resolution row. Received: {list(table.index)}")
    noise_cv = float(table.loc[NOISE_KIND, "std_cv"])
    kinds = [kind for kind in table.index if kind != NOISE_KIND]
    ratios = {kind: float(table.loc[kind, "std_cv"]) / noise_cv for kind in kinds}
    lowest = {kind: float(table.loc[kind, "kurtosis_min"]) for kind in kinds}
    holds = all(r >= ratio for r in ratios.values()) and all(k > kurtosis for k in lowest.values())
    return {"holds": bool(holds), "ratios": ratios, "kurtosis_min": lowest}
