"""The machine a run computes on: the CPU's model and cores, the accelerator Keras' backend uses."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    """The CPU's model name and core count."""
    name = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def accelerator_name() -> str | None:
    """The accelerator Keras' backend computes on (its device name and count), or None on the CPU."""
    import keras

    backend = keras.config.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                count = jax.device_count()
                return f"{device.device_kind} ({device.platform}, {count} device{'' if count == 1 else 's'})"
        elif backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"{details.get('device_name', 'GPU')} ({len(gpus)} GPU{'' if len(gpus) == 1 else 's'})"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                count = torch.cuda.device_count()
                return f"{torch.cuda.get_device_name(0)} ({count} GPU{'' if count == 1 else 's'})"
    except Exception:  # an unusable accelerator is no accelerator, and describing it must never break a run
        pass
    return None


def has_accelerator() -> bool:
    """Whether Keras' backend computes on a GPU (or another accelerator) rather than the CPU."""
    return accelerator_name() is not None


def describe_device() -> str:
    """The accelerator Keras' backend computes on, or the CPU."""
    return accelerator_name() or f"CPU: {cpu_model()}"
