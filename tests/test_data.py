import functools
import http.server
import shutil
import threading

import numpy as np
import pytest

from dncnn import config, data


def test_manifest_lists_every_published_file():
    manifest = data.read_manifest()
    counts = {name: len(data.list_files([name])) for name in data.DATASETS}
    assert counts == {"Train400": 400, "BSD68": 68, "Set12": 12, "Set5": 5, "Set14": 14, "classic5": 5, "LIVE1": 29}
    assert len(manifest) == 533
    assert all(len(digest) == 64 for digest in manifest.values())


def test_unknown_dataset_is_refused_with_the_allowed_names():
    with pytest.raises(ValueError, match="allowed are Train400, BSD68, Set12"):
        data.list_files(["BSD100"])


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


def _make_mirror(mirror, dest, files):
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / rel, dest / rel)
    return dest


def test_corrupted_mirror_file_is_an_error_naming_it_and_leaves_nothing(mirror, tmp_path):
    bad = _make_mirror(mirror, tmp_path / "mirror", ["Set12/04.png"])
    (bad / "Set12/04.png").write_bytes((mirror / "Set12/04.png").read_bytes()[:-10])
    out = tmp_path / "out"
    with pytest.raises(data.DataError, match=r"Set12/04\.png .*SHA-256"):
        data.fetch_datasets(dest=out, mirror=bad, files=["Set12/04.png"], progress=False)
    assert not any(p.is_file() for p in out.rglob("*"))


def test_missing_mirror_file_is_an_error_naming_it(mirror, tmp_path):
    partial = _make_mirror(mirror, tmp_path / "mirror", ["Set12/01.png"])
    with pytest.raises(data.DataError, match=r"Set12/02\.png is missing from the mirror"):
        data.fetch_datasets(dest=tmp_path / "out", mirror=partial, files=["Set12/01.png", "Set12/02.png"], progress=False)


def test_mirror_folder_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(data.DataError, match="does not exist"):
        data.fetch_datasets(dest=tmp_path, mirror=tmp_path / "nowhere", files=["Set12/01.png"], progress=False)


def test_fetch_over_http_verifies_each_download(mirror, tmp_path):
    """The real download code against a local server laid out like the source repository."""
    site = tmp_path / "site"
    good, bad = ["BSD68/test001.png", "Set12/05.png"], "Set12/06.png"
    for rel in good + [bad]:
        target = site / data.source_url(rel, base_url="").lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / rel, target)
    corrupted = site / data.source_url(bad, base_url="").lstrip("/")
    corrupted.write_bytes(corrupted.read_bytes()[:100])  # a truncated download
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    out = tmp_path / "out"
    try:
        data.fetch_datasets(dest=out, base_url=base_url, mirror=None, files=good, progress=False)
        manifest = data.read_manifest()
        assert all(data.sha256_file(out / rel) == manifest[rel] for rel in good)
        with pytest.raises(data.DataError, match=r"Set12/06\.png from http://127\.0\.0\.1.*SHA-256"):
            data.fetch_datasets(dest=out, base_url=base_url, mirror=None, files=[bad], progress=False)
        assert not (out / bad).exists()
        with pytest.raises(data.DataError, match=r"Set12/07\.png .*failed"):
            data.fetch_datasets(dest=out, base_url=base_url, mirror=None, files=["Set12/07.png"], progress=False)
    finally:
        server.shutdown()
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["05.png", "test001.png"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


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
