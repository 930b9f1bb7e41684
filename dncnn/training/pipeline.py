"""The accelerator-resident training pipeline: the patches live on the device, each step gathers its
batch by index and draws its noise inside the compiled step.

What crosses from the host each step is only the batch's patch indices, (batch,) int32, and a
two-word seed, (2,) int32. Both are pure functions of ``(seed, epoch, step)``:

- the indices are row ``step`` of :func:`epoch_order`, consecutive per-epoch permutations
  ``default_rng([seed, epoch]).permutation`` (the order of the host-side stream this pipeline
  replaced, so the clean batches are the ones earlier runs saw);
- the noise seed is :func:`step_seeds`, ``SeedSequence([seed, epoch, step]).generate_state(2)``.

Inside the step the uint8 patches are gathered, mapped to float32 in [0, 1] by a 256-entry table
(``float32(v) / float32(255)``, the same bits as numpy), and the noise is
``float32(sigma / 255) * z``, z standard normal from the backend's *stateless* generator
(:func:`stateless_normal`: ``jax.random.normal`` with a threefry key on JAX,
``tf.random.stateless_normal`` with Philox on TensorFlow). The noise formula is the one of
:mod:`dncnn.data.noise`; its generator differs (and differs between the two backends), so the noise
values are not numpy's. Nothing is clipped. A blind run (DnCNN-B) draws each patch's sigma
uniformly from ``sigma_range`` in the same step: ``low + (high - low) * u`` with ``u = Phi(w)``, w a
second standard normal draw (one per patch, from the seed with its words XOR-ed with
:data:`SIGMA_SEED_MASK`) and Phi the normal CDF, so u is uniform on [0, 1] and the same single
generator serves both draws.

Several devices (``keras.distribution.DataParallel``): a step's input is the global batch's indices
split into one row per device, ``(devices, batch / devices)``, and the seed repeated per row
(:func:`epoch_inputs` with ``devices``); Keras shards the rows, one per device, and the step works on
the global batch (the noise of the whole batch from the one seed, batch statistics and the loss over
the whole batch), so any device count computes the same step up to float rounding.

A resumed run therefore sees exactly the batches and noise an uninterrupted run sees.
"""

from __future__ import annotations

import functools
import math

import keras
import numpy as np


def epoch_order(count: int, *, batch_size: int, steps: int, seed: int, epoch: int) -> np.ndarray:
    """Patch indices of every step of one epoch, (steps, batch_size) int32 in [0, count).

    Consecutive permutations ``default_rng([seed, epoch]).permutation(count)``, concatenated and cut
    into batches; row ``k`` depends only on ``(seed, epoch, k)`` (not on ``steps``).
    """
    if batch_size < 1 or steps < 1:
        raise ValueError(f"batch_size and steps must be >= 1. Received: batch_size={batch_size}, steps={steps}")
    rng = np.random.default_rng([int(seed), int(epoch)])
    needed = steps * batch_size
    orders = [rng.permutation(count) for _ in range(math.ceil(needed / count))]
    return np.concatenate(orders)[:needed].astype(np.int32).reshape(steps, batch_size)


def step_seeds(*, seed: int, epoch: int, steps: int, first: int = 0) -> np.ndarray:
    """Noise seeds of steps ``first .. first + steps - 1``: (steps, 2) int32.

    Row ``j`` is ``SeedSequence([seed, epoch, first + j]).generate_state(2)`` (uint32) viewed as int32.
    """
    rows = [np.random.SeedSequence([int(seed), int(epoch), first + j]).generate_state(2, dtype=np.uint32)
            for j in range(steps)]
    return np.asarray(rows, dtype=np.uint32).reshape(steps, 2).view(np.int32)


def stateless_normal(shape: tuple[int, ...], *, seed):
    """Standard normal float32 values of ``shape`` from the backend's stateless generator.

    The one backend-specific call of the pipeline (``keras.random.normal`` accepts only an int or a
    ``SeedGenerator`` as seed in Keras 3.15, neither a traced value). ``seed``: (2,) int32 tensor.
    JAX: ``jax.random.normal`` with the threefry2x32 key whose data is ``seed`` as uint32;
    TensorFlow: ``tf.random.stateless_normal(..., alg="philox")``, always compiled by XLA (XLA's
    kernel draws other values than TensorFlow's own for the same seed; compiling it always makes
    the eager draw, an XLA step and a non-XLA step agree). The same seed gives the same values
    every call, eager or compiled, on that backend.
    """
    backend = keras.config.backend()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        key = jax.random.wrap_key_data(jax.lax.bitcast_convert_type(jnp.asarray(seed, jnp.int32), jnp.uint32),
                                       impl="threefry2x32")
        return jax.random.normal(key, shape, dtype=jnp.float32)
    if backend == "tensorflow":
        import tensorflow as tf

        return _tf_stateless_normal()(tuple(int(n) for n in shape), tf.cast(seed, tf.int32))
    raise ValueError(f"the device pipeline runs on the jax and tensorflow backends. Received: backend={backend!r}")


@functools.lru_cache(maxsize=None)
def _tf_stateless_normal():
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def normal(shape, seed):
        return tf.random.stateless_normal(shape, seed=seed, dtype=tf.float32, alg="philox")

    return normal


# XOR-ed into a step's seed for the second draw of a blind step (the patches' noise levels)
SIGMA_SEED_MASK = np.array([0x5EED5EED, 0x0B11D000], dtype=np.uint32).view(np.int32)


def noisy_clean_batch(bank, indices, seed, *, sigma: float, sigma_range: tuple[float, float] | None = None):
    """(noisy, clean) of one step, computed with backend ops (inside a compiled step, or eagerly).

    Args:
        bank: (N, p, p) uint8 patches (a tensor or variable).
        indices: (batch,) int32 rows of ``bank``.
        seed: (2,) int32 noise seed (:func:`step_seeds`).
        sigma: noise level on the 0-255 scale.
        sigma_range: ``(low, high)``: each patch's level is drawn uniformly from it instead (:func:`patch_sigmas`).

    Returns:
        Two (batch, p, p, 1) float32 tensors: clean in [0, 1]; noisy = clean + float32(sigma/255) * z,
        not clipped.
    """
    table = keras.ops.convert_to_tensor(np.arange(256, dtype=np.float32) / np.float32(255.0))
    patches = keras.ops.cast(keras.ops.take(bank, indices, axis=0), "int32")
    clean = keras.ops.expand_dims(keras.ops.take(table, patches, axis=0), -1)
    z = stateless_normal(tuple(clean.shape), seed=seed)
    if sigma_range is None:
        return clean + z * np.float32(sigma / 255.0), clean
    levels = patch_sigmas(clean.shape[0], seed=seed, sigma_range=sigma_range)
    return clean + z * keras.ops.reshape(levels / np.float32(255.0), (-1, 1, 1, 1)), clean


def patch_sigmas(count: int, *, seed, sigma_range: tuple[float, float]):
    """The noise level of each of a blind step's ``count`` patches: (count,) float32, uniform on
    ``[low, high]`` (0-255 scale), ``low + (high - low) * Phi(w)`` with w the stateless normal draw of
    the step's seed XOR :data:`SIGMA_SEED_MASK` and Phi the standard normal CDF."""
    low, high = (float(v) for v in sigma_range)
    w = stateless_normal((int(count),), seed=keras.ops.bitwise_xor(keras.ops.cast(seed, "int32"), SIGMA_SEED_MASK))
    u = 0.5 * (1.0 + keras.ops.erf(w / np.float32(np.sqrt(2.0))))
    return np.float32(low) + np.float32(high - low) * keras.ops.cast(u, "float32")


class PatchBank(keras.layers.Layer):
    """The training patches as one non-trainable uint8 variable on the device, never saved.

    Call: ``(indices (batch,) int32, seed (2,) int32) -> (noisy, clean)`` of :func:`noisy_clean_batch`.
    ``save_own_variables`` stores nothing, so even a saved training model holds no patches.
    """

    def __init__(self, patches: np.ndarray, *, sigma: float, sigma_range: tuple[float, float] | None = None,
                 name: str = "patch_bank", **kwargs):
        super().__init__(name=name, dtype="float32", **kwargs)
        patches = np.asarray(patches)
        if patches.dtype != np.uint8 or patches.ndim != 3:
            raise ValueError(f"patches must be (N, p, p) uint8. Received: shape={patches.shape}, dtype={patches.dtype}")
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0. Received: sigma={sigma}")
        if sigma_range is not None and not 0 <= sigma_range[0] <= sigma_range[1]:
            raise ValueError(f"sigma_range must be (low, high) with 0 <= low <= high. Received: sigma_range={sigma_range}")
        self.sigma = float(sigma)
        self.sigma_range = None if sigma_range is None else (float(sigma_range[0]), float(sigma_range[1]))
        self.patches = keras.Variable(patches, dtype="uint8", trainable=False, name=f"{name}_patches")
        self.built = True  # its one variable exists from the start

    def call(self, indices, seed):
        return noisy_clean_batch(self.patches, indices, seed, sigma=self.sigma, sigma_range=self.sigma_range)

    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass


class DenoiserTrainer(keras.Model):
    """A training wrapper: the denoiser ``net`` and a :class:`PatchBank`; loss MSE(net(noisy), clean).

    Inputs of one step: ``{"indices": (rows, batch / rows) int32, "seeds": (rows, 2) int32}``, the
    step's rows of :func:`epoch_inputs` (``fit`` runs with ``batch_size=rows``: 1, or one row per
    device); the indices are flattened to the global batch and the first row's seed is the step's.
    Only ``net`` is saved (by the caller): compiled with this wrapper's optimizer object,
    ``net.save()`` stores weights and optimizer state.

    ``loss="half_sum"`` trains on the authors' scale (half the squared error summed over a patch,
    averaged over the batch: ``p * p / 2`` times the MSE); ``weight_decay`` adds
    ``weight_decay / 2 * sum(kernel ** 2)`` over the convolution kernels, so the optimizer's gradient
    carries ``weight_decay * kernel`` as MatConvNet's SGD adds it. The logged loss is that objective.
    """

    def __init__(self, net: keras.Model, patches: np.ndarray, *, sigma: float, sigma_range: tuple[float, float] | None = None,
                 loss: str = "mse", weight_decay: float = 0.0, name: str = "trainer"):
        super().__init__(name=name)
        if loss not in ("mse", "half_sum"):
            raise ValueError(f"loss must be 'mse' or 'half_sum'. Received: loss={loss!r}")
        self.net = net
        self.bank = PatchBank(patches, sigma=sigma, sigma_range=sigma_range, name=f"{name}_patch_bank")
        self.loss_scale = 1.0 if loss == "mse" else patches.shape[1] * patches.shape[2] / 2.0
        self.weight_decay = float(weight_decay)

    def call(self, inputs, training=False):
        noisy, clean = self.bank(keras.ops.reshape(inputs["indices"], (-1,)), inputs["seeds"][0])
        return self.net(noisy, training=training), clean

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        denoised, clean = y_pred
        loss = keras.ops.mean(keras.ops.square(keras.ops.cast(denoised, "float32") - clean))
        if self.loss_scale != 1.0:
            loss = loss * np.float32(self.loss_scale)
        if self.weight_decay:
            kernels = [layer.kernel for layer in self.net.layers if isinstance(layer, keras.layers.Conv2D)]
            loss = loss + np.float32(self.weight_decay / 2) * sum(keras.ops.sum(keras.ops.square(k)) for k in kernels)
        return loss


def build_trainer(net: keras.Model, patches: np.ndarray, *, sigma: float, optimizer: keras.optimizers.Optimizer | None = None,
                  jit_compile: bool | str = "auto", steps_per_execution: int = 1, sigma_range: tuple[float, float] | None = None,
                  loss: str = "mse", weight_decay: float = 0.0) -> DenoiserTrainer:
    """Wrap ``net`` for device-resident training and compile both with one optimizer object.

    Args:
        net: the DnCNN; if it is compiled (a loaded checkpoint) its optimizer, with its state, is reused.
        patches: (N, p, p) uint8, copied to the device once.
        optimizer: for a new run (ignored when ``net`` already has one).
        steps_per_execution: training steps per compiled call (>= 1).
        sigma_range, loss, weight_decay: of :class:`DenoiserTrainer`.
    """
    if steps_per_execution < 1:
        raise ValueError(f"steps_per_execution must be >= 1. Received: steps_per_execution={steps_per_execution}")
    optimizer = getattr(net, "optimizer", None) or optimizer
    if optimizer is None:
        raise ValueError("build_trainer needs an optimizer for a net that is not compiled. Received: optimizer=None")
    if getattr(net, "optimizer", None) is None:
        net.compile(optimizer=optimizer, loss="mean_squared_error", jit_compile=jit_compile)
    trainer = DenoiserTrainer(net, patches, sigma=sigma, sigma_range=sigma_range, loss=loss, weight_decay=weight_decay)
    trainer.compile(optimizer=optimizer, jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    return trainer


def epoch_inputs(count: int, *, batch_size: int, steps: int, seed: int, epoch: int, devices: int = 1) -> dict[str, np.ndarray]:
    """The host side of one epoch: ``indices`` (steps * devices, batch_size / devices) int32 and
    ``seeds`` (steps * devices, 2) int32; step ``k`` is rows ``k * devices`` to ``(k + 1) * devices - 1``:
    its batch of :func:`epoch_order` cut into one row per device, and its seed repeated on each row.

    Raises:
        ValueError: if ``devices`` does not divide ``batch_size``.
    """
    if devices < 1 or batch_size % devices:
        raise ValueError(f"the batch must split evenly over the devices. Received: batch_size={batch_size}, devices={devices}")
    order = epoch_order(count, batch_size=batch_size, steps=steps, seed=seed, epoch=epoch)
    return {"indices": order.reshape(steps * devices, batch_size // devices),
            "seeds": np.repeat(step_seeds(seed=seed, epoch=epoch, steps=steps), devices, axis=0)}


def draw_batch(patches: np.ndarray, *, batch_size: int, sigma: float, seed: int, epoch: int, step: int,
               sigma_range: tuple[float, float] | None = None):
    """The (noisy, clean) batch that training sees at ``(seed, epoch, step)``, computed eagerly.

    Same indices, seed and ops (:func:`noisy_clean_batch`) as the compiled step, on the active backend.

    Returns:
        Two (batch, p, p, 1) float32 numpy arrays: noisy (not clipped) and clean in [0, 1].
    """
    indices = epoch_order(len(patches), batch_size=batch_size, steps=step + 1, seed=seed, epoch=epoch)[step]
    seeds = step_seeds(seed=seed, epoch=epoch, steps=1, first=step)[0]
    rows = np.asarray(patches[indices])  # only this batch's patches go to the device; gathered there by position
    noisy, clean = noisy_clean_batch(keras.ops.convert_to_tensor(rows), keras.ops.convert_to_tensor(np.arange(batch_size, dtype=np.int32)),
                                     keras.ops.convert_to_tensor(seeds), sigma=sigma, sigma_range=sigma_range)
    return keras.ops.convert_to_numpy(noisy), keras.ops.convert_to_numpy(clean)
