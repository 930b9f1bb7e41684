"""``make reproduce``: execute the notebooks in order with papermill, then refresh the README's results.

Executed copies go to ``build/<profile>/``; the sources in ``notebooks/`` are never written. The
notebooks write their tables and figures to a staging folder; only when all of them succeed do those
replace ``results/<profile>/`` and ``figures/<profile>/``, so a failed run never leaves a mix of old
and partial tables. A failing notebook stops the run with the notebook and cell named and a non-zero
exit status.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from .. import config
from ..profiles import PROFILES


def list_notebooks() -> list[Path]:
    """The study's notebooks in order (``notebooks/NN-*.ipynb``)."""
    return sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))


def execute_notebooks(profile: str, *, notebooks: list[Path] | None = None, out_dir: Path | None = None,
                      parameters: dict | None = None, log_output: bool = True) -> dict:
    """Run each notebook with papermill (``profile`` and ``parameters`` injected); return timings.

    Raises:
        NotebookFailed: naming the notebook, the cell and the error.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: allowed are {', '.join(PROFILES)}. Received: {profile!r}")
    absolutize_path_variables()
    out_dir = Path(out_dir or config.BUILD_DIR / profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {}
    for notebook in notebooks or list_notebooks():
        print(f"==> {notebook.name} (profile {profile})", flush=True)
        start = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(notebook), str(out_dir / notebook.name), parameters={"profile": profile, **(parameters or {})},
                kernel_name="python3", cwd=str(config.NOTEBOOKS_DIR), progress_bar=False, log_output=log_output,
                kernel_manager_class=kernel_manager_logging_to(out_dir / f"{notebook.stem}.kernel.log"),
            )
        except PapermillExecutionError as err:
            raise NotebookFailed(
                f"{notebook.name} failed in cell {err.cell_index} (execution count {err.exec_count}): "
                f"{err.ename}: {err.evalue}. The executed copy with the traceback is {out_dir / notebook.name}"
            ) from None
        timings[notebook.name] = round(time.perf_counter() - start, 1)
        print(f"<== {notebook.name}: {timings[notebook.name]:.1f} s", flush=True)
    return timings


def kernel_manager_logging_to(path: Path):
    """A Jupyter kernel manager class whose kernels write their own log lines (not the cells' output,
    which reaches the notebook) to ``path`` instead of this terminal: ipykernel's notes on its
    transport and shutdown are kept for whoever needs them, and the run shows only the study's output."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggingKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as log:  # the kernel process keeps its own copy of the descriptor
                kw["stderr"] = log
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggingKernelManager


PATH_VARIABLES = ("DNCNN_DATA_MIRROR", "DNCNN_WEIGHTS_MIRROR", "DNCNN_OUTPUT_ROOT")


def absolutize_path_variables() -> None:
    """Make the ``DNCNN_*`` folder variables absolute, from this process's working directory.

    The kernels run in ``notebooks/``; a relative ``DNCNN_DATA_MIRROR=../shared/datasets`` given to
    ``make reproduce`` means a folder relative to where the user typed it.
    """
    for key in PATH_VARIABLES:
        if os.environ.get(key):
            os.environ[key] = str(Path(os.environ[key]).resolve())


class NotebookFailed(RuntimeError):
    """A notebook raised an error while papermill executed it."""


def declared_parameters(notebooks: list[Path] | None = None) -> set[str]:
    """Names assigned in the ``parameters`` cells of ``notebooks`` (default: the study's)."""
    import ast
    import json

    names = set()
    for notebook in notebooks or list_notebooks():
        for cell in json.loads(Path(notebook).read_text())["cells"]:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                tree = ast.parse("".join(cell["source"]))
                names |= {target.id for node in tree.body if isinstance(node, ast.Assign)
                          for target in node.targets if isinstance(target, ast.Name)}
    return names


def reproduce(profile: str, *, notebooks: list[Path] | None = None, parameters: dict | None = None) -> dict:
    """Execute the notebooks with staged outputs, then publish them with the run's record.

    ``parameters`` go to every notebook beside ``profile`` and ``stage`` (a notebook that does not
    declare one just defines an unused variable; papermill warns about it). The record,
    ``results/<profile>/reproduce.json``, is published with the tables: profile, total seconds,
    seconds per notebook, the parameters given and the provenance (commit, versions, device).

    Returns:
        The record.

    Raises:
        ValueError: a parameter that no notebook declares (a typo would otherwise change nothing).
        NotebookFailed: the published ``results/<profile>`` and ``figures/<profile>`` are untouched.
    """
    from ..files import atomic, provenance

    declared = declared_parameters(notebooks)
    unknown = sorted(set(parameters or {}) - declared)
    if unknown:
        raise ValueError(f"no notebook declares the parameter(s) {', '.join(unknown)}: allowed are "
                         f"{', '.join(sorted(declared - {'profile', 'stage'}))}")
    staging = config.BUILD_DIR / profile / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    start = time.perf_counter()
    # each notebook's `stage` parameter sends its tables and figures to the staging folder
    timings = execute_notebooks(profile, notebooks=notebooks, parameters={**(parameters or {}), "stage": str(staging)})
    record = {"profile": profile, "seconds": round(time.perf_counter() - start, 1), "notebooks": timings,
              **({"parameters": parameters} if parameters else {}), **provenance.provenance()}
    atomic.save_json(config.results_dir(profile, stage=staging) / "reproduce.json", record)
    publish_folder(config.results_dir(profile, stage=staging), config.results_dir(profile))
    publish_folder(config.figures_dir(profile, stage=staging), config.figures_dir(profile))
    return record


def publish_folder(source: Path, target: Path) -> None:
    """Replace ``target`` by ``source`` with two renames (the old folder is removed afterwards)."""
    if not source.is_dir():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(source, target)
    shutil.rmtree(old, ignore_errors=True)
