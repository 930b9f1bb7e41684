"""Mutation testing of the code that makes the study's tables (``make mutants``; a developer tool, not
part of ``make test`` or CI).

mutmut (pinned in the ``dev`` extras) changes one operator, constant or argument at a time in the
functions below and reruns the fast tests that cover each function. A mutant the tests let through
("survived") is a change to the code that would reach a table unnoticed, unless it is equivalent
(it computes the same thing) or touches only an error message.

Each target runs in a scratch copy of the project, ``build/mutants/<target>/`` (mutmut writes its
mutated tree to ``mutants/`` there), with its own configuration: the module's functions, and only
the test files that cover them. Targets run one after another, each within its share of the time
budget; a target stopped by its time leaves its unchecked mutants as ``not checked``. The report
(counts per target, the time each took, and the diff of every survivor) goes to
``build/mutants/report.md``.

Usage: ``python scripts/mutants.py [--targets noise,metrics] [--minutes 30] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "mutants"

# target -> the files mutmut mutates, the fast tests that cover them (pytest arguments), the functions
# mutated (mutmut names: module.x_function or module.xǁClassǁmethod, fnmatch patterns), and the share of
# the time budget. Slow tests that only repeat these checks at scale stay out (named per target).
TARGETS = {
    "noise": {
        "files": ["dncnn/data/noise.py"],
        "tests": ["tests/test_data_noise.py"],
        "functions": ["dncnn.data.noise.x_*"],
        "share": 1,
    },
    "metrics": {
        "files": ["dncnn/evaluation/metrics.py"],
        "tests": ["tests/test_evaluation_metrics.py"],
        "functions": ["dncnn.evaluation.metrics.x_*"],
        "share": 1,
    },
    "protocol": {  # the evaluation loop, the summaries (notebooks 04 and 05) and their checks; not the Markdown
        # formatting (it changes no number in a CSV table; tests/test_results.py checks the .md files against the
        # CSVs) nor the BM3D test (20 s a mutant; the fast tests cover the same lines)
        "files": ["dncnn/evaluation/protocol.py", "dncnn/evaluation/tasks/tables.py"],
        "tests": ["tests/test_evaluation_protocol.py",
                  "--deselect", "tests/test_evaluation_protocol.py::test_evaluate_rows_and_summary_with_reference_rows",
                  "tests/test_evaluation_tasks.py::test_check_against_table_fails_beyond_its_tolerance",
                  "tests/test_evaluation_tasks.py::test_check_against_table_pairs_rows_and_refuses_rows_the_table_lacks",
                  "tests/test_evaluation_tasks.py::test_summarize_tasks_takes_the_mean_of_each_setting_and_adds_the_papers_rows",
                  "tests/test_evaluation_tasks.py::test_check_against_table_reads_the_committed_csv_and_refuses_a_table_with_duplicate_rows",
                  "tests/test_evaluation_tasks.py::test_summarize_tasks_keeps_the_order_of_the_methods",
                  "tests/test_results.py"],
        "functions": [f"dncnn.evaluation.protocol.x_{name}__mutmut_*" for name in
                      ("evaluate_denoisers", "run_denoiser", "summarize", "check_summary_means", "_group_key",
                       "check_authors_weights", "check_image_counts")]
                     + [f"dncnn.evaluation.tasks.tables.x_{name}__mutmut_*" for name in ("check_against_table", "summarize_tasks",
                                                                                         "check_task_image_counts")],
        "share": 4,
    },
    "patches": {  # without test_train400_gives_238336_patches (all of Train400: the same recipe at full size)
        "files": ["dncnn/data/patches.py"],
        "tests": ["tests/test_data_patches.py", "--deselect", "tests/test_data_patches.py::test_train400_gives_238336_patches"],
        "functions": [f"dncnn.data.patches.x_{name}__mutmut_*" for name in
                      ("augment_patch", "augment_patches", "scale_size", "extract_patches", "generate_patches", "check_patches")],
        "share": 3,
    },
    "training": {  # the training step: batches, noise, loss, target; the compiled-step tests (subprocesses) stay out
        "files": ["dncnn/training/pipeline.py"],
        "tests": ["tests/test_training_pipeline.py",
                  "--deselect", "tests/test_training_pipeline.py::test_the_compiled_step_draws_what_the_eager_draw_returns",
                  "tests/test_training_train.py::test_train_learns_to_denoise_held_out_patches"],
        "functions": [f"dncnn.training.pipeline.x_{name}__mutmut_*" for name in ("epoch_order", "step_seeds", "noisy_clean_batch")]
                     + ["dncnn.training.pipeline.xǁDenoiserTrainerǁcall__mutmut_*",
                        "dncnn.training.pipeline.xǁDenoiserTrainerǁcompute_loss__mutmut_*",
                        "dncnn.training.pipeline.xǁPatchBankǁcall__mutmut_*"],
        "share": 3,
    },
    "bm3d": {  # the BM3D wrapper behind every BM3D row: its arguments, the cache and its key, the process pool
        "files": ["dncnn/evaluation/denoisers.py"],
        "tests": ["tests/test_evaluation_denoisers.py",
                  "--deselect", "tests/test_evaluation_denoisers.py::test_sigma25_weights_denoise_bsd68_images",
                  "--deselect", "tests/test_evaluation_denoisers.py::test_the_shipped_model_denoises_like_its_unfolded_self",
                  "tests/test_evaluation_colour.py::test_colour_bm3d_equals_bm3d_rgb_called_directly_with_sigma_over_255"],
        "functions": [f"dncnn.evaluation.denoisers.x_{name}__mutmut_*" for name in
                      ("bm3d_arguments", "bm3d_cache_key", "denoise_bm3d", "_bm3d_one", "resolve_workers", "_map_in_processes")]
                     + [f"dncnn.evaluation.denoisers.xǁBM3DDenoiserǁ{name}__mutmut_*" for name in
                        ("__call__", "denoise_many", "_cache_path", "_read_cache", "_write_cache")],
        "share": 2,
    },
    "colour": {  # the colour row: the noisy RGB inputs, their scores, colour BM3D
        "files": ["dncnn/evaluation/colour.py", "dncnn/evaluation/tasks/run.py"],
        "tests": ["tests/test_evaluation_colour.py",
                  "tests/test_evaluation_tasks.py::test_colour_bm3d_is_single_threaded_and_the_same_in_processes"],
        "functions": [f"dncnn.evaluation.colour.x_{name}__mutmut_*" for name in ("denoise_bm3d_rgb", "denoise_bm3d_rgb_timed")]
                     + ["dncnn.evaluation.tasks.run.x_evaluate_colour__mutmut_*"],
        "share": 1,
    },
    "tasks": {  # DnCNN-3's rows: the degraded inputs, the shave and rounding of each task, MATLAB's scores
        "files": ["dncnn/evaluation/tasks/run.py", "dncnn/evaluation/tasks/inputs.py", "dncnn/evaluation/tasks/scoring.py"],
        # (not the DnCNN-3 network test of tests/test_evaluation_tasks.py: it loads the weights, 10 s a mutant)
        "tests": ["tests/test_evaluation_tasks_scoring.py",
                  "tests/test_evaluation_tasks.py::test_super_resolution_pair_follows_the_authors_demo"],
        "functions": [f"dncnn.evaluation.tasks.run.x_{name}__mutmut_*" for name in
                      ("evaluate_denoising", "evaluate_super_resolution", "evaluate_jpeg", "_row")]
                     + [f"dncnn.evaluation.tasks.inputs.x_{name}__mutmut_*" for name in ("prepare_super_resolution", "prepare_jpeg")]
                     + ["dncnn.evaluation.tasks.scoring.x_matlab_scores__mutmut_*"],
        "share": 2,
    },
    "bn_folding": {
        "files": ["dncnn/model/network.py"],
        "tests": ["tests/test_model_network.py::test_fold_batchnorm_keeps_the_outputs_and_drops_the_bn_layers",
                  "tests/test_model_network.py::test_fold_batchnorm_keeps_the_layer_names_and_folds_each_bn_into_its_own_conv"],
        "functions": ["dncnn.model.network.x_fold_batchnorm__mutmut_*"],
        "share": 1,
    },
}
COPIED = ["dncnn", "tests", "results", "figures", "weights", "README.md", "pyproject.toml"]
STATUSES = ("killed", "survived", "no tests", "timeout", "suspicious", "segfault", "caught by type check", "skipped",
            "not checked")


def prepare(target: str, spec: dict) -> Path:
    """A scratch copy of the project for one target, its pyproject carrying the target's mutmut settings."""
    scratch = OUT / target
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, scratch / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, scratch / name)
    for name in spec["files"]:
        # Keras reads a Layer's __init__ arguments with getfullargspec, which does not see through the
        # trampoline mutmut puts around a mutated function: constructors are left alone (scratch copy only)
        path = scratch / name
        path.write_text(re.sub(r"^(\s*def __init__\(.*)$", r"\1  # pragma: no mutate block", path.read_text(), flags=re.M))
    settings = {
        "source_paths": ["dncnn"],
        # on an older checkout (a baseline run) the tests it lacks are left out
        "pytest_add_cli_args_test_selection": [arg for arg in spec["tests"] if _exists(scratch, arg)],
        "only_mutate": spec["files"],
        "also_copy": ["results", "figures", "weights", "README.md"],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x"],
        "process_isolation": "forkserver",  # the mutants' tests import TensorFlow, which is not fork-safe
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items()]
    with open(scratch / "pyproject.toml", "a") as f:
        f.write("\n".join(lines) + "\n")
    return scratch


def _exists(scratch: Path, arg: str) -> bool:
    """Whether a pytest argument names a test file (or file::test) present in the scratch copy; options pass."""
    if not arg.startswith("tests/"):
        return True
    path, _, test = arg.partition("::")
    return (scratch / path).exists() and (not test or f"def {test}(" in (scratch / path).read_text())


def run_target(target: str, spec: dict, *, seconds: float, jobs: int) -> dict:
    """Run mutmut on one target for at most ``seconds``; return its counts, survivors and time taken."""
    scratch = prepare(target, spec)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    env.setdefault("DNCNN_OUTPUT_ROOT", str(scratch / "output"))
    mutmut = [sys.executable, "-m", "mutmut"]
    start = time.monotonic()
    with open(scratch / "run.log", "w") as log:
        proc = subprocess.Popen([*mutmut, "run", "--max-children", str(jobs), *spec["functions"]], cwd=scratch, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=seconds)
            stopped = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            stopped = True
    took = time.monotonic() - start
    listing = subprocess.run([*mutmut, "results", "--all", "true"], cwd=scratch, env=env, capture_output=True, text=True).stdout
    status = {}
    for name, state in re.findall(r"^\s*(\S+__mutmut_\d+): (.+?)\s*$", listing, flags=re.M):
        if any(_matches(name, pattern) for pattern in spec["functions"]):
            status[name] = state
    survivors = {name: _diff(mutmut, scratch, env, name) for name, state in status.items() if state == "survived"}
    counts = {state: sum(1 for s in status.values() if s == state) for state in STATUSES}
    return {"target": target, "mutants": len(status), **counts, "seconds": round(took), "stopped_by_time": stopped,
            "returncode": proc.returncode, "survivors": survivors}


def _matches(name: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern)


def _diff(mutmut: list, scratch: Path, env: dict, name: str) -> str:
    shown = subprocess.run([*mutmut, "show", name], cwd=scratch, env=env, capture_output=True, text=True).stdout
    return "\n".join(line for line in shown.splitlines() if re.match(r"^[-+](?![-+])", line))


def write_report(results: list[dict], *, minutes: float, jobs: int, name: str = "report") -> Path:
    columns = ["target", "mutants", "killed", "survived", "no tests", "timeout", "suspicious", "not checked", "seconds"]
    lines = [f"# Mutation testing ({minutes:g} min budget, {jobs} jobs, `make mutants`)", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) + (" (time up)" if c == "seconds" and r["stopped_by_time"] else "") for c in columns) + " |"
              for r in results]
    for r in results:
        if r["survivors"]:
            lines += ["", f"## {r['target']}: {len(r['survivors'])} surviving", ""]
            for mutant, diff in r["survivors"].items():
                lines += [f"- `{mutant}`", "", "```diff", diff, "```", ""]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    (OUT / f"{name}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated, of: {', '.join(TARGETS)}")
    parser.add_argument("--minutes", type=float, default=30.0, help="time budget for all targets together")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--report", default="report", help="name of the report files in build/mutants/ (.md and .json)")
    args = parser.parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}; allowed: {', '.join(TARGETS)}")
    total_share = sum(TARGETS[t]["share"] for t in targets)
    results = []
    for target in targets:
        seconds = 60 * args.minutes * TARGETS[target]["share"] / total_share
        print(f"{target}: mutating {', '.join(TARGETS[target]['files'])} for at most {seconds / 60:.1f} min", flush=True)
        result = run_target(target, TARGETS[target], seconds=seconds, jobs=args.jobs)
        print(f"  {result['mutants']} mutants: {result['killed']} killed, {result['survived']} survived, "
              f"{result['not checked']} not checked, {result['seconds']} s", flush=True)
        results.append(result)
    print(f"report: {write_report(results, minutes=args.minutes, jobs=args.jobs, name=args.report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
