"""``python -m dncnn denoise NOISY CLEAN`` and ``... IN... --out-dir DIR``: the command over the users'
restoration library (:mod:`dncnn.restoration`), which holds the tiling, the model choice, reading the
images and the noise-level rule. The command adds what the command line needs: its flags in the
messages, and the progress and notes on stderr.
"""

from __future__ import annotations

from pathlib import Path

from ..files.images import TruncatedImageError


def denoise_paths(inputs: list[str | Path], out_dir: str | Path, **options) -> dict:
    """The ``--out-dir`` form: :func:`dncnn.restoration.files.denoise_files` with each failure
    explained with its flag (:func:`explain_error`); ``options`` are that function's."""
    from ..restoration.files import denoise_files

    return denoise_files(inputs, out_dir, describe_error=explain_error, **options)


# the library's errors name its parameters (in backticks); the command line names its flags instead
FLAGS = {"`overwrite=True`": "--overwrite", '`sigma="auto"`': "--sigma auto", "a number as `sigma`": "--sigma N",
         "a `model`": "--model NAME", "`grey=True`": "--grey", "`out_dir`": "--out-dir", "`weights`": "--weights",
         "`model`": "--model", "`sigma`": "--sigma"}


def explain_error(err: Exception) -> str:
    """The error's message in the command line's terms (its flags for the library's parameters, :data:`FLAGS`),
    with the command-line fix where there is one."""
    text = str(err)
    for term, flag in FLAGS.items():
        text = text.replace(term, flag)
    if isinstance(err, TruncatedImageError):
        text += "; pass --accept-truncated to denoise what can be decoded"
    return text
