"""The shared fixtures find the data and the authors' weights as the package does, so a clone that is not
beside ``shared/`` runs every test when the mirror variables are set."""

import conftest
from dncnn import config
from dncnn.model import reference


def _weights_folder(path):
    path.mkdir(parents=True)
    (path / "dncnn_s_sigma25.mat").write_bytes(b"stand-in")
    return path


def test_weights_are_found_beside_the_data_mirror_and_through_their_own_variable(tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "DEFAULT_WEIGHTS", tmp_path / "no-shared-here" / "reference-weights")
    monkeypatch.delenv(reference.WEIGHTS_MIRROR_ENV, raising=False)
    monkeypatch.delenv(config.MIRROR_ENV, raising=False)
    assert conftest.find_weights() is None  # nothing set, nothing beside the checkout: the tests skip
    (tmp_path / "elsewhere" / "datasets").mkdir(parents=True)
    beside = _weights_folder(tmp_path / "elsewhere" / "reference-weights")
    monkeypatch.setenv(config.MIRROR_ENV, str(tmp_path / "elsewhere" / "datasets"))
    assert conftest.find_weights() == beside.resolve()  # only DNCNN_DATA_MIRROR set, as the brief's setup
    own = _weights_folder(tmp_path / "own")
    monkeypatch.setenv(reference.WEIGHTS_MIRROR_ENV, str(own))
    assert conftest.find_weights() == own  # DNCNN_WEIGHTS_MIRROR wins


def test_the_data_mirror_is_found_through_its_variable(tmp_path, monkeypatch):
    (tmp_path / "datasets" / "Train400").mkdir(parents=True)
    monkeypatch.setenv(config.MIRROR_ENV, str(tmp_path / "datasets"))
    assert conftest.find_mirror() == tmp_path / "datasets"
