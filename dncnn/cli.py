"""The study's one command line: ``python -m dncnn COMMAND [options]`` (``python -m dncnn COMMAND --help``).

Commands: ``fetch`` (the datasets), ``patches`` (notebook 01's patches), ``train`` (notebook 02's
training, resumable), ``reproduce`` (every notebook, as ``make reproduce``), ``report`` (the
README's and docs/results.md's generated blocks), ``denoise``, ``deblock`` and ``upscale`` (a user's own images), ``tasks`` (notebook
05's tables on their own), ``noise-levels`` (notebook 06's grid on its own), ``colour`` (the paper's colour table on CBSD68), ``ablation`` (the paper's Fig. 2 runs, notebook 07's
curves), ``bench`` (speed against peers and this machine's ceiling). Each command imports only what it needs, so ``fetch`` never loads TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from . import config
from .profiles import PROFILES

DEFAULT_PROFILE = "quick"


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (each subcommand's function is ``args.run``), one builder per command."""
    parser = argparse.ArgumentParser(prog="python -m dncnn", description="The DnCNN study: data, training, evaluation, figures.")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for add in (add_fetch_parser, add_patches_parser, add_train_parser, add_reproduce_parser, add_report_parser,
                add_denoise_parser, add_restore_parsers, add_tasks_parser, add_noise_levels_parser, add_colour_parser,
                add_ablation_parser, add_bench_parser):
        add(commands)
    return parser


def _command(commands, name: str, run, text: str) -> argparse.ArgumentParser:
    """A subcommand ``name`` whose function is ``run``, with ``text`` as its help and description."""
    sub = commands.add_parser(name, help=text, description=text)
    sub.set_defaults(run=run)
    return sub


def _add_profile(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--profile", default=DEFAULT_PROFILE, choices=list(PROFILES),
                     help=f"run profile (default {DEFAULT_PROFILE}; dncnn/profiles.py)")


def add_fetch_parser(commands) -> None:
    """``fetch``: the datasets."""
    sub = _command(commands, "fetch", run_fetch, "fetch and verify the datasets into data/raw (DNCNN_DATA_MIRROR copies a local mirror)")
    sub.add_argument("datasets", nargs="*", help=f"dataset names (default all: {', '.join(config.DATASET_SOURCES)})")


def add_patches_parser(commands) -> None:
    """``patches``: notebook 01's patches."""
    sub = _command(commands, "patches", run_patches, "cut the training patches of a profile (notebook 01's work)")
    _add_profile(sub)


def add_train_parser(commands) -> None:
    """``train``: a training run, every option of :func:`dncnn.training.train.train`."""
    sub = _command(commands, "train", run_train, "train DnCNN by a profile, with checkpoints every epoch (notebook 02's work)")
    _add_profile(sub)
    sub.add_argument("--patches", type=Path, help="patches .npy (default data/patches/<profile>/patches.npy)")
    sub.add_argument("--run-dir", type=Path, help="output folder (default data/runs/<profile>)")
    sub.add_argument("--resume", action="store_true", help="continue from the last good checkpoint")
    sub.add_argument("--overwrite", action="store_true", help="discard an earlier run in --run-dir")
    sub.add_argument("--max-minutes", type=float, help="stop cleanly after this much wall time")
    sub.add_argument("--epochs", type=int, help="override the profile's epoch count")
    sub.add_argument("--steps-per-epoch", type=int, help="override the profile's steps per epoch")
    sub.add_argument("--sigma", type=float, help="training noise level (0-255; default the profile's 25); "
                                                  "the run goes to data/runs/<profile>-sigma<N>")
    sub.add_argument("--steps-per-execution", type=int, help="training steps per compiled call (default the profile's; 8 on a GPU)")
    sub.add_argument("--sigma-range", type=parse_sigma_range, metavar="LOW,HIGH",
                     help="blind training: each patch's noise level drawn uniformly from [LOW, HIGH] (0-255; "
                          "profile paper-blind: 0,55)")
    sub.add_argument("--lr-schedule", type=parse_lr_schedule, metavar="EPOCH:RATE,...",
                     help="learning-rate steps, e.g. 0:1e-3,6:1e-4 (a shortened run keeps the recipe's drop)")
    sub.add_argument("--devices", help="'all' or a count: train data parallel over several devices (JAX backend; "
                                       "the batch must divide by the count)")
    sub.add_argument("--mixed-precision", action="store_true", help="bf16 mixed precision")
    sub.add_argument("--xla", choices=["auto", "on", "off"], default="auto", help="XLA on TensorFlow")
    sub.add_argument("--deterministic", action="store_true", help="TensorFlow op determinism")
    sub.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])


def add_reproduce_parser(commands) -> None:
    """``reproduce``: the notebooks under papermill."""
    sub = _command(commands, "reproduce", run_reproduce, "execute every notebook with papermill (make reproduce), render their HTML pages, then update the README and docs/results.md")
    _add_profile(sub)
    sub.add_argument("--no-readme", action="store_true", help="do not update README.md's blocks and docs/results.md")
    sub.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", type=parse_param,
                     help="a notebook parameter for every notebook that declares it, e.g. mixed_precision=True or "
                          "max_minutes=6 (VALUE is a Python literal, else a string); repeatable")


def add_report_parser(commands) -> None:
    """``report``: the README's generated blocks."""
    sub = _command(commands, "report", run_report, "rewrite README.md's blocks and docs/results.md from the committed results")
    _add_profile(sub)


def add_denoise_parser(commands) -> None:
    """``denoise``: a user's images."""
    from .restoration.models import model_names
    from .restoration.tiling import DEFAULT_TILE

    sub = _command(commands, "denoise", run_denoise, "denoise your own images: NOISY CLEAN, or IN... --out-dir DIR")
    sub.usage = "python -m dncnn denoise NOISY CLEAN [options]\n       python -m dncnn denoise IN [IN ...] --out-dir DIR [options]"
    sub.add_argument("inputs", type=Path, nargs="+", metavar="IN",
                     help="NOISY CLEAN: one image (grey or colour PNG/JPEG/TIFF, 8- or 16-bit) and where to write it; "
                          "with --out-dir: image files and folders (a folder's PNG/JPEG/TIFF files)")
    sub.add_argument("--out-dir", type=Path, metavar="DIR", help="write each input's denoised image here, under the input's name")
    sub.add_argument("--overwrite", action="store_true", help="replace existing output files (never the input itself)")
    sub.add_argument("--accept-truncated", action="store_true",
                     help="denoise a truncated file as far as it can be decoded (missing rows grey), with a warning")
    group = sub.add_mutually_exclusive_group()
    group.add_argument("--weights", type=Path, help="a .keras model of this project or an authors' .mat file")
    group.add_argument("--model", help="ours (this project's DnCNN-S for sigma 25, trained on a GPU) or another network of "
                                       "the catalogue (dncnn/model/catalog.py): " + ", ".join(model_names()))
    sub.add_argument("--sigma", type=parse_sigma, metavar="SIGMA|auto",
                     help="noise level (0-255): picks DnCNN-S for 15/25/50, else DnCNN-B; 'auto' (the default without "
                          "--sigma, --model and --weights) estimates it per image, prints it and lets the noise-level "
                          "study's table (results/noise-levels) pick the model")
    sub.add_argument("--grey", action="store_true",
                     help="convert colour images to grey and use the grey models (default: colour images stay in "
                          "colour and go to the authors' CDnCNN-B, cdncnn_b_color_blind)")
    sub.add_argument("--tile", type=int, default=DEFAULT_TILE, help="tile side in pixels (bounds memory)")


def add_restore_parsers(commands) -> None:
    """``deblock`` and ``upscale``: DnCNN-3 on a user's image."""
    from .restoration.tiling import DEFAULT_TILE

    for name, text in (("deblock", "remove JPEG blocking from your own .jpg with the authors' DnCNN-3"),
                       ("upscale", "enlarge your own image by 2, 3 or 4: MATLAB bicubic, then the authors' DnCNN-3")):
        sub = _command(commands, name, run_restore, text + "; colour images go through Y, as in the authors' demo")
        sub.add_argument("source", type=Path, metavar="IN")
        sub.add_argument("target", type=Path, metavar="OUT", help="output image (.png, .tif, ...)")
        if name == "upscale":
            sub.add_argument("--scale", type=int, required=True, choices=[2, 3, 4])
        sub.add_argument("--overwrite", action="store_true", help="replace an existing output (never the input itself)")
        sub.add_argument("--accept-truncated", action="store_true", help="use what a truncated file holds, with a warning")
        sub.add_argument("--tile", type=int, default=DEFAULT_TILE, help="tile side in pixels (bounds memory)")


def add_tasks_parser(commands) -> None:
    """``tasks``: notebook 05's full table."""
    sub = _command(commands, "tasks", run_tasks, "measure notebook 05's tables on every image (the authors' DnCNN-3, the colour row), "
                                                 "only the settings its folder's table lacks, "
                                                 "and put them in docs/dncnn3.md and the README's claims")
    sub.add_argument("--out-dir", type=Path, help="folder for the tables (default results/dncnn3, which updates docs/dncnn3.md and the README)")
    sub.add_argument("--images", type=int, help="first N images of each set (default: all)")
    sub.add_argument("--crop", type=int, help="central square of this side (default: whole images)")
    sub.add_argument("--colour-images", type=int, default=0, help="LIVE1 images for the colour row (0: none, -1: all)")
    sub.add_argument("--no-dncnn3", action="store_true", help="skip the DnCNN-3 table")
    sub.add_argument("--tasks", nargs="+", default=["denoising", "super-resolution", "jpeg"],
                     choices=["denoising", "super-resolution", "jpeg"], help="tasks to run, in this order")
    sub.add_argument("--sets", nargs="+", help="measure only these sets' missing settings (e.g. BSD100 Urban100; default: all)")
    sub.add_argument("--levels", type=float, nargs="+", help="measure only these levels (sigma, scale or quality; default: all)")
    sub.add_argument("--no-resume", action="store_true",
                     help="measure every setting anew (default: keep the settings the folder's table holds, measure the missing ones)")


def add_noise_levels_parser(commands) -> None:
    """``noise-levels``: notebook 06's grid."""
    sub = _command(commands, "noise-levels", run_noise_levels, "measure notebook 06's grid: every method on BSD68 at every noise level, "
                                                    "and the sigma estimators (resumable; about 100 minutes on 2 cores)")
    sub.add_argument("--out-dir", type=Path, help="folder for the tables (default results/noise-levels of the output root)")
    sub.add_argument("--images", type=int, help="first N BSD68 images (default: all 68)")
    sub.add_argument("--crop", type=int, help="central square of this side (default: whole images)")
    sub.add_argument("--sigmas", type=float, nargs="+", help="noise levels (default 5 15 25 35 45 50 55 65 75)")
    sub.add_argument("--no-networks", action="store_true", help="measure the estimators only (fills the partial table)")
    sub.add_argument("--no-estimators", action="store_true", help="measure the denoisers only (fills the partial table)")


def add_colour_parser(commands) -> None:
    """``colour``: the paper's colour table on CBSD68."""
    sub = _command(commands, "colour", run_colour, "measure the paper's colour table: the authors' CDnCNN-B and colour BM3D "
                                                   "on every CBSD68 image at sigma 15, 25, 35, 50 (resumable; 90 minutes on 2 shared cores)")
    sub.add_argument("--out-dir", type=Path, help="folder for the tables (default results/colour of the output root)")
    sub.add_argument("--images", type=int, help="first N CBSD68 images (default: all 68)")
    sub.add_argument("--sigmas", type=float, nargs="+", help="noise levels (default 15 25 35 50)")
    sub.add_argument("--no-bm3d", action="store_true", help="leave colour BM3D out (the slow part)")


def add_ablation_parser(commands) -> None:
    """``ablation``: the paper's Fig. 2 runs."""
    sub = _command(commands, "ablation", run_ablation_command,
                  "train the paper's Fig. 2 runs (residual learning and batch norm on/off, Adam and SGD), resumable, "
                  "and write their validation curves to results/ablation/<profile>/ (notebook 07)")
    sub.add_argument("--profile", default="ablation", choices=list(PROFILES),
                     help="base profile (default ablation: the CPU budget; ablation-gpu on a GPU)")
    sub.add_argument("--runs", nargs="+", default=["adam"], metavar="RUN",
                     help="runs or groups: adam (default), sgd, all, or names such as adam-rl-bn, sgd-plain")
    sub.add_argument("--max-minutes", type=float, help="wall-clock bound of each run in this call (it resumes later)")
    sub.add_argument("--time-limit", type=float, metavar="MINUTES",
                     help="bound of the whole call: runs get what is left, later ones wait for the next call")
    sub.add_argument("--epochs", type=int, help="the runs' epochs (default the profile's; ablation: 8 of 50 steps)")
    sub.add_argument("--patches", type=Path, help="patches .npy (default data/patches/<profile>/patches.npy, cut if missing)")
    sub.add_argument("--out-dir", type=Path, help="folder for <profile>/<run>.log.csv and .json (default results/ablation)")
    sub.add_argument("--devices", help="'all' or a count: data parallel over several devices (JAX backend)")
    sub.add_argument("--mixed-precision", action="store_true", help="bf16 mixed precision")
    sub.add_argument("--steps-per-execution", type=int, help="training steps per compiled call (default the profile's)")
    sub.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2])


def add_bench_parser(commands) -> None:
    """``bench``: the speed measurements."""
    sub = _command(commands, "bench", run_bench, "speed: `run` (make bench), `probe` (training throughput, for a GPU), "
                                      "`peer` (the PyTorch peer's training settings), `cli` (the denoise command), "
                                      "`table4` (the paper's Table IV on this machine), `table4-gpu` (its GPU column, on a GPU), "
                                      "`sweep` and `sweep-peer` (training settings within a time budget, for a GPU), "
                                      "`training` (which CPU training configuration is fastest here)")
    sub.add_argument("what", choices=["run", "probe", "peer", "cli", "table4", "table4-gpu", "sweep", "sweep-peer", "training"])
    sub.add_argument("--images", type=int, default=8, help="cli: number of BSD68 images")
    sub.add_argument("--seconds", type=float, default=20.0, help="seconds per training measurement")
    sub.add_argument("--repeats", type=int, help="repeats per inference timing (median; default 3); training: rounds of the sweep (default 4)")
    sub.add_argument("--batch-size", type=int, default=128, help="probe and peer batch size")
    sub.add_argument("--steps-per-execution", type=int, default=1, help="probe: training steps per compiled call (as train's)")
    sub.add_argument("--out", type=Path, help="output folder (default results/)")
    sub.add_argument("--sizes", type=int, nargs="+", help="table4, table4-gpu: image sides in pixels (default 256 512 1024)")
    sub.add_argument("--budget", type=float, default=60.0, help="sweep, sweep-peer: seconds for all settings together")
    sub.add_argument("--network", type=lambda s: tuple(int(v) for v in s.split(",")), default=(17, 64, 40),
                     help="sweep, sweep-peer: DEPTH,FILTERS,PATCH (default 17,64,40: DnCNN-S; the tests: tiny)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 0
    from .files.fetch import DataError

    try:
        return args.run(args, parser)
    except DataError as err:  # missing or unreadable data or weights: every command ends in one line saying the fix
        print(f"error: {err}", file=sys.stderr)
        return 1


def run_fetch(args, parser) -> int:
    from .data import datasets
    from .files.fetch import DataError

    names = args.datasets or list(datasets.DATASETS)
    try:
        dest = datasets.fetch_datasets(names)
    except (DataError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"verified {len(datasets.list_files(names))} files in {dest}")
    return 0


def run_patches(args, parser) -> int:
    from .data.patches import prepare_patches

    p = PROFILES[args.profile]
    _, sidecar = prepare_patches(out_path=config.patches_path(p.name), train_images=p.train_images, patch_size=p.patch_size,
                                 stride=p.stride, batch_size=p.batch_size, seed=p.patch_seed)
    print(f"{sidecar['count']:,} patches in {sidecar['seconds']:.2f} s")
    return 0


def run_train(args, parser) -> int:
    from .training.train import train

    overrides = {k: v for k, v in (("epochs", args.epochs), ("steps_per_epoch", args.steps_per_epoch), ("sigma", args.sigma),
                                   ("lr_schedule", args.lr_schedule), ("sigma_range", args.sigma_range)) if v is not None}
    profile = replace(PROFILES[args.profile], **overrides)
    xla = {"auto": "auto", "on": True, "off": False}[args.xla]
    try:
        sidecar = train(
            profile, patches_path=args.patches, run_dir=args.run_dir, resume=args.resume, overwrite=args.overwrite,
            max_minutes=args.max_minutes, mixed_precision=args.mixed_precision, xla=xla,
            deterministic=args.deterministic, verbose=args.verbose,
            steps_per_execution=args.steps_per_execution, devices=_devices(args.devices),
        )
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: sidecar[k] for k in ("complete", "epochs", "steps", "wall_seconds", "final_loss", "device", "backend")}))
    return 0


def parse_lr_schedule(text: str) -> tuple[tuple[int, float], ...]:
    """``EPOCH:RATE,...`` of ``train --lr-schedule`` (``0:1e-3,6:1e-4``): 0-based first epochs, ascending from 0."""
    try:
        steps = tuple((int(e), float(r)) for e, r in (part.split(":") for part in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected EPOCH:RATE,... such as 0:1e-3,6:1e-4. Received: {text!r}") from None
    if not steps or steps[0][0] != 0 or any(b[0] <= a[0] for a, b in zip(steps, steps[1:])) or any(r <= 0 for _, r in steps):
        raise argparse.ArgumentTypeError(f"the epochs must start at 0 and rise, the rates be > 0. Received: {text!r}")
    return steps


def parse_sigma_range(text: str) -> tuple[float, float]:
    """``LOW,HIGH`` of ``train --sigma-range`` (``0,55``) on the 0-255 scale."""
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH such as 0,55. Received: {text!r}") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"need 0 <= LOW <= HIGH. Received: {text!r}")
    return low, high


def _devices(value: str | None) -> int | str | None:
    """``--devices``: None, ``"all"`` or a count."""
    return value if value in (None, "all") else int(value)


def run_ablation_command(args, parser) -> int:
    from .commands.ablation import run_ablation

    try:
        sidecars = run_ablation(profile=args.profile, runs=args.runs, max_minutes=args.max_minutes, time_limit=args.time_limit,
                                epochs=args.epochs,
                                out_dir=args.out_dir, patches_path=args.patches,
                                devices=_devices(args.devices), mixed_precision=args.mixed_precision,
                                steps_per_execution=args.steps_per_execution, verbose=args.verbose, argv=sys.argv[1:])
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for facts in sidecars:
        final = (facts.get("validation") or {}).get("final_psnr")
        print(json.dumps({"run": facts["run"], "status": facts["status"], "steps": facts.get("steps"),
                          "val_psnr": final, "wall_seconds": facts.get("wall_seconds")}))
    return 0


def parse_sigma(text: str) -> float | str:
    """``--sigma``: a number (0-255 scale) or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (0-255) or auto. Received: {text!r}") from None


def parse_param(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` of ``reproduce --param``: VALUE as a Python literal (``True``, ``6``, ``None``,
    ``"a"``), else as the string itself."""
    import ast

    name, sep, value = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with NAME a Python identifier. Received: {text!r}")
    try:
        return name.strip(), ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name.strip(), value


def run_reproduce(args, parser) -> int:
    from .analysis.report import update_readme
    from .commands.reproduce import NotebookFailed, reproduce

    params = dict(args.param)
    if {"profile", "stage"} & params.keys():
        parser.error("--param cannot set profile (use --profile) or stage (reproduce stages every run)")
    try:
        record = reproduce(args.profile, parameters=params)
    except ValueError as err:
        parser.error(str(err))
    except NotebookFailed as err:
        print(f"make reproduce FAILED: {err}\nresults/{args.profile} and figures/{args.profile} were left as they were.",
              file=sys.stderr)
        return 1
    print(f"reproduce ({args.profile}) finished in {record['seconds'] / 60:.1f} min")
    if not args.no_readme:
        update_readme(args.profile)
    return 0


def run_report(args, parser) -> int:
    from .analysis.report import update_readme

    update_readme(args.profile)
    return 0


def run_denoise(args, parser) -> int:
    from .restoration.files import denoise_file

    options = dict(weights=args.weights, model=args.model, sigma=args.sigma, tile=args.tile, overwrite=args.overwrite,
                   accept_truncated=args.accept_truncated, grey=args.grey)
    if args.out_dir is not None:
        return _denoise_folder(args.inputs, args.out_dir, options)
    if len(args.inputs) != 2:
        parser.exit(2, f"error: give NOISY CLEAN, or several inputs with --out-dir DIR. Received: {len(args.inputs)} paths\n")
    noisy, clean = args.inputs
    if noisy.is_dir():
        parser.exit(2, f"error: {noisy} is a folder: use python -m dncnn denoise {noisy} --out-dir DIR\n")
    from .files.images import ImageError

    try:
        done = denoise_file(noisy, clean, **options)
    except (ImageError, ValueError, OSError) as err:
        print(f"error: {_explain(err)}", file=sys.stderr)
        return 1
    if done["truncated"]:
        print(f"warning: {done['truncated']}", file=sys.stderr)
    for key in ("converted", "oriented"):
        if done.get(key):
            print(f"note: {done[key]}", file=sys.stderr)
    if done.get("sigma_estimate") is not None:
        from .restoration.files import describe_sigma_estimate

        print(describe_sigma_estimate(done))
    print(f"denoised {noisy} ({done['shape'][1]}x{done['shape'][0]}, {done['bits']}-bit) with {done['model']} -> {clean}")
    return 0


def _denoise_folder(inputs: list[Path], out_dir: Path, options: dict) -> int:
    """The ``--out-dir`` form: denoise all, list the failures at the end; 1 if any failed."""
    from .commands.denoise import denoise_paths
    from .files.images import ImageError

    try:
        report = denoise_paths(inputs, out_dir, **options)
    except (ImageError, ValueError, OSError) as err:
        print(f"error: {_explain(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the images finished so far are complete, no output is half-written", file=sys.stderr)
        return 130
    done, failed = report["done"], report["failed"]
    total = len(done) + len(failed)
    per_image = (report["seconds"] / len(done)) if done else 0.0
    print(f"denoised {len(done)} of {total} images into {out_dir} in {report['seconds']:.1f} s "
          f"({per_image:.2f} s per image, model loaded in {report['load_seconds']:.1f} s)")
    if failed:
        print(f"error: {len(failed)} of {total} inputs failed:", file=sys.stderr)
        for path, reason in failed:
            print(f"  {path}: {reason}", file=sys.stderr)
        return 1
    return 0


def _explain(err: Exception) -> str:
    from .commands.denoise import explain_error

    return explain_error(err)


def run_restore(args, parser) -> int:
    from .commands.restore import restore_file
    from .files.images import ImageError

    options = dict(tile=args.tile, overwrite=args.overwrite, accept_truncated=args.accept_truncated)
    try:
        done = restore_file(args.command, args.source, args.target, scale=getattr(args, "scale", None), **options)
    except (ImageError, ValueError, OSError) as err:
        print(f"error: {_explain(err)}", file=sys.stderr)
        return 1
    if done["truncated"]:
        print(f"warning: {done['truncated']}", file=sys.stderr)
    if done.get("oriented"):
        print(f"note: {done['oriented']}", file=sys.stderr)
    print(f"{args.command}ed {args.source} -> {args.target} ({done['shape'][1]}x{done['shape'][0]}) with DnCNN-3")
    return 0


def run_tasks(args, parser) -> int:
    from .commands.tasks import measure_tasks
    from .evaluation.tasks import format_tasks_markdown

    try:
        summary = measure_tasks(out_dir=args.out_dir, images=args.images, crop=args.crop, colour_images=args.colour_images,
                                dncnn3=not args.no_dncnn3, tasks=args.tasks, argv=sys.argv[1:],
                                resume=not args.no_resume, sets=args.sets, levels=args.levels)
    except ValueError as err:
        parser.error(str(err))
    print(format_tasks_markdown(summary))
    return 0


def run_colour(args, parser) -> int:
    from .commands.colour import measure_colour

    done = measure_colour(out_dir=args.out_dir, images=args.images, sigmas=args.sigmas, bm3d=not args.no_bm3d,
                          argv=sys.argv[1:])
    print(done["paths"]["summary_md"].read_text())
    return 0


def run_noise_levels(args, parser) -> int:
    from .commands.noise_levels import measure_noise_levels

    if args.no_networks and args.no_estimators:
        parser.error("--no-networks and --no-estimators leave nothing to measure: give at most one")
    done = measure_noise_levels(out_dir=args.out_dir, images=args.images, crop=args.crop, sigmas=args.sigmas,
                                networks=not args.no_networks, estimators=not args.no_estimators, argv=sys.argv[1:])
    if not done["paths"]:
        print("partial tables written; run again without --no-networks/--no-estimators to finish the grid")
        return 0
    print(done["paths"]["summary_md"].read_text())
    return 0


def run_bench(args, parser) -> int:
    from .bench import measure, run

    if args.what != "training":
        args.repeats = args.repeats or 3
    if args.what == "probe":
        measure.probe_training(batch_size=args.batch_size, seconds=args.seconds, steps_per_execution=args.steps_per_execution)
    elif args.what == "peer":
        measure.probe_peer(batch_size=args.batch_size, seconds=args.seconds)
    elif args.what == "cli":
        print(run.bench_denoise_cli(images=args.images, out_dir=args.out))
    elif args.what == "training":
        print(run.bench_training(rounds=args.repeats or 4, out_dir=args.out))
    elif args.what in ("sweep", "sweep-peer"):
        sweep = measure.sweep_training if args.what == "sweep" else measure.sweep_peer_training
        depth, filters, patch_size = args.network
        sweep(budget_seconds=args.budget, seconds=args.seconds, batch_size=args.batch_size, depth=depth, filters=filters,
              patch_size=patch_size)
    elif args.what in ("table4", "table4-gpu"):
        from . import config
        from .bench import table4

        sizes = tuple(args.sizes or table4.TABLE4_SIZES)
        if args.what == "table4":
            print(table4.bench_table4(sizes=sizes, repeats=args.repeats, out_dir=args.out, figures_dir=args.out))
            if args.out is None:  # the committed table: its docs block and the claims row follow it
                from .analysis.report import update_readme_bench

                update_readme_bench()
        else:
            print(table4.measure_gpu_inference(out_dir=args.out or config.RESULTS_DIR, sizes=sizes, repeats=args.repeats).to_string())
    else:
        print(run.bench_everything(repeats=args.repeats, train_seconds=args.seconds, out_dir=args.out))
    return 0
