"""Sentences that say how a rerun subset compares with a committed table (notebooks 05 and 06).

Notebooks 05 and 06 rerun a few rows of a table measured once from the shell and stop where a row
departs from it; these functions say what the check found, in a sentence for the page instead of a
printed line of raw values ("0.0e+00").
"""

from __future__ import annotations

from .findings import count_of

UNITS = {"psnr": "dB of PSNR", "ssim": "of SSIM", "estimate": "in the estimated sigma (0-255 scale)"}


def format_largest_difference(value: float) -> str:
    """A largest absolute difference for a sentence: ``0`` where there is none, else two significant
    digits (``3.1e-05`` below 0.001, ``0.0042`` above)."""
    value = abs(float(value))
    if value == 0:
        return "0"
    return f"{value:.1e}" if value < 1e-3 else f"{value:.2g}"


def describe_rerun_check(check, *, columns=("psnr", "ssim"), what: str = "row", table: str = "the committed table") -> str:
    """One sentence: how many rows were rerun and their largest difference from ``table`` per column.

    Args:
        check: DataFrame with one row per rerun row and ``<column>_diff`` columns (here minus table),
            as :func:`dncnn.evaluation.tasks.check_against_table` and
            :func:`dncnn.evaluation.noise_levels.check_noise_levels` return it.
        what: the noun counted (``"row"``, ``"denoised row"``, ``"estimate"``).
    """
    largest = {column: float(check[f"{column}_diff"].abs().max()) for column in columns}
    if not any(largest.values()):
        return f"The {count_of(len(check), what)} rerun here equal {table} to the last digit."
    parts = [f"{format_largest_difference(value)} {UNITS.get(column, column)}" for column, value in largest.items()]
    return f"The {count_of(len(check), what)} rerun here match {table}: the largest differences are " + ", ".join(parts) + "."


def describe_noise_rerun(*, images: int, sigmas, models=None) -> str:
    """What notebook 06 reruns of the committed noise-level grid, as a sentence."""
    levels = ", ".join(f"{float(s):g}" for s in sigmas)
    rows = "every method" if models is None else ", ".join(str(m) for m in models)
    return (f"This run reruns {count_of(images, 'whole BSD68 image')} at sigma {levels} ({rows}) and checks "
            f"every rerun row against the committed grid in `results/noise-levels/`.")


def as_sentence(text: str) -> str:
    """``text`` with a capital first letter and a closing full stop (a plan's ``reason`` as prose)."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
