"""The study's table style (dncnn.analysis.tables): formatting rules, paper cells against the data, the page's
width, and every builder on the committed tables of results/quick and results/paper."""

import re

import numpy as np
import pandas as pd
import pytest

from dncnn import config
from dncnn.analysis import statistics
from dncnn.analysis import tables as T
from dncnn.evaluation import protocol

RESULTS = config.PROJECT_ROOT / "results"
BAD = ("nan", "NaN", "0.0e+00", ".000000", "None", "dtype")


# ---------------------------------------------------------------- what a page table must satisfy

def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table of ``text``: a list of rows (header first, separator left out) of cells."""
    found, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def page_problems(text: str) -> list[str]:
    """What keeps ``text`` (a page's Markdown) off the page: a forbidden token, a number with more than 4
    decimals, a table wider than the page
    or with more columns than it holds, a row with a different number of cells than its header."""
    problems = [f"contains {bad!r}" for bad in BAD if re.search(rf"(?<![A-Za-z]){re.escape(bad)}(?![A-Za-z])", text)]
    problems += [f"{m.group()}: more than 4 decimals" for m in re.finditer(r"\d\.\d{5,}", text)]
    for table in markdown_tables(text):
        width = sum(max(T.visible_width(row[i]) for row in table) for i in range(len(table[0])))
        if width > T.PAGE_WIDTH:
            problems.append(f"{width} characters wide")
        if len(table[0]) > T.PAGE_COLUMNS:
            problems.append(f"{len(table[0])} columns")
        if any(len(row) != len(table[0]) for row in table):
            problems.append("ragged rows")
    return problems


def test_page_problems_finds_each_broken_case():
    good = "| method | σ = 25 |\n|---|---:|\n| BM3D | 28.62 |\n"
    assert page_problems(good) == []
    assert page_problems(good.replace("28.62", "nan"))
    assert page_problems(good.replace("28.62", "0.0e+00"))
    assert page_problems(good.replace("28.62", "28.620000"))
    assert page_problems(good.replace("BM3D", "x" * (T.PAGE_WIDTH + 1)))
    wide = "| " + " | ".join(f"c{i}" for i in range(T.PAGE_COLUMNS + 1)) + " |\n"
    assert page_problems(wide)
    assert page_problems(good + "| BM3D | 1 | 2 |\n")


# ---------------------------------------------------------------- formatting rules

def test_numbers_take_their_kind_decimals_and_no_nan():
    assert T.format_number(29.188100996966174, kind="db") == "29.19"
    assert T.format_number(0.8262419670459071, kind="ssim") == "0.8262"
    assert T.format_number(68.0, kind="int") == "68"
    assert T.format_number(238336.0, kind="int") == "238,336"
    assert T.format_number(9600, kind="int") == "9600"
    assert T.format_number(1.23456, kind="float:3") == "1.235"
    assert T.format_number(float("nan"), kind="db") == T.MISSING
    assert T.format_number(None) == T.MISSING
    assert T.format_number(-0.001, kind="db") == "0.00"  # no sign on a zero
    assert T.format_number(-0.04, kind="db") == T.MINUS + "0.04"


def test_differences_are_signed_only_where_not_zero():
    assert T.format_difference(0.0494, kind="db") == "+0.05"
    assert T.format_difference(-0.0419, kind="db") == T.MINUS + "0.04"
    assert T.format_difference(-0.004, kind="db") == "0.00"
    assert T.format_versus(29.188100996966174, 29.23) == f"29.19 (paper 29.23, {T.MINUS}0.04)"
    assert T.format_versus(20.48, float("nan")) == "20.48"
    assert T.format_versus(float("nan"), 29.23) == T.MISSING


def test_format_table_has_no_index_and_formats_by_kind():
    table = pd.DataFrame({"method": ["a", "b"], "psnr": [29.1881, np.nan], "ssim": [0.82624, 0.5],
                          "images": [68.0, 12.0], "loss": [0.123456, 1.5]}, index=[7, 9])
    text = T.format_table(table, decimals=3)
    rows = markdown_tables(text)[0]
    assert rows[0] == ["method", "psnr", "ssim", "images", "loss"]  # no index column
    assert rows[1] == ["a", "29.19", "0.8262", "68", "0.123"]
    assert rows[2] == ["b", T.MISSING, "0.5000", "12", "1.500"]
    assert "7" not in [r[0] for r in rows] and page_problems(text) == []


def test_thousands_separators_hold_for_a_whole_column():
    text = T.format_table(pd.DataFrame({"run": ["a", "b"], "patches": [9600, 12800]}))
    assert [r[1] for r in markdown_tables(text)[0][1:]] == ["9,600", "12,800"]


def test_wide_tables_raise():
    many = pd.DataFrame({f"c{i}": [1.0] for i in range(T.PAGE_COLUMNS + 1)})
    with pytest.raises(T.TableTooWide):
        T.format_table(many)
    long_text = pd.DataFrame({"method": ["x" * 100], "note": ["y" * 50]})
    with pytest.raises(T.TableTooWide):
        T.format_table(long_text)
    T.format_table(long_text, max_width=None)  # no limit asked: drawn


def test_pipes_in_cells_do_not_break_the_table():
    text = T.format_table(pd.DataFrame({"a": ["x|y"], "b": [1]}))
    assert markdown_tables(text)[0][1] == ["x\\|y", "1"]


def test_short_device_and_constant_columns():
    assert T.device_cell("NVIDIA H200 (gpu, 1 device(s))") == "NVIDIA H200"
    assert T.device_cell("CPU: AMD EPYC, 2 cores") == "CPU: AMD EPYC, 2 cores"
    assert len(T.device_cell("z" * 80)) == T.DEVICE_WIDTH
    table = pd.DataFrame({"kind": ["a", "b"], "zero": [0.0, 0.0], "value": [1.0, 2.0]})
    kept, constant = T.split_constant_columns(table, keep=("kind",))
    assert list(kept.columns) == ["kind", "value"] and constant == {"zero": 0.0}
    assert T.split_constant_columns(table.head(1))[1] == {}  # one row: nothing is "constant"


# ---------------------------------------------------------------- the CSV rule

@pytest.mark.parametrize("rows, wide", [(30, False), (3, True)])
def test_show_table_names_a_repo_relative_csv(tmp_path, rows, wide):
    stage = tmp_path / "build" / "stage" / "results" / "quick"
    table = pd.DataFrame({"method": ["m" * (150 if wide else 5)] * rows, "psnr": np.linspace(20, 30, rows)})
    shown = T.show_table(table, csv_path=stage / "long.csv", max_rows=20).data
    assert "`results/quick/long.csv`" in shown and str(tmp_path) not in shown
    pd.testing.assert_frame_equal(pd.read_csv(stage / "long.csv"), table)
    assert page_problems(shown) == []
    assert len(markdown_tables(shown)) == (0 if wide else 1)


def test_show_table_draws_a_short_table(tmp_path):
    table = pd.DataFrame({"method": ["a", "b"], "psnr": [29.19, 28.62]})
    shown = T.show_table(table, csv_path=tmp_path / "results" / "paper" / "short.csv").data
    assert "results/" not in shown and markdown_tables(shown)[0][1] == ["a", "29.19"]


def test_csv_name_is_the_last_two_parts():
    assert T.csv_name("/home/x/build/stage/results/quick/noise_levels_rerun.csv") == "results/quick/noise_levels_rerun.csv"
    assert T.csv_name("/a/b/c.csv", profile="paper") == "results/paper/c.csv"


# ---------------------------------------------------------------- paper cells against the data

def _cell_numbers(cell: str) -> tuple:
    m = re.fullmatch(r"([\d.]+) \(paper ([\d.]+), ([+−]?[\d.]+)\)", cell)
    return m.groups() if m else (cell, None, None)


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_against_paper_cells_equal_the_data(profile):
    versus = pd.read_csv(RESULTS / profile / "summary_vs_paper.csv")
    text = T.present_against_paper(versus).data
    sigmas = [c.split("_")[1] for c in versus.columns if c.startswith("psnr_")]
    tables = dict(zip(dict.fromkeys(versus.dataset), markdown_tables(text)))
    checked = 0
    for r in versus.to_dict("records"):
        row = next(x for x in tables[r["dataset"]][1:] if x[0] == r["method"])
        for s, cell in zip(sigmas, row[1:]):
            measured, paper, diff = _cell_numbers(cell)
            if np.isnan(r[f"psnr_{s}"]):
                assert cell == T.MISSING
                continue
            assert measured == f"{r[f'psnr_{s}']:.2f}"
            if not np.isnan(r[f"paper_{s}"]):
                expected = round(r[f"psnr_{s}"] - r[f"paper_{s}"], 2)
                assert paper == f"{r[f'paper_{s}']:.2f}"
                assert float(diff.replace(T.MINUS, "-")) == pytest.approx(expected, abs=1e-9)
                assert float(diff.replace(T.MINUS, "-")) == pytest.approx(round(r[f"diff_{s}"], 2), abs=1e-9)
                assert diff[0] in "+−" or expected == 0
                checked += 1
    assert checked >= 4


def test_tasks_cells_equal_the_summary():
    summary = pd.read_csv(RESULTS / "dncnn3" / "tasks_summary.csv")
    versus = pd.read_csv(RESULTS / "dncnn3" / "tasks_vs_paper.csv")
    text = T.present_tasks(summary).data
    cells = {}
    for task, table in zip(dict.fromkeys(summary.task), markdown_tables(text)):
        for row in table[1:]:
            for header, cell in zip(table[0][2:], row[2:]):
                cells[(task, row[0], row[1], header)] = cell
    for r in versus.to_dict("records"):
        level = T._level_header(r["task"], r["level"])
        measured, paper, diff = _cell_numbers(cells[(r["task"], r["dataset"], "DnCNN-3", level)])
        assert measured == f"{r['psnr']:.2f}" and paper == f"{r['paper_psnr']:.2f}"
        assert float(diff.replace(T.MINUS, "-")) == pytest.approx(round(r["delta_psnr"], 2), abs=1e-9)


def test_set_images_bold_the_best_measured_value():
    per_image = pd.read_csv(RESULTS / "paper" / "per_image.csv")
    images = protocol.tabulate_images(per_image, dataset="Set12")
    text = T.present_set_images(images).data
    measured = images[images.source == "measured"]
    for table in markdown_tables(text):
        for j, header in enumerate(table[0][2:], start=2):
            column = header if header == "average" else f"{header}.png"
            for row in table[1:]:
                values = measured[measured.sigma == float(row[0])][column]
                if row[j].startswith("**"):
                    assert row[j] == f"**{values.max():.2f}**"
                elif row[j] != T.MISSING and not row[1].endswith("(paper)"):
                    assert float(row[j]) < round(values.max(), 2) + 1e-9


def test_bn_statistics_csv_and_summary_equal_the_rows(tmp_path):
    stats = pd.read_csv(RESULTS / "paper" / "bn_statistics.csv")
    text = T.present_bn_statistics(stats, csv_path=tmp_path / "results" / "paper" / "bn_layers.csv").data
    layers = pd.read_csv(tmp_path / "results" / "paper" / "bn_layers.csv")
    assert len(layers) == stats.groupby(["model", "layer"]).ngroups
    assert "`results/paper/bn_layers.csv`" in text
    row = markdown_tables(text)[0][1]
    model = stats[stats.model == row[0]]
    assert row[3] == f"{model.mean_shift.mean():.4f}" and row[4] == f"{model.mean_shift.max():.4f}"


# ---------------------------------------------------------------- every builder on the committed tables

def _builders(profile: str, tmp_path) -> dict:
    R = RESULTS / profile
    read = lambda name, base=R: pd.read_csv(base / name)  # noqa: E731
    out = tmp_path / "results" / profile
    summary, per_image = read("summary.csv"), read("per_image.csv")
    return {
        "patch_counts": lambda: T.present_patch_counts(read("patch_counts.csv")),
        "training_runs": lambda: T.present_training_runs(read("training_runs.csv")),
        "batch_statistics": lambda: T.present_batch_statistics(read("batch_statistics.csv")),
        "residual_spread": lambda: T.present_residual_spread(
            statistics.summarize_residual_spread(read("residual_statistics.csv"))),
        "bn_statistics": lambda: T.present_bn_statistics(read("bn_statistics.csv"), csv_path=out / "bn_layers.csv"),
        "against_paper": lambda: T.present_against_paper(protocol.tabulate_against_paper(summary)),
        "ssim": lambda: T.present_ssim(summary),
        "set_images": lambda: T.present_set_images(protocol.tabulate_images(per_image, dataset="Set12")),
        "image_counts": lambda: T.present_image_counts(read("tasks_per_image.csv")),
        "tasks": lambda: T.present_tasks(read("tasks_summary.csv"), csv_path=out / "tasks_summary.csv"),
        "tasks_ssim": lambda: T.present_tasks(read("tasks_summary.csv"), metric="ssim"),
        "full_tasks": lambda: T.present_tasks(read("tasks_summary.csv", RESULTS / "dncnn3")),
        "colour": lambda: T.present_colour(read("colour_vs_paper.csv", RESULTS / "colour")),
        "rerun": lambda: T.present_rerun(read("noise_levels_rerun.csv"), csv_path=out / "noise_levels_rerun.csv"),
        "noise_level_psnr": lambda: T.present_noise_level_psnr(read("noise_levels_psnr.csv")),
        "estimators": lambda: T.present_estimators(read("noise_levels_estimators.csv")),
        "clean_photos": lambda: T.present_clean_photos(read("noise_levels_clean_photos.csv")),
        "ablation_runs": lambda: T.present_ablation_runs(read("ablation_runs.csv")),
    }


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_every_builder_fits_the_page(profile, tmp_path):
    for name, build in _builders(profile, tmp_path).items():
        text = build().data
        assert markdown_tables(text), name
        assert page_problems(text) == [], name
        assert str(tmp_path) not in text and "/work" not in text, name


def test_constant_columns_are_said_once_not_drawn():
    spread = statistics.summarize_residual_spread(pd.read_csv(RESULTS / "paper" / "residual_statistics.csv"))
    text = T.present_residual_spread(spread.assign(zero=0.0)).data
    assert "batches" not in markdown_tables(text)[0][0] and "zero" not in markdown_tables(text)[0][0]
    assert text.startswith("Every row: batches 50; zero 0.00.")


def test_ablation_device_is_short():
    table = pd.read_csv(RESULTS / "paper" / "ablation_runs.csv")
    table.loc[0, "device"] = "NVIDIA H200 (gpu, 1 device(s))"
    text = T.present_ablation_runs(table).data
    header = markdown_tables(text)[0][0]
    assert "device" in header and "NVIDIA H200" in text and "device(s)" not in text


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_training_runs_show_short_devices_and_every_run(profile):
    table = pd.read_csv(RESULTS / profile / "training_runs.csv")
    rows = markdown_tables(T.present_training_runs(table).data)[0]
    assert [r[0] for r in rows[1:]] == list(table.run)
    column = rows[0].index("device")
    assert [r[column] for r in rows[1:]] == [T.device_cell(d) for d in table.device]
    assert all("(" not in r[column] for r in rows[1:])


def test_noise_level_pivot_with_its_index():
    from dncnn.evaluation import noise_levels as NL

    pivot = NL.pivot_summary(pd.read_csv(RESULTS / "paper" / "noise_levels_summary.csv"))
    text = T.present_noise_level_psnr(pivot).data
    rows = markdown_tables(text)[0]
    assert rows[0][0] == "method" and rows[0][1] == "σ = 5" and [r[0] for r in rows[1:]] == list(pivot.index)
    assert rows[1][1:] == [f"{v:.2f}" for v in pivot.iloc[0]]
    assert page_problems(text) == []
