"""The DnCNN network as a functional Keras 3 model (runs on the TensorFlow and JAX backends)."""

from __future__ import annotations

import keras


def build_dncnn(
    depth: int = 17,
    filters: int = 64,
    *,
    batch_norm: bool = True,
    residual: bool = True,
    channels: int = 1,
    bn_momentum: float = 0.9,
    bn_epsilon: float = 1e-4,
    seed: int | None = None,
    init: str = "orthogonal",
    name: str = "dncnn",
) -> keras.Model:
    """Build DnCNN: conv+ReLU, (depth-2) x conv+BN+ReLU, conv; output = input - predicted residual.

    As the authors' Keras code: 3x3 convolutions, ``same`` padding, orthogonal initialisation, no
    bias on convolutions followed by batch norm, BN epsilon 1e-4. With ``batch_norm=False`` it is the
    deploy form (every convolution has a bias; the authors' released weights and folded models).
    The last convolution and the subtraction run in float32 even under a mixed-precision policy, so
    the clean estimate keeps full precision.

    Layers are named ``{name}_conv{i}``, ``{name}_bn{i}``, ``{name}_relu{i}`` (i from 1) and
    ``{name}_residual``.

    Args:
        depth: number of convolution layers (17 for DnCNN-S, 20 for DnCNN-B); at least 2.
        bn_momentum: Keras BN momentum (weight of the old moving statistics). Keras' default 0.99
            leaves them stale after short runs; 0.9 is used here.
        seed: seeds the initialisers (None: Keras' global seed).
        init: ``"orthogonal"`` (the authors' Keras code: orthogonal kernels, BN scale 1) or
            ``"matconvnet"`` (the authors' MatConvNet ``DnCNN_init_model_64_25_Res_Bnorm_Adam.m``:
            every kernel and every BN scale drawn from N(0, 2 / (9 * 64)), so the network starts
            with a small output; the SGD runs of the ablation use it).

    Input and output: (batch, H, W, channels) float, any H and W; images in [0, 1].
    """
    if depth < 2:
        raise ValueError(f"depth must be at least 2. Received: depth={depth}")
    if filters < 1 or channels < 1:
        raise ValueError(f"filters and channels must be >= 1. Received: filters={filters}, channels={channels}")
    if init not in ("orthogonal", "matconvnet"):
        raise ValueError(f"init must be 'orthogonal' or 'matconvnet'. Received: init={init!r}")
    std = (2 / (9 * 64)) ** 0.5  # MatConvNet's sqrt(2/(9*64)), the same for every layer

    def kernel_init(i):
        if init == "matconvnet":
            return keras.initializers.RandomNormal(stddev=std, seed=None if seed is None else seed + i)
        return keras.initializers.Orthogonal(seed=None if seed is None else seed + i)

    def scale_init(i):
        if init == "matconvnet":
            return keras.initializers.RandomNormal(stddev=std, seed=None if seed is None else seed + 1000 + i)
        return "ones"

    inputs = keras.Input(shape=(None, None, channels), name=f"{name}_input")
    x = keras.layers.Conv2D(filters, 3, padding="same", kernel_initializer=kernel_init(1), name=f"{name}_conv1")(inputs)
    x = keras.layers.ReLU(name=f"{name}_relu1")(x)
    for i in range(2, depth):
        x = keras.layers.Conv2D(
            filters, 3, padding="same", use_bias=not batch_norm, kernel_initializer=kernel_init(i), name=f"{name}_conv{i}"
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon, gamma_initializer=scale_init(i),
                                                name=f"{name}_bn{i}")(x)
        x = keras.layers.ReLU(name=f"{name}_relu{i}")(x)
    x = keras.layers.Conv2D(
        channels, 3, padding="same", use_bias=not batch_norm, kernel_initializer=kernel_init(depth),
        dtype="float32", name=f"{name}_conv{depth}",
    )(x)
    if residual:
        x = keras.layers.Subtract(dtype="float32", name=f"{name}_residual")([inputs, x])
    return keras.Model(inputs, x, name=name)


def count_layers(model: keras.Model, kind: str) -> int:
    """Number of layers of a kind in a model: ``"conv"``, ``"bn"`` or ``"relu"``."""
    classes = {"conv": keras.layers.Conv2D, "bn": keras.layers.BatchNormalization, "relu": keras.layers.ReLU}
    return sum(isinstance(layer, classes[kind]) for layer in model.layers)


def receptive_field(depth: int) -> int:
    """Side of the receptive field of ``depth`` stacked 3x3 convolutions: 2*depth + 1."""
    return 2 * depth + 1


def fold_batchnorm(model: keras.Model, *, name: str = "dncnn") -> keras.Model:
    """The deploy form of a trained DnCNN: each batch norm folded into the convolution before it.

    In inference mode BN computes ``gamma * (z - mean) / sqrt(var + eps) + beta`` per channel, an
    affine map that merges into the preceding convolution: the kernel is scaled per output channel
    by ``s = gamma / sqrt(var + eps)`` and the bias becomes ``beta + s * (b - mean)``. The result is a
    conv(+bias)+ReLU stack with the same outputs as ``model(x, training=False)`` (up to float
    rounding) and the same layer names, less the ``bn`` layers.
    """
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    depth, filters = len(convs), convs[0].filters
    channels = convs[0].kernel.shape[2]
    deploy = build_dncnn(depth, filters, batch_norm=False, channels=channels,
                         residual=any(isinstance(layer, keras.layers.Subtract) for layer in model.layers), name=name)
    for i, conv in enumerate(convs, start=1):
        kernel = keras.ops.convert_to_numpy(conv.kernel).astype("float64")
        bias = keras.ops.convert_to_numpy(conv.bias).astype("float64") if conv.use_bias else 0.0 * kernel[0, 0, 0]
        bn_name = conv.name.replace("_conv", "_bn")
        bn = model.get_layer(bn_name) if bn_name in [layer.name for layer in model.layers] else None
        if bn is not None:
            gamma = keras.ops.convert_to_numpy(bn.gamma) if bn.scale else 1.0
            beta = keras.ops.convert_to_numpy(bn.beta) if bn.center else 0.0
            mean = keras.ops.convert_to_numpy(bn.moving_mean).astype("float64")
            scale = gamma / (keras.ops.convert_to_numpy(bn.moving_variance).astype("float64") + bn.epsilon) ** 0.5
            kernel, bias = kernel * scale, beta + scale * (bias - mean)
        deploy.get_layer(f"{name}_conv{i}").set_weights([kernel.astype("float32"), bias.astype("float32")])
    return deploy


# Models trained by this project and committed in ``weights/`` (with their log and JSON sidecar):
