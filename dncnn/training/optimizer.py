"""The optimizers of a training run: Adam (the authors' Keras code) or SGD with momentum, clipped as
MatConvNet clips (:class:`ClippedSGD`, registered so that a checkpoint that holds it loads)."""

from __future__ import annotations

import keras

from ..profiles import Profile


def make_optimizer(profile: Profile) -> keras.optimizers.Optimizer:
    """The optimizer of a new run at the profile's first learning rate: Adam (Keras' defaults, the
    authors' Keras code: beta 0.9/0.999, epsilon 1e-7) or SGD with the profile's momentum (the
    paper: 0.9; its weight decay is added to the loss by the trainer, as MatConvNet adds it to the
    gradient), clipped as MatConvNet clips when the profile sets ``gradient_clip``
    (:class:`ClippedSGD`). A resumed run keeps its checkpoint's optimizer and state instead."""
    if profile.optimizer == "sgd" and profile.gradient_clip:
        return ClippedSGD(profile.learning_rate(0), momentum=profile.momentum,
                          clip_step=profile.gradient_clip / profile.batch_size)
    if profile.optimizer == "sgd":
        return keras.optimizers.SGD(profile.learning_rate(0), momentum=profile.momentum)
    return keras.optimizers.Adam(profile.learning_rate(0))


@keras.saving.register_keras_serializable(package="dncnn")
class ClippedSGD(keras.optimizers.SGD):
    """SGD with momentum whose gradient elements are clipped to ``+-clip_step / learning_rate`` first.

    MatConvNet's ``DnCNN_train.m`` clips each element of the gradient summed over the batch to
    ``+-theta / lr`` before dividing by the batch size; the trainer's gradient is the batch mean, so
    ``clip_step = theta / batch``. A step then moves no weight by more than ``clip_step`` before
    momentum, whatever the learning rate. (The weight decay the trainer adds to the loss is clipped
    with the gradient here, not in MatConvNet: at 1e-4 times kernels of about 0.06 it is far below
    the bound.)
    """

    def __init__(self, learning_rate=0.01, *, clip_step: float, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.clip_step = float(clip_step)

    def update_step(self, gradient, variable, learning_rate):
        bound = self.clip_step / keras.ops.cast(learning_rate, gradient.dtype)
        super().update_step(keras.ops.clip(gradient, -bound, bound), variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "clip_step": self.clip_step}
