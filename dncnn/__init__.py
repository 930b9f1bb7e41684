"""DnCNN study.

Importing the package silences TensorFlow's C++ start-up lines ("All log messages before
absl::InitializeLog() ...", "oneDNN custom operations are on ...", "Compiled cluster using XLA!")
for this process and the notebooks' kernels, so a reader sees only the study's own output. Set
``TF_CPP_MIN_LOG_LEVEL=0`` before importing ``dncnn`` to see them again. It also sets TensorFlow to
one inter-op thread (``TF_NUM_INTEROP_THREADS=1``, unless set already), which makes CPU training
bit-identical from run to run (see below). TensorFlow itself is only imported where it is needed.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import os
import sys

# TensorFlow's C++ INFO and WARNING lines (the XLA compilation notes among them); errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# One inter-op thread: TensorFlow runs one op at a time, each on every core (the intra-op pool). With
# TensorFlow's default (as many inter-op threads as cores) two CPU trainings of DnCNN-S with the same
# seeds and op determinism on ended with different weights on a 2-core AMD EPYC; with one, reruns are
# bit-identical (tests/test_training_determinism.py) at the same speed (make bench's training sweep,
# results/bench_training.md). TensorFlow reads this when it first runs an op, so it holds wherever
# dncnn is imported before that.
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")


@contextlib.contextmanager
def silence_stderr():
    """Send this process's file descriptor 2 to /dev/null for the block (C++ libraries write there directly)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietTensorFlowImport:
    """Finds ``tensorflow`` as Python would, and runs its first import with stderr silenced: the
    lines TensorFlow's shared libraries print while they load come before any log level applies."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(cls)  # once is enough
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def quiet_exec_module(module):
            with silence_stderr():
                exec_module(module)

        spec.loader.exec_module = quiet_exec_module  # this loader instance only
        return spec


if os.environ["TF_CPP_MIN_LOG_LEVEL"] not in ("", "0") and "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlowImport)


def denoise(image, sigma=None, *, model=None, details=False, tile=512):
    """Denoise one image with the study's models, as ``python -m dncnn denoise`` does.

    Without ``sigma`` the noise level is estimated and the model chosen by the noise-level study's
    rule (``results/noise-levels/noise_levels_rule.csv``); a colour image goes to the authors'
    CDnCNN-B. The network never sees ``sigma``: it only picks the model (the authors' DnCNN-S
    trained for 15, 25 or 50, else their blind DnCNN-B). The authors' weights are fetched at the
    pinned commit (or copied from a mirror) and checked by SHA-256 the first time.

    Args:
        image: HxW grey or HxWx3 RGB array; uint8 (0-255), uint16, or float on the [0, 1] scale.
        sigma: noise level on the 0-255 scale; None (or ``"auto"``): estimated per image.
        model: a key of ``dncnn.model.catalog.MODELS`` (``"dncnn_b_gray_blind"``, ``"ours"``, ...)
            instead of the choice.
        details: also return ``{"model": catalogue key, "sigma_estimate", "estimator"}``.
        tile: tile side in pixels (bounds memory; the result is the same).

    Returns:
        The estimate: float32, the image's shape, on the [0, 1] scale (clipped); with ``details``,
        ``(estimate, facts)``.

    Examples:
        >>> import numpy as np, skimage.data, dncnn
        >>> from dncnn.data.noise import add_gaussian_noise
        >>> from dncnn.evaluation.metrics import compute_psnr
        >>> clean = skimage.data.camera()[100:196, 200:296]  # 96 x 96, uint8
        >>> noisy = add_gaussian_noise(clean, 25.0, seed=0)  # float32, [0, 1] scale, not clipped
        >>> estimate, facts = dncnn.denoise(noisy, details=True)
        >>> estimate.shape, estimate.dtype
        ((96, 96), dtype('float32'))
        >>> facts["model"], facts["estimator"], 20 < facts["sigma_estimate"] < 30  # the rule's pick
        ('dncnn_s_sigma25', 'weak-texture PCA (Liu et al. 2013)', True)
        >>> compute_psnr(clean, estimate) > compute_psnr(clean, noisy) + 5  # dB
        True
        >>> dncnn.denoise(noisy, sigma=25).shape  # sigma known: the authors' DnCNN-S for 25
        (96, 96)
    """
    from .restoration.api import denoise_array

    return denoise_array(image, sigma=sigma, model=model, details=details, tile=tile)
