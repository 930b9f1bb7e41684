"""Training patches by the authors' recipe, and the patch files of notebook 01."""

import json

import numpy as np
import pytest

from dncnn.data import patches as P


def test_augment_patches_matches_the_per_patch_definition():
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 256, size=(40, 5, 5), dtype=np.uint8)
    modes = np.arange(40) % 8
    vectorised = P.augment_patches(stack, modes)
    for patch, mode, out in zip(stack, modes, vectorised):
        np.testing.assert_array_equal(out, P.augment_patch(patch, int(mode)))


def test_the_eight_modes_are_the_eight_distinct_dihedral_transforms():
    patch = np.arange(9).reshape(3, 3)
    outs = {P.augment_patch(patch, m).tobytes() for m in range(8)}
    assert len(outs) == 8
    np.testing.assert_array_equal(P.augment_patch(patch, 1), np.flipud(patch))
    np.testing.assert_array_equal(P.augment_patch(patch, 2), np.rot90(patch))


def test_extract_patches_equals_an_explicit_loop():
    image = np.random.default_rng(1).integers(0, 256, size=(57, 63), dtype=np.uint8)
    got = P.extract_patches(image, patch_size=40, stride=10)
    expected = [image[i:i + 40, j:j + 40] for i in range(0, 57 - 40 + 1, 10) for j in range(0, 63 - 40 + 1, 10)]
    np.testing.assert_array_equal(got, np.stack(expected))


def test_patch_larger_than_image_is_refused_with_the_range():
    with pytest.raises(ValueError, match=r"at most the image's smaller side \(30\)"):
        P.extract_patches(np.zeros((30, 50), np.uint8), patch_size=40)


def test_scale_sizes_truncate_like_the_authors():
    assert [P.scale_size(180, 180, s) for s in P.PATCH_SCALES] == [(180, 180), (162, 162), (144, 144), (125, 125)]


def test_one_image_gives_596_patches_and_truncation_drops_the_first():
    image = np.random.default_rng(2).integers(0, 256, size=(180, 180), dtype=np.uint8)
    patches, info = P.generate_patches([image, image], batch_size=128, seed=3)
    assert info["count_per_scale"] == {"1.0": 450, "0.9": 338, "0.8": 242, "0.7": 162}
    assert info["count_before_truncation"] == 1192 and info["dropped_first"] == 1192 % 128
    assert patches.shape == (1152, 40, 40) and patches.dtype == np.uint8
    full, _ = P.generate_patches([image, image], batch_size=1, seed=3)
    np.testing.assert_array_equal(patches, full[40:])


def test_patches_are_seeded():
    image = np.random.default_rng(4).integers(0, 256, size=(180, 180), dtype=np.uint8)
    a, _ = P.generate_patches([image], batch_size=4, seed=7)
    b, _ = P.generate_patches([image], batch_size=4, seed=7)
    c, _ = P.generate_patches([image], batch_size=4, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_train400_gives_238336_patches(raw_dir):
    from dncnn.data import datasets as data

    _, images = data.load_dataset("Train400", root=raw_dir)
    patches, info = P.generate_patches(images, batch_size=128, seed=0)
    assert patches.shape == (238_336, 40, 40)
    assert info["count_before_truncation"] == 400 * 596


def test_bad_batch_size_is_refused():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        P.generate_patches([np.zeros((50, 50), np.uint8)], batch_size=0)


def test_prepare_patches_writes_the_patches_and_a_sidecar_naming_their_sources(raw_dir, tmp_path):
    from dncnn.files.fetch import read_manifest

    patches, sidecar = P.prepare_patches(out_path=tmp_path / "p" / "patches.npy", train_images=2, batch_size=128, seed=0, raw_dir=raw_dir)
    assert patches.shape == (1152, 40, 40) and sidecar["count"] == 1152 and sidecar["dropped_first"] == 1192 - 1152
    np.testing.assert_array_equal(P.load_patches(tmp_path / "p" / "patches.npy"), patches)
    on_disk = json.loads((tmp_path / "p" / "patches.json").read_text())
    assert on_disk["recipe"]["scales"] == [1.0, 0.9, 0.8, 0.7] and on_disk["seed"] == 0
    manifest = read_manifest()
    assert on_disk["sources"]["sha256"] == {name: manifest[f"Train400/{name}"] for name in on_disk["sources"]["sha256"]}
    table = P.patch_count_table(on_disk)
    assert table["patches"].iloc[:4].sum() == 1192 and table["patches"].iloc[-1] == 1152


def test_load_patches_names_the_step_that_makes_them_and_refuses_other_arrays(tmp_path):
    from dncnn.files.atomic import save_npy

    with pytest.raises(FileNotFoundError, match="notebook 01"):
        P.load_patches(tmp_path / "none.npy")
    save_npy(tmp_path / "floats.npy", np.zeros((4, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"not a \(N, p, p\) uint8 patch stack"):
        P.load_patches(tmp_path / "floats.npy")


def test_check_patches_holds_for_generated_patches_and_names_what_is_off():
    image = np.random.default_rng(5).integers(0, 256, size=(60, 70), dtype=np.uint8)
    patches, info = P.generate_patches([image], batch_size=4, seed=0)
    assert P.check_patches(patches, info, batch_size=4, patch_size=40) == len(patches) == info["count"]
    with pytest.raises(ValueError, match="the sidecar says"):
        P.check_patches(patches.astype(np.float32), info, batch_size=4, patch_size=40)
    with pytest.raises(ValueError, match="the sidecar says"):
        P.check_patches(patches[1:], info, batch_size=4, patch_size=40)
    with pytest.raises(ValueError, match="largest multiple of 8"):
        P.check_patches(patches, info, batch_size=8, patch_size=40)
    with pytest.raises(ValueError, match="do not add up"):
        P.check_patches(patches, {**info, "count_per_scale": {**info["count_per_scale"], "1.0": 0}}, batch_size=4, patch_size=40)


@pytest.mark.parametrize("size, stride", [(40, 10), (24, 7)])
def test_generate_patches_equals_the_recipe_written_out(size, stride):
    # the authors' data_generator.py, one patch at a time: every scale (bicubic, int(h*s) x int(w*s)),
    # every square at the stride row by row, one of 8 flips/rotations each from the seeded draw, then
    # the first patches dropped to a multiple of the batch size
    import cv2

    rng = np.random.default_rng(7)
    images = [rng.integers(0, 256, size=(58, 71), dtype=np.uint8), rng.integers(0, 256, size=(64, 64), dtype=np.uint8)]
    expected = []
    for image in images:
        for s in (1.0, 0.9, 0.8, 0.7):
            h, w = int(image.shape[0] * s), int(image.shape[1] * s)
            scaled = image if (h, w) == image.shape else cv2.resize(image, (w, h), interpolation=cv2.INTER_CUBIC)
            expected += [scaled[i:i + size, j:j + size] for i in range(0, h - size + 1, stride)
                         for j in range(0, w - size + 1, stride)]
    modes = np.random.default_rng(5).integers(0, 8, size=len(expected))
    flips = [np.rot90(p, k=m // 2)[::-1] if m % 2 else np.rot90(p, k=m // 2) for p, m in zip(expected, modes)]
    patches, info = P.generate_patches(images, patch_size=size, stride=stride, batch_size=4, seed=5)
    dropped = len(flips) % 4
    assert info["count_before_truncation"] == len(flips) and info["dropped_first"] == dropped
    np.testing.assert_array_equal(patches, np.stack(flips[dropped:]))
    assert set(modes) == set(range(8))  # every transform, the identity included, is drawn
    assert int(58 * 0.7) == 40  # the smallest scale of the first image is exactly one 40x40 patch high: allowed


def test_extract_patches_defaults_and_smallest_sizes():
    image = np.random.default_rng(9).integers(0, 256, size=(50, 61), dtype=np.uint8)
    np.testing.assert_array_equal(P.extract_patches(image), P.extract_patches(image, patch_size=40, stride=10))
    np.testing.assert_array_equal(P.extract_patches(image, patch_size=1, stride=1).ravel(), image.ravel())


def test_generate_patches_defaults_are_the_authors_batch_and_seed_0():
    image = np.random.default_rng(8).integers(0, 256, size=(180, 180), dtype=np.uint8)
    a, info = P.generate_patches([image])
    b, _ = P.generate_patches([image], patch_size=40, stride=10, batch_size=128, seed=0)
    np.testing.assert_array_equal(a, b)
    assert len(a) == 512 and info["dropped_first"] == 596 - 512


def test_augment_patch_refuses_modes_outside_0_to_7():
    for mode in (-1, 8):
        with pytest.raises(ValueError, match=r"mode must be in \[0, 7\]"):
            P.augment_patch(np.zeros((3, 3)), mode)
