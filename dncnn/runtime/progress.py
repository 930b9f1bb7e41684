"""Progress bars that read well in a terminal, in JupyterLab and on the published pages.

tqdm writes to stderr, which JupyterLab and nbconvert's pages show as a red block, as if something
had gone wrong. :func:`progress_bar` keeps stderr in a terminal and writes to stdout inside a Jupyter
kernel (papermill's, JupyterLab's): there the bar is plain output, redrawn in place by JupyterLab
(carriage returns) and erased when it closes, so a finished cell keeps no bar and the published pages
(:func:`dncnn.commands.reproduce.render_pages`, which drops the blank output left behind) show none.
"""

from __future__ import annotations

import sys

KERNEL_MININTERVAL = 2.0  # seconds between redraws in a kernel: each redraw is one output message


def in_kernel() -> bool:
    """True inside a Jupyter kernel (ipykernel replaces ``sys.stdout`` with its own stream)."""
    return type(sys.stdout).__module__.startswith("ipykernel")


def progress_bar(iterable=None, *, total: int | None = None, desc: str | None = None, unit: str = "it",
                 disable: bool = False, delay: float = 0.0, leave: bool = True):
    """A tqdm bar over ``iterable`` (or ``total`` steps, advanced with ``update``): on stderr in a
    terminal, on stdout inside a Jupyter kernel, where it redraws at most every ``KERNEL_MININTERVAL`` s.
    ``delay``: seconds before it first shows (a quick job shows none); ``leave``: keep it once closed
    (in a terminal only: inside a kernel every bar is erased when it closes)."""
    from tqdm import tqdm

    kernel = in_kernel()
    leave = leave and not kernel
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, file=sys.stdout if kernel else sys.stderr,
                mininterval=KERNEL_MININTERVAL if kernel else 0.1, delay=delay, leave=leave)


TILE_BAR_DELAY = 2.0  # seconds a large image's step runs before its bar shows: small images stay quiet


def step_progress(total: int, *, desc: str, unit: str):
    """The bar of one step of a large image (``total`` units, ``update()`` after each, ``close()``
    at the end): units done of ``total``, the rate and the time left, shown once the step has taken
    ``TILE_BAR_DELAY`` seconds, on stderr (stdout in a kernel), and cleared when it is done."""
    return progress_bar(total=total, desc=desc, unit=unit, delay=TILE_BAR_DELAY, leave=False)


def tile_progress(total: int, *, desc: str):
    """:func:`step_progress` over an image's ``total`` tiles."""
    return step_progress(total, desc=desc, unit="tile")
