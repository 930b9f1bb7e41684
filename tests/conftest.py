"""Shared fixtures: the local data and weights mirrors (skipped with a reason where absent), test images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from dncnn import config

DEFAULT_MIRROR = config.PROJECT_ROOT.parent / "shared" / "datasets"
DEFAULT_WEIGHTS = config.PROJECT_ROOT.parent / "shared" / "reference-weights"


def _calls_jax_jobs(item) -> bool:
    import inspect

    try:
        return "jax_job(" in inspect.getsource(item.function)
    except (AttributeError, OSError, TypeError):
        return False


def _uses_smoke_run(item) -> bool:
    return "smoke_run" in getattr(item, "fixturenames", ())


def _uses_two_devices(item) -> bool:
    return "two_devices_run" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(session, config, items):
    """The tests that wait on a background process (:func:`pytest_collection_finish`) run last, so
    that the rest of the suite runs while it works."""
    items.sort(key=lambda item: (_calls_jax_jobs(item) or _uses_two_devices(item), _uses_smoke_run(item)))  # stable: otherwise in file order


def pytest_collection_finish(session):
    """Start, beside the suite, the subprocesses that selected tests wait on: the JAX jobs
    (tests/backend_jobs.py), the two-device training (tests/two_devices_job.py) and the smoke
    ``reproduce`` of the published pages."""
    import importlib.util

    if session.config.option.collectonly or not session.items:
        return
    import helpers

    if importlib.util.find_spec("jax") and any(_calls_jax_jobs(item) for item in session.items):
        helpers.start_jax_jobs(session.config._tmp_path_factory.getbasetemp() / "jax-jobs")
    mirror = find_mirror()
    if importlib.util.find_spec("jax") and mirror is not None and any(_uses_two_devices(item) for item in session.items):
        helpers.start_two_devices(session.config._tmp_path_factory.getbasetemp() / "two-devices", mirror=mirror)
    if mirror is not None and any(_uses_smoke_run(item) for item in session.items):
        helpers.start_smoke_run(mirror)


def pytest_sessionfinish(session):
    import helpers

    helpers.stop_background()


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
    from dncnn.data import datasets

    return datasets.fetch_datasets(dest=tmp_path_factory.mktemp("raw"), mirror=mirror, progress=False)


def find_weights() -> Path | None:
    """The package's own weights mirror (``$DNCNN_WEIGHTS_MIRROR``, else ``reference-weights`` beside
    ``$DNCNN_DATA_MIRROR``: :func:`dncnn.model.reference.weights_mirror`), else
    ``../shared/reference-weights`` beside the checkout, if it holds the authors' ``.mat`` files."""
    from dncnn.model import reference

    path = reference.weights_mirror() or DEFAULT_WEIGHTS
    return path if (path / "dncnn_s_sigma25.mat").is_file() else None


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    """The folder of the authors' released ``.mat`` weights."""
    from dncnn.model import reference

    path = find_weights()
    if path is None:
        pytest.skip(f"the authors' weights are absent: set {reference.WEIGHTS_MIRROR_ENV} to a folder holding dncnn_s_sigma25.mat")
    return path


@pytest.fixture(scope="session")
def crops(raw_dir):
    """``(names, images)``: the central 96x96 of the first two BSD68 images, uint8."""
    from dncnn.data import datasets
    from dncnn.data.datasets import crop_center

    names, images = datasets.load_dataset("BSD68", root=raw_dir, limit=2)
    return names, [crop_center(image, 96) for image in images]


@pytest.fixture(scope="session")
def bsd68_crops(raw_dir):
    """The central 128x128 of the first two BSD68 images, uint8."""
    from dncnn.data import datasets
    from dncnn.data.datasets import crop_center

    _, images = datasets.load_dataset("BSD68", root=raw_dir, limit=2)
    return [crop_center(image, 128) for image in images]


@pytest.fixture(scope="session")
def noisy_crops(raw_dir):
    """The central 96x96 of the first three BSD68 images with the protocol's sigma-25 noise, float32."""
    from dncnn.data import datasets
    from dncnn.data.noise import add_gaussian_noise
    from dncnn.data.datasets import crop_center

    _, images = datasets.load_dataset("BSD68", root=raw_dir, limit=3)
    return [add_gaussian_noise(crop_center(image, 96), 25, seed=0, index=i) for i, image in enumerate(images)]


@pytest.fixture(scope="session")
def valid_png(tmp_path_factory) -> bytes:
    """The bytes of a valid 50x40 grey PNG."""
    import cv2

    path = tmp_path_factory.mktemp("png") / "ok.png"
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 256, (40, 50), dtype=np.uint8))
    return path.read_bytes()


@pytest.fixture
def patches_file(tmp_path) -> Path:
    """A (64, 40, 40) uint8 patches file of seeded random values."""
    from dncnn.files.atomic import save_npy

    return save_npy(tmp_path / "patches.npy", np.random.default_rng(0).integers(0, 256, (64, 40, 40), dtype=np.uint8))


@pytest.fixture
def user_images(tmp_path, raw_dir):
    """``(clean, paths)``: the central 128x128 of Set12's first image and files a user might give: grey, RGBA,
    16-bit, empty, junk, tiny."""
    import cv2

    from dncnn.data.datasets import crop_center
    from dncnn.data.noise import add_gaussian_noise

    clean = crop_center(cv2.imread(str(raw_dir / "Set12" / "01.png"), cv2.IMREAD_UNCHANGED), 128)
    noisy = np.clip(add_gaussian_noise(clean, 25, seed=0), 0, 1)
    paths = {"grey": tmp_path / "grey.png", "rgba": tmp_path / "rgba.png", "deep": tmp_path / "deep.tif",
             "empty": tmp_path / "empty.png", "junk": tmp_path / "junk.png", "tiny": tmp_path / "tiny.png"}
    grey8 = np.round(noisy * 255).astype(np.uint8)
    cv2.imwrite(str(paths["grey"]), grey8)
    cv2.imwrite(str(paths["rgba"]), np.dstack([grey8, grey8, grey8, np.full_like(grey8, 255)]))
    cv2.imwrite(str(paths["deep"]), np.round(noisy * 65535).astype(np.uint16))
    paths["empty"].write_bytes(b"")
    paths["junk"].write_bytes(os.urandom(300))
    cv2.imwrite(str(paths["tiny"]), np.zeros((2, 2), np.uint8))
    return clean, paths
