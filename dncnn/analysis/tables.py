"""One table style for the whole study: Markdown tables as the paper prints them.

Methods are rows and settings (noise level, scale, quality) are columns; dB to 2 decimals, SSIM to 4,
integer-valued columns as integers (thousands separators from 10,000), a missing value as ``MISSING``
(never "NaN"), a negative number with a true minus sign and a difference signed only where it is
not zero; a measured value with a paper value beside it reads ``29.19 (paper 29.23, −0.04)``. No index
column. A table wider than the page (``PAGE_WIDTH`` characters, the sum of each column's widest cell,
or more than ``PAGE_COLUMNS`` columns) is not drawn: :func:`show_table` writes every table to CSV and
puts a sentence naming the file (``results/<profile>/<file>``, never a machine path) on the page in
place of a table that is too long or too wide.

:func:`format_table` is the formatter; the ``present_*`` functions turn each table of the notebooks into
the paper's shape and return an ``IPython.display.Markdown`` (its ``.data`` is the Markdown text). Every
number shown is the data's, formatted; the only numbers computed here are summaries a builder says it
adds (means over layers, a difference from the paper)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Sequence

from .findings import count_of

PAGE_WIDTH = 140  # characters: the sum over columns of the widest cell (header included) a page holds
PAGE_COLUMNS = 10  # columns a page holds
MISSING = "–"  # a cell with no value (en dash)
MINUS = "−"  # the sign of a negative number (U+2212)
DECIMALS = {"db": 2, "ssim": 4}  # decimals of a column kind; "float" columns take format_table's decimals
THOUSANDS_FROM = 10_000  # integers from this size get thousands separators


class TableTooWide(ValueError):
    """A table that would be wider than the page (``PAGE_WIDTH`` characters or ``PAGE_COLUMNS`` columns)."""


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return False
    import pandas as pd

    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _signed(text: str) -> str:
    """``text`` (a formatted number) with a true minus sign, and no sign where it reads as zero."""
    if text.startswith("-"):
        return text[1:] if float(text[1:].replace(",", "")) == 0 else MINUS + text[1:]
    return text


def format_number(value, *, kind: str = "float", decimals: int = 2, thousands: bool | None = None) -> str:
    """One cell: ``kind`` ``"db"`` (2 decimals), ``"ssim"`` (4), ``"int"`` (rounded to an integer, thousands
    separators from ``THOUSANDS_FROM``), ``"float"`` (``decimals``), ``"float:N"`` (N decimals) or ``"text"`` (as it is); a missing value
    (None, NaN) is ``MISSING``; a string is returned as it is. ``thousands`` forces the separators on or off
    (a column whose largest count has them gives them to every count)."""
    if _is_missing(value):
        return MISSING
    if kind == "text" or isinstance(value, str):
        return str(value)
    if kind == "int":
        number = int(round(float(value)))
        separate = abs(number) >= THOUSANDS_FROM if thousands is None else thousands
        return _signed(f"{number:,}" if separate else f"{number}")
    places = int(kind.split(":")[1]) if kind.startswith("float:") else DECIMALS.get(kind, decimals)
    return _signed(f"{float(value):.{places}f}")


def format_difference(value, *, kind: str = "db", decimals: int = 2) -> str:
    """A difference (measured minus paper) at the column's decimals: ``+0.05``, ``−0.04``, and ``0.00``
    (no sign) where it rounds to zero."""
    text = format_number(value, kind=kind, decimals=decimals)
    return text if text == MISSING or text.startswith(MINUS) or float(text.replace(",", "")) == 0 else "+" + text


def format_versus(measured, paper, *, kind: str = "db", decimals: int = 2) -> str:
    """A measured value with the paper's beside it: ``29.19 (paper 29.23, −0.04)``; the difference is
    measured minus paper; the measured value alone where the paper has none."""
    cell = format_number(measured, kind=kind, decimals=decimals)
    if cell == MISSING or _is_missing(paper):
        return cell
    difference = format_difference(float(measured) - float(paper), kind=kind, decimals=decimals)
    return f"{cell} (paper {format_number(paper, kind=kind, decimals=decimals)}, {difference})"


def infer_kind(name: str, values) -> str:
    """The kind of a column from its name and values: ``db`` (a name with psnr or dB), ``ssim``, ``int``
    (numbers that are all whole), ``float`` or ``text``."""
    import pandas as pd

    lowered = str(name).lower()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "text"
    if "psnr" in lowered or "db" in lowered.replace("(", " ").replace(")", " ").split() or lowered.endswith("_db"):
        return "db"
    if "ssim" in lowered:
        return "ssim"
    finite = [float(v) for v in values if not _is_missing(v)]
    return "int" if finite and all(float(v).is_integer() for v in finite) else "float"


def visible_width(cell: str) -> int:
    """Characters a Markdown cell shows (bold marks and escapes not counted)."""
    return len(cell.replace("**", "").replace("\\|", "|"))


def table_width(header: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """The page width a table takes: the sum over columns of its widest cell, header included."""
    return sum(max([visible_width(h)] + [visible_width(r[i]) for r in rows]) for i, h in enumerate(header))


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _largest(values) -> float:
    finite = [abs(float(v)) for v in values if not _is_missing(v) and not isinstance(v, str)]
    return max(finite, default=0.0)


def format_cells(table, *, kinds: Mapping[str, str] | None = None, decimals: int = 2,
                 against: Mapping[str, str] | None = None, bold: Mapping[str, Sequence[int]] | None = None):
    """The cells of ``table`` as strings: ``(columns, kinds, rows)``, the paper columns named in ``against``
    (measured column -> paper column) folded into their measured cells and left out as columns; ``bold``
    (column -> row positions) marks cells in bold."""
    kinds, against, bold = dict(kinds or {}), dict(against or {}), {k: set(v) for k, v in (bold or {}).items()}
    columns = [c for c in table.columns if c not in set(against.values())]
    kinds = {c: kinds.get(c) or infer_kind(c, table[c]) for c in columns}
    thousands = {c: _largest(table[c]) >= THOUSANDS_FROM for c in columns if kinds[c] == "int"}
    rows = []
    for i, record in enumerate(table.to_dict("records")):
        row = []
        for c in columns:
            if c in against:
                cell = format_versus(record[c], record[against[c]], kind=kinds[c], decimals=decimals)
            else:
                cell = format_number(record[c], kind=kinds[c], decimals=decimals, thousands=thousands.get(c))
            row.append(f"**{cell}**" if i in bold.get(c, ()) and cell != MISSING else cell)
        rows.append(row)
    return columns, kinds, rows


def format_table(table, *, kinds: Mapping[str, str] | None = None, decimals: int = 2,
                 against: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
                 bold: Mapping[str, Sequence[int]] | None = None,
                 max_width: int | None = PAGE_WIDTH, max_columns: int | None = PAGE_COLUMNS) -> str:
    """A DataFrame as a Markdown table in the study's style (no index column).

    Args:
        table: DataFrame; its columns in order (its index is not shown).
        kinds: column -> ``"db"``, ``"ssim"``, ``"int"``, ``"float"``, ``"text"``; others inferred
            (:func:`infer_kind`).
        decimals: decimals of ``"float"`` columns.
        against: measured column -> the column of the paper's value for it: each cell reads
            ``measured (paper p, difference)``; the paper column is not shown.
        headers: column -> header text (default: the column name).
        bold: column -> row positions shown in bold.
        max_width, max_columns: the page (None: no limit).

    Returns:
        The Markdown text, numeric columns right-aligned, ending with a newline.

    Raises:
        TableTooWide: the table is wider than ``max_width`` characters or has more than ``max_columns``.
    """
    columns, kinds, rows = format_cells(table, kinds=kinds, decimals=decimals, against=against, bold=bold)
    header = [str((headers or {}).get(c, c)) for c in columns]
    width = table_width(header, rows)
    if (max_columns is not None and len(columns) > max_columns) or (max_width is not None and width > max_width):
        raise TableTooWide(f"{len(columns)} columns, {width} characters wide; the page holds {max_columns} columns "
                           f"and {max_width} characters")
    align = ["---" if kinds[c] == "text" else "---:" for c in columns]
    lines = ["| " + " | ".join(_escape(h) for h in header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_escape(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def csv_name(path, *, profile: str | None = None) -> str:
    """The name a page gives a CSV file: ``results/<profile>/<file>`` (the profile defaults to the name of
    the file's folder), never the path of the machine that wrote it (a staging folder under build/)."""
    path = Path(path)
    return f"results/{profile or path.parent.name}/{path.name}"


def markdown(text: str):
    """``IPython.display.Markdown`` of ``text`` (what a notebook displays; ``.data`` is the text)."""
    from IPython.display import Markdown

    return Markdown(text)


def show_table(table, *, csv_path, max_rows: int = 20, preview: int = 5, shown: Sequence[str] | None = None,
               profile: str | None = None, **options):
    """Write ``table`` to ``csv_path`` (every column, :func:`dncnn.files.atomic.save_csv`) and return the
    Markdown a page shows: the formatted table (its ``shown`` columns) where it has at most ``max_rows``
    rows and fits the page, else a sentence naming the CSV (:func:`csv_name`) and, where they fit the
    page, its first ``preview`` rows. ``options`` go to :func:`format_table`."""
    from ..files import atomic

    atomic.save_csv(csv_path, table)
    name, view = csv_name(csv_path, profile=profile), table[list(shown)] if shown is not None else table
    try:
        text = format_table(view, **options)
    except TableTooWide:
        return markdown(f"The table ({count_of(len(table), 'row')}, {count_of(len(table.columns), 'column')}) "
                        f"is wider than the page: it is `{name}`.\n")
    if len(view) <= max_rows:
        return markdown(text)
    sentence = f"The table has {count_of(len(table), 'row')}: it is `{name}`."
    if preview:
        sentence += f" Its first {count_of(preview, 'row')}:\n\n" + format_table(view.head(preview), **options)
    return markdown(sentence + "\n")


# ---------------------------------------------------------------- shaping helpers

LEVEL_HEADERS = {"denoising": "σ = {:g}", "colour denoising": "σ = {:g}", "super-resolution": "×{:g}",
                 "jpeg": "q = {:g}"}  # the header of a task's level column, as the paper prints it
PAPER_SUFFIX = " (paper)"  # a reference row's label: the measured method's label and this suffix
DEVICE_WIDTH = 24  # characters of a device in a table cell


def device_cell(text, *, width: int = DEVICE_WIDTH) -> str:
    """A device as a table cell: the text before its parenthesised details (``NVIDIA H200 (gpu, 1 device(s))``
    -> ``NVIDIA H200``), cut to ``width`` characters with an ellipsis; a missing value as it is."""
    if _is_missing(text):
        return text
    text = re.sub(r"\s*\(.*\)\s*$", "", str(text)) or str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def split_constant_columns(table, *, keep: Sequence[str] = ()):
    """``(table without its constant columns, {column: value})``: a column with one value in every row (all
    zero, all the same device) says nothing per row; a caption says it once. Columns in ``keep`` stay;
    a table of one row keeps every column."""
    if len(table) < 2:
        return table, {}
    constant = {c: table[c].iloc[0] for c in table.columns
                if c not in keep and table[c].nunique(dropna=False) == 1}
    return table.drop(columns=list(constant)), constant


def describe_constants(constant: Mapping, *, headers: Mapping[str, str] | None = None,
                       kinds: Mapping[str, str] | None = None, decimals: int = 2) -> str:
    """A sentence for the columns :func:`split_constant_columns` took out: ``Every row: device CPU; status
    complete.`` (empty where there are none)."""
    if not constant:
        return ""
    parts = [f"{(headers or {}).get(c, c)} {format_number(v, kind=(kinds or {}).get(c, 'float'), decimals=decimals)}"
             for c, v in constant.items()]
    return "Every row: " + "; ".join(parts) + ".\n\n"


def _level_header(task: str, level) -> str:
    return LEVEL_HEADERS.get(task, "level {:g}").format(float(level))


def _sigma_header(sigma) -> str:
    return f"σ = {float(sigma):g}"


def _sections(parts: Sequence[tuple[str, str]]) -> str:
    """Markdown of titled tables: a bold title line above each (no title where it is empty)."""
    return "\n".join((f"**{title}**\n\n" if title else "") + text for title, text in parts)


def _wide_by_setting(rows, *, row_keys: Sequence[str], setting: str, value: str, paper: Mapping | None = None):
    """``rows`` with one row per ``row_keys`` (first-seen order) and one column per ``setting`` value
    (sorted; named ``<value>@<setting>``), and ``paper@<setting>`` columns from ``paper`` (``(row key tuple,
    setting) -> paper value``) where given. Returns ``(table, settings)``."""
    import pandas as pd

    settings = sorted(rows[setting].unique())
    out = {}
    for record in rows.to_dict("records"):
        key = tuple(record[k] for k in row_keys)
        row = out.setdefault(key, {**dict(zip(row_keys, key)), **{f"{value}@{s}": float("nan") for s in settings}})
        row[f"{value}@{record[setting]}"] = record[value]
        if paper is not None:
            row[f"paper@{record[setting]}"] = paper.get((key, record[setting]), float("nan"))
    table = pd.DataFrame(list(out.values()))
    if paper is not None:
        for s in settings:
            table[f"paper@{s}"] = table.get(f"paper@{s}", float("nan"))
    return table, settings


# ---------------------------------------------------------------- 01, 02, 03

def present_patch_counts(counts):
    """Notebook 01: ``patch_counts.csv`` (``scale, patches``: one row per scale, then the total, the
    patches dropped and those kept) with integer counts."""
    return markdown(format_table(counts, kinds={"scale": "text", "patches": "int"}))


def present_training_runs(table):
    """Notebook 02: ``training_runs.csv``, one row per run, the device by its short name
    (:func:`device_cell`), counts as integers and the final loss to 4 decimals."""
    view = table.assign(device=[device_cell(d) for d in table.device])
    headers = {"batch_size": "batch", "patches_seen": "patches seen", "training_minutes": "minutes",
               "patches_per_second": "patches/s", "final_loss": "final loss"}
    kinds = {"patches_per_second": "int", "training_minutes": "float:2", "final_loss": "float:4"}
    return markdown(format_table(view, kinds=kinds, headers=headers))


def present_batch_statistics(batch_stats):
    """Notebook 03: ``batch_statistics.csv`` (``batch, kind, mean, std`` on the [0, 1] scale) with the
    kinds (noisy, clean, residual) as rows and each batch's mean and standard deviation as columns, 4
    decimals."""
    wide = {}
    for r in batch_stats.to_dict("records"):
        row = wide.setdefault(r["kind"], {"kind": r["kind"]})
        row[f"batch {int(r['batch'])} mean"], row[f"batch {int(r['batch'])} std"] = r["mean"], r["std"]
    import pandas as pd

    return markdown(format_table(pd.DataFrame(list(wide.values())), decimals=4))


RESIDUAL_HEADERS = {"kind": "residual", "batches": "batches", "std_mean": "σ mean", "std_sd": "σ sd", "std_cv": "σ cv",
                    "std_min": "σ min", "std_max": "σ max", "kurtosis_mean": "kurtosis mean", "kurtosis_sd": "kurtosis sd",
                    "kurtosis_min": "kurtosis min", "kurtosis_max": "kurtosis max"}


def present_residual_spread(spread):
    """Notebook 03: :func:`dncnn.analysis.statistics.summarize_residual_spread` (one row per residual kind:
    noise, x2, x3, x4), its constant columns (the number of batches) said once above it; spreads (σ, 0-255
    scale) and kurtosis to 2 decimals, the coefficient of variation to 4."""
    table, constant = split_constant_columns(spread, keep=("kind",))
    kinds = {c: ("float:4" if c.endswith("_cv") else "float:2") for c in table.columns if c != "kind"}
    kinds["kind"] = "text"
    caption = describe_constants(constant, headers=RESIDUAL_HEADERS, kinds={"batches": "int"})
    return markdown(caption + format_table(table, kinds=kinds, headers=RESIDUAL_HEADERS))


def summarize_bn_layers(stats):
    """``bn_statistics.csv`` by model and layer: DataFrame ``model, layer`` and the mean and standard
    deviation over batches of ``mean, std, moving_mean, moving_std, mean_shift`` (columns ``<name>_mean``,
    ``<name>_sd``), models and layers in the table's order."""
    columns = ["mean", "std", "moving_mean", "moving_std", "mean_shift"]
    grouped = stats.groupby(["model", "layer"], sort=False)[columns].agg(["mean", "std"])
    grouped.columns = [f"{name}_{'sd' if how == 'std' else how}" for name, how in grouped.columns]
    return grouped.reset_index()


def summarize_bn_models(stats):
    """``bn_statistics.csv`` per model (a summary added here, computed from the rows): ``model, layers,
    batches``, ``shift_mean`` and ``shift_max`` (the mean and largest ``mean_shift``: |batch mean - moving
    mean| / moving std, over layers and batches), ``std_mean`` and ``moving_std_mean`` (means over layers
    and batches)."""
    grouped = stats.groupby("model", sort=False)
    return grouped.agg(layers=("layer", "nunique"), batches=("batch", "nunique"), shift_mean=("mean_shift", "mean"),
                       shift_max=("mean_shift", "max"), std_mean=("std", "mean"),
                       moving_std_mean=("moving_std", "mean")).reset_index()


def present_bn_statistics(stats, *, csv_path, profile: str | None = None):
    """Notebook 03: ``bn_statistics.csv`` is too long for a page: writes its per-layer summary
    (:func:`summarize_bn_layers`) to ``csv_path`` and returns a sentence naming it above one row per model
    (:func:`summarize_bn_models`), 4 decimals."""
    from ..files import atomic

    layers = summarize_bn_layers(stats)
    atomic.save_csv(csv_path, layers)
    headers = {"shift_mean": "mean shift (mean)", "shift_max": "mean shift (max)", "std_mean": "input std (mean)",
               "moving_std_mean": "moving std (mean)"}
    sentence = (f"Per model, over every batch-norm layer and batch; the mean shift is |batch mean − moving mean| / "
                f"moving std. Layer by layer ({count_of(len(layers), 'row')}): `{csv_name(csv_path, profile=profile)}`.\n\n")
    return markdown(sentence + format_table(summarize_bn_models(stats), decimals=4, headers=headers))


# ---------------------------------------------------------------- 04

def present_against_paper(versus, *, dataset: str | None = None):
    """Notebook 04: :func:`dncnn.evaluation.protocol.tabulate_against_paper` (``dataset, method, images,
    psnr_<s>, paper_<s>, diff_<s>``) as the paper's Table II: one table per dataset (or ``dataset``'s),
    methods as rows, σ as columns, each mean PSNR with the paper's value and the difference beside it
    where the paper has one (the difference is measured minus paper, the data's ``diff_<s>``)."""
    sigmas = [c.split("_", 1)[1] for c in versus.columns if c.startswith("psnr_")]
    parts = []
    for name in ([dataset] if dataset else list(dict.fromkeys(versus.dataset))):
        rows = versus[versus.dataset == name]
        table = rows[["method", *[f"{k}_{s}" for s in sigmas for k in ("psnr", "paper")]]]
        text = format_table(table, kinds={f"psnr_{s}": "db" for s in sigmas},
                            against={f"psnr_{s}": f"paper_{s}" for s in sigmas},
                            headers={f"psnr_{s}": _sigma_header(s) for s in sigmas})
        parts.append((f"{name}, mean PSNR (dB), {count_of(int(rows.images.max()), 'image')}", text))
    return markdown(_sections(parts))


def present_ssim(summary):
    """Notebook 04: the mean SSIM of :func:`dncnn.evaluation.protocol.summarize` (measured rows), one table per
    dataset, methods as rows and σ as columns, 4 decimals (the paper's Table II has no SSIM)."""
    measured = summary[summary.source == "measured"]
    parts = []
    for name in dict.fromkeys(measured.dataset):
        table, sigmas = _wide_by_setting(measured[measured.dataset == name], row_keys=("method",), setting="sigma", value="ssim")
        text = format_table(table, kinds={f"ssim@{s}": "ssim" for s in sigmas}, headers={f"ssim@{s}": _sigma_header(s) for s in sigmas})
        parts.append((f"{name}, mean SSIM", text))
    return markdown(_sections(parts))


def _best_positions(table, images: Sequence[str]) -> dict:
    """Row positions of each image column's best measured value within each σ (bold in Table III)."""
    best = {image: [] for image in images}
    for _, at in table.reset_index(drop=True).groupby("sigma", sort=False):
        measured = at[at.source == "measured"]
        for image in images:
            top = measured[image].max()
            best[image] += [i for i in measured.index if measured.at[i, image] == top]
    return best


def present_set_images(images_table, *, per_part: int = 6):
    """Notebook 04: :func:`dncnn.evaluation.protocol.tabulate_images` (the paper's Table III: ``sigma, method,
    source``, one column per image, ``average``) in parts of ``per_part`` images so it fits the page (the
    last part with the average); images by file name without extension, PSNR to 2 decimals, each image's best
    measured value at each σ in bold; a reference row appears in the part where it has values."""
    images = [c for c in images_table.columns if c not in ("sigma", "method", "source")]
    table = images_table.reset_index(drop=True)
    bold = _best_positions(table, images)
    pictures = [c for c in images if c != "average"]
    chunks = [pictures[i:i + per_part] for i in range(0, len(pictures), per_part)] or [[]]
    chunks[-1] = chunks[-1] + [c for c in images if c == "average"]
    parts = []
    for chunk in chunks:
        view = table[["sigma", "method", *chunk]]
        view = view[view[chunk].notna().any(axis=1)].reset_index()
        marks = {c: [i for i, at in enumerate(view["index"]) if at in bold[c]] for c in chunk}
        text = format_table(view.drop(columns="index"), kinds={"sigma": "int", "method": "text", **{c: "db" for c in chunk}},
                            headers={"sigma": "σ", **{c: c.rsplit(".", 1)[0] for c in chunk}}, bold=marks)
        named = [c.rsplit(".", 1)[0] for c in chunk if c != "average"]
        title = f"images {named[0]}–{named[-1]}" if named else ""
        parts.append((title + (", and the average" if "average" in chunk else ""), text))
    return markdown(_sections(parts))


# ---------------------------------------------------------------- 05

def present_image_counts(per_image):
    """Notebook 05: how many images each set of the run scored (``task, dataset, image`` rows), a row per
    task and set."""
    counts = per_image.groupby(["task", "dataset"], sort=False).image.nunique().reset_index(name="images")
    return markdown(format_table(counts, kinds={"images": "int"}, headers={"dataset": "set"}))


def _paper_values(summary, *, metric: str) -> tuple:
    """``(measured rows, rows shown on their own, {((dataset, method), level): paper value})``: a reference
    row whose label is a measured method's label and ``PAPER_SUFFIX`` gives that method's paper value;
    other reference rows (a published baseline) are rows of their own."""
    measured = summary[summary.source == "measured"]
    reference = summary[summary.source != "measured"]
    labels = set(measured.method)
    paper, own = {}, []
    for r in reference.to_dict("records"):
        base = r["method"][: -len(PAPER_SUFFIX)] if r["method"].endswith(PAPER_SUFFIX) else None
        if base in labels:
            paper[((r["dataset"], base), r["level"])] = r[metric]
        else:
            own.append(r)
    import pandas as pd

    shown = pd.concat([measured, pd.DataFrame(own, columns=summary.columns)], ignore_index=True) if own else measured
    return measured, shown, paper


def present_tasks(summary, *, metric: str = "psnr", csv_path=None, profile: str | None = None):
    """Notebook 05: :func:`dncnn.evaluation.tasks.summarize_tasks` (``task, dataset, level, method, source,
    images, psnr, ssim``) as the paper's Table V: one table per task, a row per set and method, a column per
    level (σ, scale, JPEG quality), each measured value with the paper's and the difference where the
    summary has the paper's row for it; ``metric`` ``"psnr"`` (dB, 2 decimals) or ``"ssim"`` (4). With
    ``csv_path`` the whole summary is written there and named above the tables."""
    kind = "db" if metric == "psnr" else "ssim"
    head = ""
    if csv_path is not None:
        from ..files import atomic

        atomic.save_csv(csv_path, summary)
        head = f"Every row of the summary ({count_of(len(summary), 'row')}, PSNR and SSIM): `{csv_name(csv_path, profile=profile)}`.\n\n"
    parts = []
    for task in dict.fromkeys(summary.task):
        _, shown, paper = _paper_values(summary[summary.task == task], metric=metric)
        table, levels = _wide_by_setting(shown, row_keys=("dataset", "method"), setting="level", value=metric, paper=paper)
        order = list(dict.fromkeys(shown.dataset))  # a set's published reference rows beside its measured ones
        table = table.sort_values("dataset", key=lambda d: d.map(order.index), kind="stable").reset_index(drop=True)
        cols = [f"{metric}@{s}" for s in levels]
        text = format_table(table, kinds={c: kind for c in cols}, against={f"{metric}@{s}": f"paper@{s}" for s in levels},
                            headers={"dataset": "set", **{f"{metric}@{s}": _level_header(task, s) for s in levels}})
        parts.append((f"{task}, mean {'PSNR (dB)' if metric == 'psnr' else 'SSIM'}", text))
    return markdown(head + _sections(parts))


def present_colour(versus):
    """Notebook 05: :func:`dncnn.evaluation.colour.compare_colour_with_paper` (``dataset, sigma, method, images,
    psnr, ssim, paper, delta_psnr, comment, delta_comment``) as the paper prints its colour table: methods as
    rows, σ as columns, each mean PSNR with the paper's value and the difference; the authors' comment
    values (their issue 4, on the blind colour model) as a labelled reference row of their own."""
    paper = {((r["method"],), r["sigma"]): r["paper"] for r in versus.to_dict("records")}
    table, sigmas = _wide_by_setting(versus, row_keys=("method",), setting="sigma", value="psnr", paper=paper)
    import pandas as pd

    commented = versus[versus.comment.notna()] if "comment" in versus else versus.iloc[:0]
    for method in dict.fromkeys(commented.method):
        at = commented[commented.method == method].set_index("sigma").comment
        row = {"method": "the authors' comment (issue 4)", **{f"psnr@{s}": at.get(s, float("nan")) for s in sigmas}}
        table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
    cols = [f"psnr@{s}" for s in sigmas]
    title = f"{', '.join(dict.fromkeys(versus.dataset))}, mean PSNR (dB), {count_of(int(versus.images.max()), 'image')}"
    text = format_table(table, kinds={c: "db" for c in cols}, against={c: f"paper@{s}" for c, s in zip(cols, sigmas)},
                        headers={c: _sigma_header(s) for c, s in zip(cols, sigmas)})
    return markdown(_sections([(title, text)]))


# ---------------------------------------------------------------- 06

def present_rerun(per_image, *, csv_path, max_rows: int = 20, profile: str | None = None):
    """Notebook 06: the rows rerun here (``noise_levels_rerun.csv``): writes every column to ``csv_path``;
    the page shows σ, method, image, PSNR and SSIM where there are at most ``max_rows`` rows, else a sentence
    naming the CSV and its first rows."""
    shown = [c for c in ("sigma", "method", "image", "psnr", "ssim") if c in per_image]
    return show_table(per_image, csv_path=csv_path, max_rows=max_rows, shown=shown, profile=profile,
                      kinds={"sigma": "int", "psnr": "db", "ssim": "ssim"}, headers={"sigma": "σ", "psnr": "PSNR (dB)", "ssim": "SSIM"})


def present_noise_level_psnr(psnr_table, *, metric: str = "psnr"):
    """Notebook 06: :func:`dncnn.evaluation.noise_levels.pivot_summary` (index ``method``, one column per true
    σ; or the same with ``method`` as a column, as in ``noise_levels_psnr.csv``), PSNR to 2 decimals (SSIM
    to 4 with ``metric="ssim"``)."""
    table = psnr_table.reset_index() if "method" not in psnr_table.columns else psnr_table
    sigmas = [c for c in table.columns if c != "method"]
    kind = "db" if metric == "psnr" else "ssim"
    return markdown(format_table(table, kinds={c: kind for c in sigmas}, headers={c: _sigma_header(c) for c in sigmas}))


def present_estimators(estimator_table, *, value: str = "mae"):
    """Notebook 06: :func:`dncnn.evaluation.noise_levels.summarize_estimators` (``estimator, sigma, images,
    bias, spread, mae, worst, mean_seconds``) as estimators by true σ: each cell the estimator's ``value``
    (``mae``, ``bias``, ``spread`` or ``worst``, in grey levels of the 0-255 scale), 3 decimals."""
    names = {"mae": "mean absolute error", "bias": "mean error (bias)", "spread": "standard deviation of the error",
             "worst": "largest absolute error"}
    table, sigmas = _wide_by_setting(estimator_table, row_keys=("estimator",), setting="sigma", value=value)
    images = sorted(set(int(i) for i in estimator_table.images))
    sentence = (f"{names.get(value, value).capitalize()} of the estimated σ, in grey levels (0–255 scale), over "
                f"{' or '.join(count_of(i, 'image') for i in images)} per true σ.\n\n")
    return markdown(sentence + format_table(table, kinds={f"{value}@{s}": "float:3" for s in sigmas},
                                            headers={f"{value}@{s}": _sigma_header(s) for s in sigmas}))


def present_clean_photos(clean):
    """Notebook 06: ``noise_levels_clean_photos.csv`` (``photo, height, width, channels, estimator,
    sigma_estimate, model, psnr, ssim, margin_db``): a row per photo with its size, the estimated σ (3
    decimals), PSNR and SSIM; the columns equal in every row are said once above it."""
    table = clean.copy()
    if {"height", "width"} <= set(table.columns):
        table.insert(1, "size", [f"{int(h)}×{int(w)}" for h, w in zip(table.height, table.width)])
        table = table.drop(columns=["height", "width"])
    table, constant = split_constant_columns(table, keep=("photo", "sigma_estimate", "psnr", "ssim"))
    headers = {"sigma_estimate": "estimated σ", "psnr": "PSNR (dB)", "ssim": "SSIM", "margin_db": "margin (dB)",
               "size": "size (pixels)"}
    caption = describe_constants(constant, headers=headers, kinds={"channels": "int", "margin_db": "db"})
    return markdown(caption + format_table(table, kinds={"sigma_estimate": "float:3", "psnr": "db", "ssim": "ssim",
                                                         "margin_db": "db"}, headers=headers))


# ---------------------------------------------------------------- 07

ABLATION_COLUMNS = ("switches", "profile", "status", "patches_seen", "final_psnr", "best_psnr", "best_at_patches",
                    "training_minutes", "device")


def present_ablation_runs(table):
    """Notebook 07: :func:`dncnn.analysis.training_claims.summarize_ablation` with the columns a reader needs
    (the combination, its budget, status, patches seen, final and best validation PSNR, where the best was
    reached, minutes, the device by its short name); the columns equal in every row are said once above it."""
    view = table[[c for c in ABLATION_COLUMNS if c in table]].copy()
    if "device" in view:
        view["device"] = [device_cell(d) for d in view.device]
    view, constant = split_constant_columns(view, keep=("switches", "final_psnr"))
    headers = {"switches": "run", "profile": "folder", "patches_seen": "patches seen", "final_psnr": "final PSNR (dB)",
               "best_psnr": "best PSNR (dB)", "best_at_patches": "best at (patches)", "training_minutes": "minutes"}
    kinds = {"final_psnr": "db", "best_psnr": "db", "patches_seen": "int", "best_at_patches": "int",
             "training_minutes": "float:1"}
    caption = describe_constants(constant, headers=headers, kinds=kinds)
    return markdown(caption + format_table(view, kinds=kinds, headers=headers))

