"""DnCNN study.

Importing the package silences TensorFlow's C++ start-up lines ("All log messages before
absl::InitializeLog() ...", "oneDNN custom operations are on ...", "Compiled cluster using XLA!")
for this process and the notebooks' kernels, so a reader sees only the study's own output. Set
``TF_CPP_MIN_LOG_LEVEL=0`` before importing ``dncnn`` to see them again. TensorFlow itself is only
imported where it is needed.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import os
import sys

# TensorFlow's C++ INFO and WARNING lines (the XLA compilation notes among them); errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
