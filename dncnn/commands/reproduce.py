"""``make reproduce``: execute the notebooks in order with papermill, render them as HTML pages, then
refresh the README's blocks and ``docs/results.md``.

Executed copies go to ``build/<profile>/``; the sources in ``notebooks/`` are never written. The
notebooks write their tables and figures to a staging folder, and the executed notebooks are rendered
there as self-contained HTML pages (``results/<profile>/pages/``: images embedded, no script or font
fetched from the network, the text and outputs first and each cell's code one click away, an
``index.html``); only when all of that succeeded do those replace ``results/<profile>/`` and
``figures/<profile>/``, so a failed run never leaves a mix of old and partial tables. A failing
notebook stops the run with the notebook and cell named and a non-zero exit status.
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
    if notebooks is None:
        fetch_study_inputs()  # a missing set or model fails here, in one line, not in notebook 05 after an hour
    staging = config.BUILD_DIR / profile / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    start = time.perf_counter()
    # each notebook's `stage` parameter sends its tables and figures to the staging folder
    timings = execute_notebooks(profile, notebooks=notebooks, parameters={**(parameters or {}), "stage": str(staging)})
    record = {"profile": profile, "seconds": round(time.perf_counter() - start, 1), "notebooks": timings,
              **({"parameters": parameters} if parameters else {}), **provenance.provenance()}
    atomic.save_json(config.results_dir(profile, stage=staging) / "reproduce.json", record)
    executed = [config.BUILD_DIR / profile / notebook.name for notebook in (notebooks or list_notebooks())]
    render_pages(executed, config.pages_dir(profile, stage=staging), record=record,
                 figures=config.figures_dir(profile, stage=staging))
    publish_folder(config.results_dir(profile, stage=staging), config.results_dir(profile))
    publish_folder(config.figures_dir(profile, stage=staging), config.figures_dir(profile))
    return record


def fetch_study_inputs() -> None:
    """Fetch and verify every dataset and every authors' model the notebooks read, before any runs
    (from ``$DNCNN_DATA_MIRROR``, the weights mirror, or the pinned source).

    Raises:
        DataError: naming the first file that cannot be had, and the fix.
    """
    from ..data.datasets import DATASETS, fetch_datasets
    from ..model.reference import fetch_reference_weights, reference_keys

    fetch_datasets(DATASETS, progress=False)
    for name in reference_keys():  # the catalogue's models of the authors' release
        fetch_reference_weights(name)


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


# The page template: nbconvert's JupyterLab look, with nothing fetched from the network (no
# require.js, MathJax or Mermaid), each cell's code folded under its output's text, no In/Out
# prompts, every image at the size it was saved with its caption as alt text (the figure helper's
# ``{"image/png": {"width", "height", "alt"}}`` output metadata) and compact tables. The rules start
# with ``body.jp-Notebook`` to outrank nbconvert's own stylesheet, which comes after them (it shrinks
# images to ``max-width: 100%`` and centres tables).
PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style>
PAGE_CSS
</style>
{% endblock extra_css %}
{% block body_header %}
{{ super() }}
<nav class="dncnn-nav"><a href="index.html">all notebooks of this run</a> &middot; {{ resources.dncnn_run }}</nav>
{% endblock body_header %}
{% block input_group -%}
<details class="dncnn-code"><summary>code</summary>
{{ super() }}
</details>
{%- endblock input_group %}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
{%- for key in ('width', 'height', 'alt') -%}
{%- set value = output | get_metadata(key, 'image/png') -%}
{%- if value is not none %} {{ key }}="{{ value | escape_html }}"{%- endif -%}
{%- endfor -%}
>
</div>
{%- endblock data_png %}
""".replace("PAGE_CSS", """
body.jp-Notebook { max-width: 1180px; margin: 0 auto; padding: 1em 1.5em; }
body.jp-Notebook .jp-InputPrompt, body.jp-Notebook .jp-OutputPrompt { display: none; }
body.jp-Notebook .jp-RenderedImage img { max-width: none; height: auto; }
body.jp-Notebook .jp-RenderedHTMLCommon table { font-size: 0.85em; margin-left: 0; }
body.jp-Notebook .jp-RenderedHTMLCommon td, body.jp-Notebook .jp-RenderedHTMLCommon th { padding: 0.25em 0.6em; }
body.jp-Notebook .jp-RenderedMarkdown th { text-align: left; }
.dncnn-nav { font-family: sans-serif; font-size: 0.9em; margin: 0.5em 0 1.5em; color: #555; }
details.dncnn-code > summary { cursor: pointer; color: #777; font-family: monospace; font-size: 0.8em; margin: 0.2em 0; }
.jp-CodeCell.jp-mod-noOutputs details.dncnn-code > summary { opacity: 0.7; }""".strip())
HEADLINE_TABLE = "summary_vs_paper.md"  # notebook 04's evaluation summary beside the paper, in results/<profile>/
HEADLINE_FIGURES = ("04_comparison.png",)  # in figures/<profile>/, captions from dncnn.analysis.display.caption_of


def render_pages(executed: list[Path], out_dir: Path, *, record: dict | None = None,
                 figures: Path | None = None) -> list[Path]:
    """Render executed notebooks as self-contained HTML pages in ``out_dir``, with ``index.html``.

    Each page is nbconvert's JupyterLab template (:data:`PAGE_TEMPLATE`) with the images embedded and
    nothing loaded from the network (readable offline), every code cell folded under a "code" line
    above its outputs, stream outputs merged with progress-bar redraws (carriage returns) reduced to
    their last state, and stderr left out (kept in ``<executed>.stderr.log`` beside the executed
    notebook). The index opens with the run's headline table and figure, then every page's findings.

    Args:
        executed: the executed ``.ipynb`` files (papermill's, in ``build/<profile>/``), in order.
        out_dir: the pages' folder, ``results/<profile>/pages`` (its parent holds the run's tables).
        record: the run's record (:func:`reproduce`), named on every page.
        figures: the run's figures folder, for the index's headline figure (left out where missing).

    Returns:
        The pages written, ``index.html`` last.
    """
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    from ..files import atomic

    exporter = HTMLExporter(template_name="lab", embed_images=True, extra_loaders=[jinja2.DictLoader({"dncnn_page.html.j2": PAGE_TEMPLATE})],
                            template_file="dncnn_page.html.j2")
    exporter.register_preprocessor(CoalesceStreamsPreprocessor, enabled=True)
    run = describe_record(record)
    written, entries = [], []
    for path in executed:
        nb = nbformat.read(str(path), as_version=4)
        keep_stderr(drop_stderr(nb), path.with_suffix(".stderr.log"))
        drop_blank_streams(nb)
        title = notebook_title(nb) or path.stem
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}, "dncnn_run": run})
        page = out_dir / f"{path.stem}.html"
        written.append(atomic.save_text(page, body))
        entries.append({"page": page.name, "title": title, "findings": collect_findings(nb)})
    headline = render_index_headline(out_dir.parent, figures, profile=(record or {}).get("profile", out_dir.parent.name))
    written.append(atomic.save_text(out_dir / "index.html", render_index(entries, run=run, headline=headline)))
    return written


def drop_stderr(nb) -> list[str]:
    """Remove every stderr stream output from a notebook (in place); return their texts in order."""
    dropped = []
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        dropped += [o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        if "outputs" in cell:
            cell["outputs"] = [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return dropped


def shown_text(text: str) -> str:
    """A stream's text as a terminal leaves it: each line is what its last carriage return left
    (a progress bar redrawn in place, then erased when it closed, leaves nothing)."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def drop_blank_streams(nb) -> int:
    """Merge each cell's consecutive stream outputs of one name, reduce each line to what its last
    carriage return left (:func:`shown_text`), and remove the streams left blank: what an erased
    progress bar leaves (:mod:`dncnn.runtime.progress`), in place. Returns how many outputs went."""
    removed = 0
    for cell in nb.cells:
        if "outputs" not in cell:
            continue
        merged = []
        for output in cell["outputs"]:
            if (output.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == output.get("name")):
                merged[-1]["text"] = merged[-1].get("text", "") + output.get("text", "")
            else:
                merged.append(output)
        for output in merged:
            if output.get("output_type") == "stream":
                output["text"] = shown_text(output.get("text", ""))
        kept = [o for o in merged if not (o.get("output_type") == "stream" and not o["text"].strip())]
        removed += len(cell["outputs"]) - len(kept)
        cell["outputs"] = kept
    return removed


def keep_stderr(texts: list[str], path: Path) -> None:
    """Write the stderr a page leaves out to ``path`` (none: remove an old one) and say so in one line."""
    path.unlink(missing_ok=True)
    if texts:
        path.write_text("".join(texts))
        print(f"    {len(texts)} stderr output(s) of {path.stem.removesuffix('.stderr')} left off its page: {path}", flush=True)


def describe_record(record: dict | None) -> str:
    """One line naming a run: profile, minutes, device, backend and commit."""
    if not record:
        return ""
    return (f"profile <code>{record['profile']}</code>, {record['seconds'] / 60:.1f} min on {record.get('device', '?')}, "
            f"{record.get('backend', '?')} backend, commit <code>{str(record.get('git_commit', '?'))[:12]}</code>")


def notebook_title(nb) -> str | None:
    """The first Markdown heading of a notebook, without its ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return None


FINDINGS_TAG = "findings"  # the tag of every code cell that displays a finding (cell.metadata.tags)


def collect_findings(nb) -> str:
    """The Markdown the cells tagged :data:`FINDINGS_TAG` display, in order, one paragraph each
    (empty if none): what the index shows of a notebook, each finding once."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "code" and FINDINGS_TAG in cell.get("metadata", {}).get("tags", []):
            texts += [o["data"]["text/markdown"].strip() for o in cell.get("outputs", [])
                      if o.get("output_type") in ("display_data", "execute_result") and "text/markdown" in o.get("data", {})]
    return "\n\n".join(texts)


def embed_figure(path: Path, caption: str) -> str:
    """A ``<figure>`` holding ``path`` as a base64 data URI at its saved size, with ``caption`` as its
    alt text and caption (the bundle a notebook shows: :func:`dncnn.analysis.display.figure_bundle`)."""
    import html

    from ..analysis.display import figure_bundle

    data, metadata = figure_bundle(path, caption)
    size = metadata["image/png"]
    return (f'<figure><img src="data:image/png;base64,{data["image/png"]}" width="{size["width"]}" '
            f'height="{size["height"]}" alt="{html.escape(size["alt"])}"><figcaption>{html.escape(caption)}</figcaption></figure>')


def render_index_headline(results: Path, figures: Path | None, *, profile: str) -> str:
    """The index's opening: the run's evaluation summary beside the paper (``results/<profile>/``
    :data:`HEADLINE_TABLE`) and its :data:`HEADLINE_FIGURES`, HTML; what is missing is left out
    (``""`` when all is)."""
    from nbconvert.filters.markdown import markdown2html_mistune

    from ..analysis.display import caption_of

    parts = []
    table = results / HEADLINE_TABLE
    if table.exists():
        parts.append(f"<p>The run's evaluation summary beside the paper's values (<code>results/{profile}/{HEADLINE_TABLE}</code>):</p>"
                     f'<div class="headline-table">{markdown2html_mistune(table.read_text())}</div>')
    parts += [embed_figure(figures / name, caption_of(name)) for name in HEADLINE_FIGURES
              if figures is not None and (figures / name).exists()]
    return f'<section class="headline"><h2>Headline</h2>{"".join(parts)}</section>' if parts else ""


INDEX_CSS = ("body{font-family:sans-serif;max-width:1180px;margin:2em auto;padding:0 1.5em;line-height:1.5;color:#222}"
             "h2{font-size:1.2em;margin-top:1.8em}.findings{background:#f4f7fb;border-left:4px solid #0072B2;padding:0.2em 1em}"
             "code{background:#f2f2f2;padding:0 0.2em}figure{margin:1em 0}figure img{max-width:none;height:auto}"
             "figcaption{font-size:0.9em;color:#555}table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}"
             "td,th{padding:0.25em 0.6em;border-bottom:1px solid #ddd;text-align:left}")


def render_index(entries: list[dict], *, run: str = "", headline: str = "") -> str:
    """``index.html``, self-contained: ``headline`` (HTML, :func:`render_index_headline`), then every page's
    title as a link and its findings (``entries``: ``{"page", "title", "findings"}``, Markdown findings)."""
    import html

    from nbconvert.filters.markdown import markdown2html_mistune

    items = []
    for e in entries:
        link = f'<a href="{html.escape(e["page"])}">'  # the title: a link to the page
        findings = (f'<div class="findings">{markdown2html_mistune(e["findings"])}</div>' if e["findings"]
                    else "<p>(no findings displayed)</p>")
        items.append(f'<section><h2>{link}{html.escape(e["title"])}</a></h2>{findings}</section>')
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>dncnn-study: the executed notebooks</title>"
            f"<style>{INDEX_CSS}</style></head><body><h1>dncnn-study: the executed notebooks</h1>"
            f"<p>Every notebook of one <code>make reproduce</code> run, with its findings: {run}.</p>"
            + headline + "".join(items) + "</body></html>\n")
