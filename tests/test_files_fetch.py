"""Verified fetches: downloads and mirror copies are checked by SHA-256 before they get their name."""

import functools
import http.server
import shutil
import threading

import pytest

from dncnn.data import datasets as data
from dncnn.files import fetch
from helpers import make_mirror


def test_manifest_lists_every_published_file():
    manifest = data.read_manifest()
    counts = {name: len(data.list_files([name])) for name in data.DATASETS}
    assert counts == {"Train400": 400, "BSD68": 68, "Set12": 12, "Set5": 5, "Set14": 14, "classic5": 5, "LIVE1": 29,
                      "CBSD68": 68, "BSD100": 100, "Urban100": 100}  # the published sizes
    assert len(manifest) == 801
    assert all(len(digest) == 64 for digest in manifest.values())


def test_corrupted_mirror_file_is_an_error_naming_it_and_leaves_nothing(mirror, tmp_path):
    bad = make_mirror(mirror, tmp_path / "mirror", ["Set12/04.png"])
    (bad / "Set12/04.png").write_bytes((mirror / "Set12/04.png").read_bytes()[:-10])
    out = tmp_path / "out"
    with pytest.raises(data.DataError, match=r"Set12/04\.png .*SHA-256"):
        data.fetch_datasets(dest=out, mirror=bad, files=["Set12/04.png"], progress=False)
    assert not any(p.is_file() for p in out.rglob("*"))


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


def test_fetch_verified_writes_nothing_when_the_content_check_refuses(tmp_path):
    source = tmp_path / "source.png"
    source.write_bytes(b"not an image at all")
    digest = fetch.sha256_file(source)

    def refuse(path):
        raise fetch.ImageError(f"{path} is not an image")

    with pytest.raises(fetch.DataError, match="passed its checksum but cannot be decoded"):
        fetch.fetch_verified(tmp_path / "out" / "x.png", digest, label="x.png", source=source, url="", hint="", check=refuse)
    assert not (tmp_path / "out" / "x.png").exists()
    target = fetch.fetch_verified(tmp_path / "out" / "y.bin", digest, label="y.bin", source=source, url="", hint="")
    assert target.read_bytes() == source.read_bytes()


def test_sha256_file_equals_hashlib_on_a_multi_block_file(tmp_path):
    import hashlib

    data = bytes(range(256)) * 9000  # more than 2 MiB: several 1 MiB blocks
    (tmp_path / "big").write_bytes(data)
    assert fetch.sha256_file(tmp_path / "big") == hashlib.sha256(data).hexdigest()
