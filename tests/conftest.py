"""Shared fixtures: the local data mirror (skipped with a reason where it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dncnn import config

DEFAULT_MIRROR = config.PROJECT_ROOT.parent / "shared" / "datasets"


def find_mirror() -> Path | None:
    """``$DNCNN_DATA_MIRROR`` if set, else ``../shared/datasets`` beside the checkout, if present."""
    path = Path(os.environ.get(config.MIRROR_ENV) or DEFAULT_MIRROR)
    return path if (path / "Train400").is_dir() else None


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = find_mirror()
    if path is None:
        pytest.skip(f"no local data mirror: set {config.MIRROR_ENV} to a folder holding Train400/, BSD68/, Set12/")
    return path


@pytest.fixture(scope="session")
def raw_dir(mirror, tmp_path_factory) -> Path:
    """All three datasets fetched (copied and verified) from the mirror into a temporary folder."""
    from dncnn import data

    return data.fetch_datasets(dest=tmp_path_factory.mktemp("raw"), mirror=mirror, progress=False)
