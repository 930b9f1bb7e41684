"""Files fetched from the authors' pinned repository (or copied from a local mirror) and checked by SHA-256.

Every fetched file goes to a temporary name first and gets its final name only when its checksum
(and, where given, a check of its contents) passes: an interrupted or corrupted fetch never leaves
a file that a later step trusts. The manifests of expected checksums ship in ``dncnn/manifests/``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from .. import config
from .atomic import atomic_path
from .images import ImageError


class DataError(RuntimeError):
    """A data or weights file is missing, corrupted (its SHA-256 is not the expected one) or unreadable.
    The message names the file and the fix. The one error of a checksum mismatch, for datasets, the
    authors' weights and this project's shipped weights alike."""


def read_manifest(name: str = "datasets") -> dict[str, str]:
    """Return ``{relative path: sha256}`` from the manifest ``dncnn/manifests/<name>.sha256``."""
    entries = {}
    for line in (config.MANIFESTS_DIR / f"{name}.sha256").read_text().splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            entries[rel.lstrip("*")] = digest
    return entries


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_verified(target: Path, digest: str, *, label: str, source: Path | None, url: str, hint: str,
                   check=None) -> Path:
    """Copy ``source`` (or download ``url`` when ``source`` is None) to ``target`` through a temporary
    name; rename it only if its SHA-256 is ``digest`` and ``check(tmp)`` (if given) accepts it.

    Raises:
        DataError: naming ``label`` and the origin, on a failed download, a checksum mismatch or a
            file ``check`` refuses; nothing is then written to ``target``, and the folders made for
            it are removed again (a failed fetch leaves no empty ``data/raw/<set>/`` behind).
    """
    created = missing_folders(Path(target).parent)
    try:
        return _fetch_into(Path(target), digest, label=label, source=source, url=url, hint=hint, check=check)
    except BaseException:
        remove_empty_folders(created)
        raise


def missing_folders(folder: str | os.PathLike) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    missing, folder = [], Path(folder).absolute()
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove each of ``folders`` (deepest first) that exists and is empty; leave the others."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (another file arrived), or already gone
            pass


def _fetch_into(target: Path, digest: str, *, label: str, source: Path | None, url: str, hint: str, check) -> Path:
    with atomic_path(target) as tmp:
        if source is not None:
            shutil.copyfile(source, tmp)
            origin = str(source)
        else:
            origin = url
            try:
                with urllib.request.urlopen(url, timeout=120) as response, open(tmp, "wb") as out:
                    shutil.copyfileobj(response, out)
            except (urllib.error.URLError, OSError) as err:
                raise DataError(f"downloading {label} from {url} failed ({err}). Check the network, or {hint}.") from err
        actual = sha256_file(tmp)
        if actual != digest:
            raise DataError(
                f"{label} from {origin} has SHA-256 {actual}, expected {digest}: the file is corrupted or "
                f"not the published one. Nothing was written to {target}; fix the source and fetch again."
            )
        if check is not None:
            try:
                check(tmp)
            except ImageError as err:
                raise DataError(f"{label} from {origin} passed its checksum but cannot be decoded ({err}).") from err
    return target
