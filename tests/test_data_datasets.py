"""The datasets: fetched from the mirror, verified, read as grey uint8 images."""

import shutil

import numpy as np
import pytest

from dncnn import config
from dncnn.data import datasets as data
from helpers import make_mirror


def test_unknown_dataset_is_refused_with_the_allowed_names():
    with pytest.raises(ValueError, match="allowed are Train400, BSD68, Set12"):
        data.list_files(["BSD200"])


def test_source_url_points_at_the_pinned_commit():
    url = data.source_url("BSD68/test001.png")
    assert url == f"https://raw.githubusercontent.com/cszn/DnCNN/{config.SOURCE_COMMIT}/testsets/BSD68/test001.png"


def test_fetch_from_mirror_verifies_and_second_run_skips(mirror, tmp_path):
    files = ["Set12/01.png", "Set12/02.png"]
    data.fetch_datasets(dest=tmp_path, mirror=mirror, files=files, progress=False)
    mtimes = [(tmp_path / f).stat().st_mtime_ns for f in files]
    data.fetch_datasets(dest=tmp_path, mirror=mirror, files=files, progress=False)
    assert [(tmp_path / f).stat().st_mtime_ns for f in files] == mtimes
    manifest = data.read_manifest()
    assert all(data.sha256_file(tmp_path / f) == manifest[f] for f in files)


def test_fetch_replaces_a_corrupted_local_file(mirror, tmp_path):
    rel = "Set12/03.png"
    data.fetch_datasets(dest=tmp_path, mirror=mirror, files=[rel], progress=False)
    (tmp_path / rel).write_bytes(b"garbage")
    data.fetch_datasets(dest=tmp_path, mirror=mirror, files=[rel], progress=False)
    assert data.sha256_file(tmp_path / rel) == data.read_manifest()[rel]


def test_missing_mirror_file_is_an_error_naming_it(mirror, tmp_path):
    partial = make_mirror(mirror, tmp_path / "mirror", ["Set12/01.png"])
    with pytest.raises(data.DataError, match=r"Set12/02\.png is missing from the mirror"):
        data.fetch_datasets(dest=tmp_path / "out", mirror=partial, files=["Set12/01.png", "Set12/02.png"], progress=False)


def test_mirror_folder_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(data.DataError, match="does not exist"):
        data.fetch_datasets(dest=tmp_path, mirror=tmp_path / "nowhere", files=["Set12/01.png"], progress=False)


def test_load_dataset_reads_grey_uint8_images(raw_dir):
    names, images = data.load_dataset("Set12", root=raw_dir)
    assert names[:2] == ["01.png", "02.png"] and len(images) == 12
    assert {im.shape for im in images} == {(256, 256), (512, 512)}
    assert all(im.dtype == np.uint8 and im.ndim == 2 for im in images)


def test_load_dataset_names_a_missing_file_and_the_fix(tmp_path):
    with pytest.raises(data.DataError, match=r"BSD68/test001\.png is missing\. Run `make data`"):
        data.load_dataset("BSD68", root=tmp_path)


def test_verify_datasets_catches_a_changed_file(raw_dir, tmp_path):
    copy = tmp_path / "raw"
    shutil.copytree(raw_dir / "Set12", copy / "Set12")
    data.verify_datasets(["Set12"], root=copy)
    (copy / "Set12/12.png").write_bytes(b"x")
    with pytest.raises(data.DataError, match=r"12\.png has SHA-256"):
        data.verify_datasets(["Set12"], root=copy)


def test_crop_center_is_central_keeps_channels_aligns_to_a_multiple_and_refuses_too_large_a_crop():
    from dncnn.data.datasets import crop_center

    image = np.arange(10 * 20 * 3).reshape(10, 20, 3)
    assert crop_center(image, None) is image
    np.testing.assert_array_equal(crop_center(image, 4), image[3:7, 8:12])
    np.testing.assert_array_equal(crop_center(image, 4, multiple=4), image[0:4, 8:12])  # corner (3, 8) -> (0, 8)
    with pytest.raises(ValueError, match=r"crop size must be in \[1, 10\]"):
        crop_center(image, 11)
    with pytest.raises(ValueError, match=r"crop size must be in \[1, 10\]"):
        crop_center(image, 0)


# The published size of every set (the paper, Section IV; the sets' own pages), written out here and in
# tests/test_files_fetch.py::test_manifest_lists_every_published_file: the loaders are checked against them.
PUBLISHED_SIZES = {"Train400": 400, "BSD68": 68, "Set12": 12, "Set5": 5, "Set14": 14, "classic5": 5, "LIVE1": 29,
                   "CBSD68": 68, "BSD100": 100, "Urban100": 100}


def test_the_loaders_read_every_image_of_a_set_in_the_order_of_its_folder(raw_dir, mirror):
    from dncnn.data.datasets import load_colour_dataset

    for name in ("BSD68", "Set12", "Set5", "Set14", "classic5", "LIVE1"):
        on_disk = sorted(p.name for p in (mirror / name).iterdir() if p.suffix.lower() in (".png", ".bmp", ".jpg", ".tif"))
        loader = data.load_dataset if name not in config.COLOUR_DATASETS else load_colour_dataset
        names, images = loader(name, root=raw_dir)
        assert len(on_disk) == len(names) == len(images) == PUBLISHED_SIZES[name], name
        assert names == on_disk


def test_cbsd68_in_matlabs_grey_is_bsd68_pixel_for_pixel(raw_dir):
    from dncnn.data.datasets import load_colour_dataset
    from dncnn.data.matlab import rgb2gray

    colour_names, colour = load_colour_dataset("CBSD68", root=raw_dir)
    grey_names, grey = data.load_dataset("BSD68", root=raw_dir)
    assert (colour_names[0], colour_names[-1]) == ("101085.png", "351093.png")  # test001 and test068, in sorted order
    pixel = colour[0][10, 20].astype(np.float64)  # the weights, written out for one pixel
    assert rgb2gray(colour[0])[10, 20] == np.floor(pixel @ [0.298936021293775, 0.587043074451121, 0.114020904255103] + 0.5)
    for name, rgb, clean in zip(grey_names, colour, grey):
        assert rgb.ndim == 3 and rgb.shape[:2] == clean.shape
        np.testing.assert_array_equal(rgb2gray(rgb), clean, err_msg=name)


def test_bsd100_cropped_to_each_scale_equals_its_cbsd68_original_cropped_the_same_way(raw_dir):
    from dncnn.data.datasets import load_colour_dataset
    from dncnn.data.matlab import modcrop

    _, originals = load_colour_dataset("CBSD68", root=raw_dir)
    names, bsd100 = load_colour_dataset("BSD100", root=raw_dir)
    assert all(name.endswith("_SRF_3_HR.png") for name in names)
    assert {image.shape[:2] for image in bsd100} == {(321, 480), (480, 321)}  # 481x321 cut to a multiple of 3
    matched = 0
    for image in bsd100:
        h, w = image.shape[:2]
        same = [o for o in originals if o.shape[0] >= h and o.shape[1] >= w and np.array_equal(o[:h, :w], image)]
        if same:
            matched += 1
            for scale in (2, 3, 4):
                np.testing.assert_array_equal(modcrop(image, scale), modcrop(same[0], scale))
    assert matched == 68  # 68 of BSD100's 100 images are CBSD68's
