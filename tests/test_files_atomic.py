"""Atomic writes: a file appears complete or not at all; a no-clobber write loses to a file that appears meanwhile."""

import numpy as np
import pytest

from dncnn.files.atomic import atomic_path, load_npy, save_json, save_npy


def _no_partial_files(folder):
    return not [p for p in folder.rglob("*") if ".part" in p.name]


def test_no_clobber_publishing_loses_to_a_file_that_appears_while_writing(tmp_path):
    target = tmp_path / "race.png"
    with pytest.raises(FileExistsError, match="race.png already exists"):
        with atomic_path(target, overwrite=False) as tmp:
            tmp.write_bytes(b"ours")
            target.write_bytes(b"theirs")  # another program got there first
    assert target.read_bytes() == b"theirs" and _no_partial_files(tmp_path)


def test_a_failing_write_leaves_neither_the_file_nor_a_temporary(tmp_path):
    target = tmp_path / "sub" / "table.csv"
    with pytest.raises(RuntimeError, match="half-way"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("half-way")
    assert not target.exists() and not list(target.parent.iterdir())


def test_a_write_replaces_the_old_file_whole(tmp_path):
    target = save_json(tmp_path / "a.json", {"n": 1})
    save_json(target, {"n": 2, "values": np.arange(3)})
    assert target.read_text() == '{\n  "n": 2,\n  "values": [\n    0,\n    1,\n    2\n  ]\n}\n'
    assert _no_partial_files(tmp_path)


def test_npy_files_round_trip_and_refuse_pickles(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(load_npy(save_npy(tmp_path / "a.npy", array)), array)
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        load_npy(tmp_path / "objects.npy")
