"""``python -m dncnn deblock in.jpg out.png`` and ``python -m dncnn upscale in.png out.png --scale 3``:
the commands over :mod:`dncnn.restoration.tasks` (DnCNN-3 on a user's files)."""

from __future__ import annotations

from pathlib import Path


def restore_file(command: str, source: str | Path, target: str | Path, *, scale: int | None = None, **options) -> dict:
    """Run ``command`` (``"deblock"`` or ``"upscale"``, with ``scale``) on ``source`` into ``target``;
    ``options`` (``tile``, ``overwrite``, ``accept_truncated``) go to
    :func:`dncnn.restoration.tasks.deblock_file` or :func:`~dncnn.restoration.tasks.upscale_file`."""
    from ..restoration.tasks import deblock_file, upscale_file

    if command == "upscale":
        return upscale_file(source, target, scale=scale, **options)
    if command == "deblock":
        return deblock_file(source, target, **options)
    raise ValueError(f"command must be deblock or upscale. Received: {command!r}")
