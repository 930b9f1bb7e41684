"""Progress bars that read well in a terminal, in JupyterLab and on the published pages.

tqdm writes to stderr, which JupyterLab and nbconvert's pages show as a red block, as if something
had gone wrong. :func:`progress_bar` keeps stderr in a terminal and writes to stdout inside a Jupyter
kernel (papermill's, JupyterLab's): there the bar is plain output, redrawn in place by JupyterLab
(carriage returns) and reduced to its last state on the pages (:func:`dncnn.commands.reproduce.render_pages`).
"""

from __future__ import annotations

import sys

KERNEL_MININTERVAL = 2.0  # seconds between redraws in a kernel: each redraw is one output message


def in_kernel() -> bool:
    """True inside a Jupyter kernel (ipykernel replaces ``sys.stdout`` with its own stream)."""
    return type(sys.stdout).__module__.startswith("ipykernel")


def progress_bar(iterable=None, *, total: int | None = None, desc: str | None = None, unit: str = "it",
                 disable: bool = False):
    """A tqdm bar over ``iterable`` (or ``total`` steps, advanced with ``update``): on stderr in a
    terminal, on stdout inside a Jupyter kernel, where it redraws at most every ``KERNEL_MININTERVAL`` s."""
    from tqdm import tqdm

    kernel = in_kernel()
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, file=sys.stdout if kernel else sys.stderr,
                mininterval=KERNEL_MININTERVAL if kernel else 0.1)
