"""The authors' released weights read into Keras deploy-form models."""

import h5py
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn.model import reference  # noqa: E402


@pytest.mark.parametrize("name,depth", [("dncnn_s_sigma25", 17), ("dncnn_b_gray_blind", 20)])
def test_released_models_read_as_conv_stacks(weights_dir, name, depth):
    pairs = reference.read_matconvnet(weights_dir / f"{name}.mat")
    assert len(pairs) == depth
    assert pairs[0][0].shape == (3, 3, 1, 64) and pairs[-1][0].shape == (3, 3, 64, 1)
    assert all(k.shape == (3, 3, 64, 64) and b.shape == (64,) for k, b in pairs[1:-1])


def test_fetch_checks_the_weights_checksum(weights_dir, tmp_path):
    path = reference.fetch_reference_weights("dncnn_s_sigma25", dest=tmp_path, mirror=weights_dir)
    assert path.read_bytes() == (weights_dir / "dncnn_s_sigma25.mat").read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "dncnn_s_sigma15.mat").write_bytes(b"not the file")
    with pytest.raises(Exception, match="dncnn_s_sigma15.mat .*SHA-256"):
        reference.fetch_reference_weights("dncnn_s_sigma15", dest=tmp_path / "out", mirror=bad)
    assert not (tmp_path / "out" / "dncnn_s_sigma15.mat").exists()


def test_wrong_files_are_refused_with_the_file_named(tmp_path):
    text = tmp_path / "notes.mat"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.mat is not a MATLAB v7.3"):
        reference.read_matconvnet(text)
    other = tmp_path / "other.mat"
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ValueError, match="other.mat has no net.layers"):
        reference.read_matconvnet(other)
    with pytest.raises(ValueError, match="unknown reference model 'dncnn_s_sigma30'"):
        reference.fetch_reference_weights("dncnn_s_sigma30")
