"""The DnCNN builder and batch-norm folding."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn.model.network import build_dncnn, count_layers, fold_batchnorm, receptive_field  # noqa: E402
from helpers import trained_like  # noqa: E402


@pytest.mark.parametrize("depth,bn", [(17, 15), (20, 18)])
def test_layer_counts_of_dncnn_s_and_b(depth, bn):
    model = build_dncnn(depth)
    assert count_layers(model, "conv") == depth
    assert count_layers(model, "bn") == bn
    assert count_layers(model, "relu") == depth - 1
    assert model.get_layer("dncnn_conv1").kernel.shape == (3, 3, 1, 64)
    assert model.get_layer(f"dncnn_conv{depth}").kernel.shape == (3, 3, 64, 1)


def test_dncnn_s_has_the_papers_parameter_count():
    # 3*3*64 + 64 (first conv with bias) + 15 * (3*3*64*64 + 4*64 BN) + 3*3*64 (last conv)
    expected = 640 + 15 * (36864 + 256) + 576
    assert build_dncnn(17).count_params() == expected


@pytest.mark.parametrize("shape", [(37, 53), (1, 1), (64, 9)])
def test_output_shape_equals_input_shape_for_odd_sizes(shape):
    model = build_dncnn(5, 8, seed=0)
    x = np.random.default_rng(0).random((2, *shape, 1)).astype("float32")
    assert tuple(model(x, training=False).shape) == (2, *shape, 1)


def test_output_is_input_minus_predicted_residual():
    model = build_dncnn(4, 8, seed=0)
    x = np.random.default_rng(1).random((1, 16, 16, 1)).astype("float32")
    residual = keras.Model(model.input, model.get_layer("dncnn_conv4").output)(x, training=False)
    np.testing.assert_allclose(model(x, training=False), x - keras.ops.convert_to_numpy(residual), atol=1e-6)


def test_deploy_form_has_biases_and_no_batch_norm():
    model = build_dncnn(17, batch_norm=False)
    assert count_layers(model, "bn") == 0
    assert all(model.get_layer(f"dncnn_conv{i}").use_bias for i in range(1, 18))


def test_layer_names_are_deterministic():
    names = [layer.name for layer in build_dncnn(3, 4).layers]
    assert names == ["dncnn_input", "dncnn_conv1", "dncnn_relu1", "dncnn_conv2", "dncnn_bn2", "dncnn_relu2",
                     "dncnn_conv3", "dncnn_residual"]


def test_seeded_builds_are_identical():
    a, b = build_dncnn(3, 4, seed=5), build_dncnn(3, 4, seed=5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_bad_depth_is_refused():
    with pytest.raises(ValueError, match="depth must be at least 2. Received: depth=1"):
        build_dncnn(1)


def test_receptive_field_of_17_layers_is_35():
    assert receptive_field(17) == 35


def test_fold_batchnorm_keeps_the_outputs_and_drops_the_bn_layers():
    model = trained_like()
    deploy = fold_batchnorm(model)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in deploy.layers)
    x = np.random.default_rng(1).random((1, 45, 37, 1)).astype("float32")
    diff = np.abs(keras.ops.convert_to_numpy(model(x, training=False)) - keras.ops.convert_to_numpy(deploy(x, training=False)))
    assert diff.max() < 1e-5


def test_fold_batchnorm_keeps_the_layer_names_and_folds_each_bn_into_its_own_conv():
    model = trained_like(depth=4, filters=8)
    conv1 = model.get_layer("dncnn_conv1")
    conv1.set_weights([conv1.get_weights()[0], np.random.default_rng(3).normal(0, 0.1, 8).astype("float32")])  # trained: not 0
    deploy = fold_batchnorm(model)
    assert [layer.name for layer in deploy.layers] == [layer.name for layer in model.layers if "_bn" not in layer.name]
    # conv2's folded kernel and bias, written out from its own BN: s = gamma / sqrt(var + eps), bias = beta - s * mean
    gamma, beta, mean, var = model.get_layer("dncnn_bn2").get_weights()
    s = gamma / np.sqrt(var + 1e-4)
    kernel, bias = deploy.get_layer("dncnn_conv2").get_weights()
    np.testing.assert_allclose(kernel, model.get_layer("dncnn_conv2").get_weights()[0] * s, rtol=1e-6)
    np.testing.assert_allclose(bias, beta - s * mean, rtol=1e-5, atol=1e-7)
    # the first and last convs have no BN: copied as they are (the last had no bias: zero)
    for a, b in zip(deploy.get_layer("dncnn_conv1").get_weights(), model.get_layer("dncnn_conv1").get_weights()):
        np.testing.assert_array_equal(a, b)
    kernel, bias = deploy.get_layer("dncnn_conv4").get_weights()
    np.testing.assert_array_equal(kernel, model.get_layer("dncnn_conv4").get_weights()[0])
    np.testing.assert_array_equal(bias, np.zeros(1, np.float32))


def test_the_matconvnet_initialisation_draws_kernels_and_bn_scales_of_its_scale():
    model = build_dncnn(8, seed=0, init="matconvnet")
    std = (2 / (9 * 64)) ** 0.5  # DnCNN_init_model_64_25_Res_Bnorm_Adam.m: sqrt(2/(9*64))*randn for every layer
    kernels = np.concatenate([model.get_layer(f"dncnn_conv{i}").kernel.numpy().ravel() for i in range(2, 8)])
    scales = np.concatenate([model.get_layer(f"dncnn_bn{i}").gamma.numpy() for i in range(2, 8)])  # 384 values
    assert abs(kernels.std() / std - 1) < 0.01 and abs(scales.std() / std - 1) < 0.15 and abs(scales.mean()) < 0.01
    assert build_dncnn(4, seed=0).get_layer("dncnn_bn2").gamma.numpy().tolist() == [1.0] * 64  # the Keras recipe
    with pytest.raises(ValueError, match="init must be"):
        build_dncnn(5, init="he")
