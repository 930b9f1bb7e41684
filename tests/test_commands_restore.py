"""The deblock and upscale commands (:mod:`dncnn.commands.restore`): the authors' DnCNN-3 on a user's own file."""

import numpy as np
import pytest
from PIL import Image

from dncnn.cli import main as cli
from dncnn.data import matlab
from helpers import write_colour_crop


@pytest.fixture()
def colour_file(tmp_path, mirror, weights_dir, monkeypatch):
    """A 64x64 colour PNG from Set5, with the authors' DnCNN-3 copied from the weights mirror into a temporary folder."""
    if not (weights_dir / "dncnn3.mat").is_file():
        pytest.skip(f"the authors' DnCNN-3 weights are absent from {weights_dir}")
    monkeypatch.setenv("DNCNN_WEIGHTS_MIRROR", str(weights_dir))
    monkeypatch.setattr("dncnn.config.REFERENCE_WEIGHTS_DIR", tmp_path / "weights")
    return write_colour_crop(mirror, tmp_path / "baby.png")


def test_deblock_and_upscale_commands(colour_file, tmp_path, capsys):
    path, image = colour_file
    jpeg = tmp_path / "baby.jpg"
    Image.fromarray(image).save(jpeg, quality=10)
    assert cli(["deblock", str(jpeg), str(tmp_path / "d.png")]) == 0
    restored = np.array(Image.open(tmp_path / "d.png"))
    decoded = np.array(Image.open(jpeg))
    assert restored.shape == image.shape
    assert matlab.matlab_psnr(image, restored) > matlab.matlab_psnr(image, decoded)
    assert cli(["upscale", str(path), str(tmp_path / "u.png"), "--scale", "3"]) == 0
    assert np.array(Image.open(tmp_path / "u.png")).shape == (192, 192, 3)
    # the same clear errors as denoise
    assert cli(["deblock", str(path), str(tmp_path / "e.png")]) == 1
    assert "needs a JPEG file" in capsys.readouterr().err
    assert cli(["upscale", str(path), str(tmp_path / "u.png"), "--scale", "2"]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert cli(["upscale", str(path), str(path), "--scale", "2", "--overwrite"]) == 1
    assert "is the input itself" in capsys.readouterr().err
    assert cli(["upscale", str(path), str(tmp_path / "sub" / ".." / "baby.png"), "--scale", "2", "--overwrite"]) == 1
    assert "is the input itself" in capsys.readouterr().err and not (tmp_path / "sub").exists()  # checked before sub/ is made
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert cli(["deblock", str(empty), str(tmp_path / "f.png")]) == 1
    assert "empty.jpg" in capsys.readouterr().err
