"""The committed results agree with themselves and with the documents that quote them: every summary is
the mean of its per-image table, every summary.md is its summary.csv, and every generated block of a
tracked Markdown file holds exactly what :mod:`dncnn.analysis.report` writes from the results."""

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from dncnn import config
from dncnn.analysis import report
from dncnn.evaluation import tasks
from dncnn.evaluation.protocol import check_summary_means, format_summary_markdown

RESULTS = config.PROJECT_ROOT / "results"  # the committed tables, not DNCNN_OUTPUT_ROOT's
DENOISING = ("per_image.csv", "summary.csv", "summary.md", ("dataset", "sigma", "method"), format_summary_markdown)
TASKS = ("tasks_per_image.csv", "tasks_summary.csv", "tasks_summary.md", ("task", "dataset", "level", "method"),
         tasks.format_tasks_markdown)
TABLES = [(folder, *DENOISING) for folder in ("paper", "quick")] + [(folder, *TASKS) for folder in ("paper", "quick", "dncnn3")]


@pytest.mark.parametrize("folder, per_image, summary, markdown, keys, render", TABLES,
                         ids=[f"{t[0]}/{t[2]}" for t in TABLES])
def test_each_committed_summary_is_the_mean_of_its_per_image_table(folder, per_image, summary, markdown, keys, render):
    if not (RESULTS / folder / summary).exists():
        pytest.skip(f"results/{folder}/{summary} is not committed")
    table = pd.read_csv(RESULTS / folder / summary)
    assert check_summary_means(pd.read_csv(RESULTS / folder / per_image), table, keys=keys) > 0
    assert (RESULTS / folder / markdown).read_text().startswith(render(table))  # the .md shows the .csv's numbers


def _tracked_markdown() -> list:
    """The .md files git tracks in this checkout; outside a checkout of its own (a copy inside another
    repository's ignored folder, an unpacked archive) every .md file outside the build folders."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=config.PROJECT_ROOT, capture_output=True, text=True, check=True).stdout

    try:
        if Path(git("rev-parse", "--show-toplevel").strip()).resolve() == config.PROJECT_ROOT.resolve():
            return [config.PROJECT_ROOT / name for name in git("ls-files", "*.md").split()]
    except (OSError, subprocess.CalledProcessError):
        pass
    skip = {".venv", "build", "data", ".git", "mutants"}
    return [p for p in config.PROJECT_ROOT.rglob("*.md") if not skip & set(p.relative_to(config.PROJECT_ROOT).parts)]


def test_every_generated_block_of_the_docs_is_what_the_committed_results_generate(monkeypatch):
    monkeypatch.setattr(config, "RESULTS_DIR", RESULTS)
    monkeypatch.setattr(config, "FIGURES_DIR", config.PROJECT_ROOT / "figures")
    checked = []
    for path in _tracked_markdown():
        for name, body in report.find_blocks(path.read_text()):
            if name in report.BLOCKS:
                expected = report.BLOCKS[name]()
                assert body == expected, (f"{path.relative_to(config.PROJECT_ROOT)}: the {name} block differs from what "
                                          f"dncnn.analysis.report generates from the committed results; rerun the "
                                          f"command that writes it (make reproduce, python -m dncnn tasks, make bench)")
                checked.append(name)
    assert checked, "no generated block found in any tracked .md file"


def test_find_blocks_reads_every_named_block():
    text = "a\n<!-- x:start -->\none\ntwo\n<!-- x:end -->\n<!-- bench-cli:start -->\n\n<!-- bench-cli:end -->\n"
    assert report.find_blocks(text) == [("x", "one\ntwo"), ("bench-cli", "")]


@pytest.mark.parametrize("folder", ["paper", "quick"])
def test_the_authors_weights_in_the_committed_tables_land_on_the_papers_numbers(folder):
    from dncnn.evaluation.protocol import check_authors_weights

    if not (RESULTS / folder / "summary.csv").exists():
        pytest.skip(f"results/{folder}/summary.csv is not committed")
    summary = pd.read_csv(RESULTS / folder / "summary.csv")
    authors = summary[(summary.source == "measured") & (summary.dataset == "BSD68") & summary.method.str.contains("authors'")]
    assert check_authors_weights(summary) == len(authors) >= 1  # every authors' row of the whole BSD68 set is checked


def _committed(path: str):
    if not (RESULTS / path).exists():
        pytest.skip(f"results/{path} is not committed")
    return pd.read_csv(RESULTS / path)


# Every committed per-image table holds, in each setting, the images its run asked for: the whole set
# (BSD68 68, Set12 12, Set5 5, Set14 14, classic5 5, LIVE1 29: tests/test_data_datasets.py pins the
# manifest to these counts) or, for a profile that runs a subset, the first N images of each set.
@pytest.mark.parametrize("folder", ["paper", "quick"])
def test_each_committed_evaluation_scores_the_images_its_profile_asked_for(folder):
    from dncnn.evaluation.protocol import check_image_counts
    from dncnn.profiles import get_profile

    per_image = _committed(f"{folder}/per_image.csv")
    profile = get_profile(folder)
    assert check_image_counts(per_image, images=profile.eval_images) == len(per_image.groupby(["dataset", "sigma", "method"]))
    if profile.eval_images is None:
        assert per_image.groupby("dataset").image.nunique().to_dict() == {"BSD68": 68, "Set12": 12}


def test_the_committed_full_tables_score_every_image_of_every_set():
    from dncnn.evaluation.protocol import check_image_counts

    tasks_table = _committed("dncnn3/tasks_per_image.csv")
    assert tasks.check_task_image_counts(tasks_table, images=None, colour_images=None) > 0
    assert tasks_table.groupby("dataset").image.nunique().to_dict() == {"BSD68": 68, "Set5": 5, "Set14": 14, "BSD100": 100,
                                                                        "Urban100": 100, "classic5": 5, "LIVE1": 29}
    settings = tasks.list_table_settings(tasks_table)
    assert [s for s in settings if s[0] != "colour denoising"] == tasks.list_task_jobs()  # every DnCNN-3 setting, in order
    grid = _committed("noise-levels/noise_levels_per_image.csv")
    assert check_image_counts(grid, images=None) == len(grid.groupby(["dataset", "sigma", "method"]))
    assert grid.groupby("dataset").image.nunique().to_dict() == {"BSD68": 68}


@pytest.mark.parametrize("folder", ["paper", "quick"])
def test_each_committed_task_table_scores_the_first_images_its_plan_asked_for(folder):
    from dncnn.profiles import get_profile

    table = _committed(f"{folder}/tasks_per_image.csv")
    plan = tasks.plan_tasks(get_profile(folder), accelerator=False)  # the committed runs had no GPU
    assert tasks.check_task_image_counts(table, images=plan["images"], colour_images=plan["colour_images"]) > 0


def test_the_committed_colour_table_is_the_mean_of_every_cbsd68_image_and_its_markdown():
    from dncnn.evaluation.colour import compare_colour_with_paper, format_colour_markdown

    per_image = _committed("colour/colour_per_image.csv")
    summary = pd.read_csv(RESULTS / "colour" / "colour_summary.csv")
    keys = ("task", "dataset", "level", "method")
    assert check_summary_means(per_image, summary, keys=keys) == len(per_image.groupby(list(keys)))
    assert tasks.check_task_image_counts(per_image, colour_images=None) > 0  # all 68 CBSD68 images in each setting
    assert per_image.groupby("dataset").image.nunique().to_dict() == {"CBSD68": 68}
    versus = pd.read_csv(RESULTS / "colour" / "colour_vs_paper.csv")
    pd.testing.assert_frame_equal(compare_colour_with_paper(summary), versus, check_dtype=False)
    assert (RESULTS / "colour" / "colour_summary.md").read_text().startswith(format_colour_markdown(versus))
