"""Where a result came from: library versions, git commit, device (:mod:`dncnn.runtime.device`)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

from .. import config
from ..runtime.device import describe_device


def git_commit(root: str | os.PathLike = config.PROJECT_ROOT) -> str:
    """The commit of the code: ``HEAD`` of the git repository whose top folder is ``root`` (the folder
    holding the ``dncnn`` package), with ``+dirty`` when tracked files differ from it.

    ``unknown`` when ``root`` is not the top of a git repository that tracks this package: a copy
    of the project inside another repository (an enclosing checkout, a notebook server's home) must
    not report that repository's commit. Untracked files do not make it dirty.
    """
    root = Path(root).resolve()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != root:
            return "unknown"  # the nearest repository encloses the project: not its history
        git("ls-files", "--error-unmatch", Path(__file__).resolve().relative_to(root).as_posix())  # this very file is tracked
        head = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the numbers (those importable here)."""
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for name in ("keras", "tensorflow-cpu", "tensorflow", "jax", "jaxlib", "numpy", "opencv-python-headless",
                 "scikit-image", "bm3d", "torch"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return versions


def provenance() -> dict:
    """Everything a sidecar records about where and with what a result was made."""
    import keras

    return {
        "backend": keras.config.backend(),
        "device": describe_device(),
        "versions": library_versions(),
        "git_commit": git_commit(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def describe_machine(facts: dict) -> str:
    """The line a table's Markdown ends with: ``Measured on <device>, Keras <version> on <backend>.``,
    from :func:`provenance` facts."""
    return f"Measured on {facts['device']}, Keras {facts['versions'].get('keras', '?')} on {facts['backend']}."
