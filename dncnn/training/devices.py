"""The devices a run trains on: one, or several under JAX's data parallelism."""

from __future__ import annotations

import contextlib

import keras


def resolve_devices(devices: int | str | None, *, batch_size: int) -> int:
    """The number of devices a run trains on: 1 for ``None``; ``"all"``: every device JAX lists (1 on
    another backend, which trains on its default device).

    Raises:
        ValueError: more than one device on a backend other than JAX, more devices than there are,
            or a batch that does not split evenly over them.
    """
    jax = keras.config.backend() == "jax"
    if devices is None or (devices == "all" and not jax):
        return 1
    available = keras.distribution.list_devices() if jax else []
    count = len(available) if devices == "all" else int(devices)
    if count == 1:
        return 1
    if count < 1:
        raise ValueError(f"devices must be 'all' or a count >= 1. Received: devices={devices!r}")
    if not jax:
        raise ValueError(f"training on several devices needs the JAX backend (KERAS_BACKEND=jax). Received: "
                         f"devices={devices!r} on {keras.config.backend()}")
    if not 1 <= count <= len(available):
        raise ValueError(f"devices must be 'all' or a count in [1, {len(available)}] (the devices JAX sees: "
                         f"{', '.join(available)}). Received: devices={devices!r}")
    if batch_size % count:
        raise ValueError(f"the batch of {batch_size} does not split evenly over {count} devices; choose a device count "
                         f"that divides it. Received: devices={devices!r}")
    return count


@contextlib.contextmanager
def data_parallel(count: int):
    """``keras.distribution.DataParallel`` over the first ``count`` devices for the block (nothing for 1)."""
    if count == 1:
        yield
        return
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices()[:count])
    with distribution.scope():
        yield
