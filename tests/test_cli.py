"""The command line: every command refuses bad input clearly; denoise never damages a user's image."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dncnn import cli, config  # noqa: E402
from dncnn.data.noise import add_gaussian_noise  # noqa: E402
from dncnn.restoration import files as denoise  # noqa: E402  (the library the command calls)
from dncnn.evaluation.metrics import compute_psnr  # noqa: E402
from dncnn.model.catalog import get_entry  # noqa: E402
from dncnn.model.network import build_dncnn  # noqa: E402
from helpers import SIDE, noisy_ramp, truncate_file, write_image_file  # noqa: E402


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    build_dncnn(4, 8, batch_norm=False, seed=0).save(path)
    return path


def _no_partial_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if ".part" in p.name]


def _run(argv, capsys):
    code = cli.main(["denoise", *[str(a) for a in argv]])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_cli_refuses_a_truncated_file_and_accepts_it_with_the_flag(tmp_path, weights, capsys, suffix):
    path = truncate_file(write_image_file(tmp_path / f"cut{suffix}", noisy_ramp()))
    out = tmp_path / f"out{suffix}"
    code, _, err = _run([path, out, "--weights", weights], capsys)
    assert code == 1 and err.startswith("error: ") and f"cut{suffix} is truncated" in err and "--accept-truncated" in err
    assert not out.exists() and _no_partial_files(tmp_path)
    code, stdout, err = _run([path, out, "--weights", weights, "--accept-truncated"], capsys)
    assert code == 0 and out.exists() and "denoised" in stdout
    assert "warning: " in err and f"cut{suffix} is truncated" in err and "rows (" in err and "could not be decoded" in err
    assert cv2.imread(str(out), cv2.IMREAD_UNCHANGED).shape == (SIDE, SIDE)


@pytest.mark.parametrize("extra", [[], ["--overwrite"]])
def test_writing_over_the_input_is_refused_even_with_overwrite(tmp_path, weights, capsys, extra):
    path = write_image_file(tmp_path / "only-copy.png", noisy_ramp())
    before = path.read_bytes()
    same = tmp_path / "sub" / ".." / "only-copy.png"  # the same file under another spelling
    (tmp_path / "sub").mkdir()
    for target in (path, same):
        code, _, err = _run([path, target, "--weights", weights, *extra], capsys)
        assert code == 1 and "is the input itself" in err and "only-copy.png" in err
    assert path.read_bytes() == before and _no_partial_files(tmp_path)


@pytest.mark.parametrize("folder_mode", [False, True])
def test_the_input_reached_through_a_missing_folder_is_refused_before_any_folder_is_made(tmp_path, weights, capsys, folder_mode):
    path = write_image_file(tmp_path / "keep.png", noisy_ramp())
    before = path.read_bytes()
    missing = tmp_path / "sub"  # sub/../keep.png is keep.png once sub/ exists, and writing would create it
    target = ["--out-dir", missing / ".."] if folder_mode else [missing / ".." / "keep.png"]
    code, _, err = _run([path, *target, "--weights", weights, "--overwrite"], capsys)
    assert code == 1 and "is the input itself" in err and "keep.png" in err
    assert path.read_bytes() == before and not missing.exists() and _no_partial_files(tmp_path)


def test_a_png_with_a_bad_crc_gets_our_one_line_and_none_of_the_decoders(tmp_path, valid_png, capfd):
    data = bytearray(valid_png)
    data[data.index(b"IDAT") + 14] ^= 0xFF  # one byte of the image data flipped in a copy
    path = tmp_path / "bad-crc.png"
    path.write_bytes(bytes(data))
    code = cli.main(["denoise", str(path), str(tmp_path / "out.png")])
    err = capfd.readouterr().err
    assert code == 1 and err.startswith(f"error: {path} is damaged: its IDAT chunk") and err.count("\n") == 1, err
    assert not (tmp_path / "out.png").exists()


def test_an_existing_output_is_kept_without_overwrite_and_replaced_with_it(tmp_path, weights, capsys):
    noisy = write_image_file(tmp_path / "noisy.png", noisy_ramp())
    out = tmp_path / "clean.png"
    out.write_bytes(b"the user's earlier result")
    code, _, err = _run([noisy, out, "--weights", weights], capsys)
    assert code == 1 and "clean.png already exists; pass --overwrite" in err
    assert out.read_bytes() == b"the user's earlier result"
    code, _, _ = _run([noisy, out, "--weights", weights, "--overwrite"], capsys)
    assert code == 0 and cv2.imread(str(out), cv2.IMREAD_UNCHANGED).shape == (SIDE, SIDE)
    assert _no_partial_files(tmp_path)


@pytest.fixture
def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, name in enumerate(["a.png", "b.jpg", "d.tif"]):
        write_image_file(folder / name, noisy_ramp(i))
    truncate_file(write_image_file(folder / "c.png", noisy_ramp(9)))  # the bad one, in the middle
    (folder / "notes.txt").write_text("not an image: ignored")
    (folder / ".hidden.png").write_bytes(b"a hidden file: ignored")
    return folder


def test_folder_mode_keeps_going_past_a_bad_file_and_reports_it(photo_folder, tmp_path, weights, capsys, monkeypatch):
    loads = []
    real = denoise.load_denoiser
    monkeypatch.setattr(denoise, "load_denoiser", lambda **kw: loads.append(kw) or real(**kw))
    extra = write_image_file(tmp_path / "extra.png", noisy_ramp(5))
    out_dir = tmp_path / "clean"
    code, stdout, err = _run([photo_folder, extra, "--out-dir", out_dir, "--weights", weights], capsys)
    assert code == 1 and len(loads) == 1  # one model for all images
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.png", "b.jpg", "d.tif", "extra.png"]
    assert "denoised 4 of 5 images" in stdout
    assert "1 of 5 inputs failed" in err and f"{photo_folder / 'c.png'}: " in err and "is truncated" in err
    assert _no_partial_files(tmp_path)
    code, stdout, err = _run([photo_folder / "a.png", "--out-dir", out_dir, "--weights", weights], capsys)
    assert code == 1 and "a.png already exists; pass --overwrite" in err  # batch mode does not overwrite either
    code, stdout, err = _run([photo_folder / "a.png", extra, "--out-dir", out_dir, "--weights", weights, "--overwrite"], capsys)
    assert code == 0 and "denoised 2 of 2 images" in stdout


def test_folder_mode_refuses_inputs_that_would_write_the_same_output(tmp_path, weights, capsys):
    for folder in ("day1", "day2"):
        (tmp_path / folder).mkdir()
        write_image_file(tmp_path / folder / "img.png", noisy_ramp())
    out_dir = tmp_path / "clean"
    code, _, err = _run([tmp_path / "day1", tmp_path / "day2", "--out-dir", out_dir, "--weights", weights], capsys)
    assert code == 1 and "same name" in err and "day1/img.png and" in err and "day2/img.png" in err
    assert not out_dir.exists() or not list(out_dir.iterdir())


def test_folder_mode_into_the_input_folder_refuses_each_file(photo_folder, weights, capsys):
    before = {p.name: p.read_bytes() for p in photo_folder.iterdir()}
    code, _, err = _run([photo_folder, "--out-dir", photo_folder, "--weights", weights, "--overwrite"], capsys)
    assert code == 1 and err.count("is the input itself") == 4  # checked before reading, so c.png too
    assert {p.name: p.read_bytes() for p in photo_folder.iterdir()} == before


def test_an_interrupted_batch_leaves_complete_outputs_only(photo_folder, tmp_path, weights, capsys, monkeypatch):
    real, calls = denoise.denoise_tiled, []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(denoise, "denoise_tiled", interrupt_second)
    out_dir = tmp_path / "clean"
    code, _, err = _run([photo_folder, "--out-dir", out_dir, "--weights", weights], capsys)
    assert code == 130 and "interrupted" in err
    assert [p.name for p in out_dir.iterdir()] == ["a.png"] and _no_partial_files(tmp_path)


@pytest.mark.slow  # a subprocess importing TensorFlow: about 7 s
def test_cli_folder_mode_end_to_end_with_a_progress_bar(photo_folder, tmp_path, weights):
    out_dir = tmp_path / "clean"
    result = subprocess.run([sys.executable, "-m", "dncnn", "denoise", str(photo_folder), "--out-dir", str(out_dir),
                             "--weights", str(weights)], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "denoising" in result.stderr and "4/4" in result.stderr  # tqdm's bar
    assert "c.png" in result.stderr.split("inputs failed:")[1]
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.png", "b.jpg", "d.tif"]


@pytest.mark.parametrize("args,message", [
    (["--sigma", "-5"], "sigma must be in [0, 255]"),
    (["--sigma", "300"], "sigma must be in [0, 255]"),
    (["--model", "dncnn_s_sigma30"], "unknown model 'dncnn_s_sigma30': allowed are"),
])
def test_denoise_parameters_out_of_range_are_refused(args, message, tmp_path, valid_png, capsys):
    noisy = tmp_path / "in.png"
    noisy.write_bytes(valid_png)
    code, _, err = _run([noisy, tmp_path / "out.png", *args], capsys)
    assert code == 1 and message in err
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("kind", ["empty", "junk", "tiny"])
def test_cli_refuses_bad_inputs_and_writes_nothing(user_images, tmp_path, kind, capsys):
    _, paths = user_images
    out = tmp_path / f"{kind}-out.png"
    code, _, err = _run([paths[kind], out], capsys)
    assert code == 1 and err.startswith("error: ") and paths[kind].name in err
    assert not out.exists() and not list(tmp_path.glob(f".{kind}-out*"))


@pytest.mark.slow
def test_cli_denoises_with_model_ours(bsd68_crops, tmp_path, capsys):
    clean = bsd68_crops[0]
    noisy = np.clip(add_gaussian_noise(clean, 25, seed=0), 0, 1)
    cv2.imwrite(str(tmp_path / "noisy.png"), np.round(noisy * 255).astype(np.uint8))
    code, stdout, err = _run([tmp_path / "noisy.png", tmp_path / "out.png", "--model", "ours"], capsys)
    assert code == 0, err[-2000:]
    assert get_entry("ours").name in stdout
    out = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    assert compute_psnr(clean, out / 255) > compute_psnr(clean, cv2.imread(str(tmp_path / "noisy.png"), 0) / 255) + 4
    assert json.loads((config.WEIGHTS_DIR / "dncnn-s-sigma25.json").read_text())["git_commit"].startswith("ba67c2d")


def test_cli_refuses_an_unknown_profile():
    result = subprocess.run([sys.executable, "-m", "dncnn", "train", "--profile", "nope"], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=config.PROJECT_ROOT)
    assert result.returncode == 2 and "invalid choice: 'nope'" in result.stderr


_PARSED_SAMPLES = {"sigma_range": "0,55", "lr_schedule": "0:1e-3,2:1e-4", "devices": "2"}  # options with a parser of their own


def _train_options():
    """The ``train`` subparser's options (help aside), and for each a command-line value unlike its default."""
    train_parser = cli.build_parser()._subparsers._group_actions[0].choices["train"]
    options = {}
    for action in train_parser._actions:
        if not action.option_strings or action.dest == "help":
            continue
        flag = action.option_strings[-1]
        if action.nargs == 0:  # store_true
            options[action.dest] = [flag]
        elif action.choices:
            options[action.dest] = [flag, str(next(c for c in action.choices if c != action.default))]
        elif action.dest in _PARSED_SAMPLES:  # a value its own parser accepts
            options[action.dest] = [flag, _PARSED_SAMPLES[action.dest]]
        else:
            options[action.dest] = [flag, {int: "7", float: "3.5"}.get(action.type, f"/nowhere/{action.dest}")]
    return options


def test_every_train_option_names_a_parameter_of_train_or_a_profile_field():
    import dataclasses
    import inspect

    from dncnn.profiles import Profile
    from dncnn.training.train import train

    accepted = set(inspect.signature(train).parameters) | {f.name for f in dataclasses.fields(Profile)}
    aliases = {"patches": "patches_path"}  # --patches FILE: the patches file
    dead = [dest for dest in _train_options() if aliases.get(dest, dest) not in accepted]
    assert not dead, f"train options that train() does not take: {dead}"


def test_every_train_option_changes_what_train_receives(monkeypatch, capsys):
    from dncnn.training import train as train_module

    calls = []

    def fake_train(profile, **kwargs):
        calls.append((profile, kwargs))
        return {"complete": True, "epochs": 0, "steps": 0, "wall_seconds": 0.0, "final_loss": None, "device": "", "backend": ""}

    monkeypatch.setattr(train_module, "train", fake_train)
    assert cli.main(["train"]) == 0
    default = calls.pop()
    for dest, argv in _train_options().items():
        assert cli.main(["train", *argv]) == 0
        reached = calls.pop() != default
        assert reached, f"train {' '.join(argv)} does not reach train(): the option is dead"
    capsys.readouterr()


def test_one_parser_holds_every_command_with_the_profiles_choices():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert list(commands) == ["fetch", "patches", "train", "reproduce", "report", "denoise", "deblock", "upscale", "tasks",
                              "noise-levels", "colour", "ablation", "bench"]
    from dncnn.profiles import PROFILES

    for name in ("patches", "train", "reproduce", "report"):
        profile = next(a for a in commands[name]._actions if a.dest == "profile")
        assert list(profile.choices) == list(PROFILES) and profile.default == "quick"


def test_no_command_prints_the_help_and_an_unknown_one_is_refused(capsys):
    assert cli.main([]) == 0 and "denoise" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["frobnicate"])
    assert exit_info.value.code == 2 and "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_train_reads_a_learning_rate_schedule_a_sigma_range_and_devices():
    args = cli.build_parser().parse_args(["train", "--lr-schedule", "0:1e-3,6:1e-4", "--sigma-range", "0,55", "--devices", "all"])
    assert args.lr_schedule == ((0, 1e-3), (6, 1e-4)) and args.sigma_range == (0.0, 55.0) and args.devices == "all"
    for bad in (["--lr-schedule", "3:1e-3"], ["--lr-schedule", "0:1e-3,0:1e-4"], ["--sigma-range", "30,10"]):
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args(["train", *bad])


# --- no data and no mirror: one line, before any work, no empty folders left ---

# the command -> the function its work begins with, which the test makes stop the command loudly:
# the two commands run in child processes (no data at all, downloads refused), the others
# in this process with a fetch that fails
WORK_BEGINS = {
    "noise-levels": (["noise-levels"], "dncnn.evaluation.noise_levels.estimate_noise_levels"),
    "bench run": (["bench", "run"], "dncnn.bench.run.measure_matmul_gflops"),
}
WORK_BEGINS_IN_PROCESS = {
    "bench cli": (["bench", "cli"], "dncnn.data.noise.add_gaussian_noise"),
    "tasks": (["tasks"], "dncnn.evaluation.tasks.evaluate_three_tasks"),
    "patches": (["patches", "--profile", "smoke"], "dncnn.data.patches.generate_patches"),
    "reproduce": (["reproduce", "--profile", "smoke", "--no-readme"], "dncnn.commands.reproduce.execute_notebooks"),
}
_CHILD = """import importlib, sys
module, name = sys.argv[1].rsplit(".", 1)
def refuse(*args, **kwargs):
    raise SystemExit("the work began before the data was checked")
setattr(importlib.import_module(module), name, refuse)
from dncnn import cli
sys.exit(cli.main(sys.argv[2:]))
"""


def _without_data_env(root: Path, mirror: Path | None = None) -> dict:
    """An environment with an empty output root, no weights mirror, ``mirror`` (or none) as the data
    mirror, and every download refused at once (a proxy on a closed port: the tests never use the network)."""
    env = {k: v for k, v in os.environ.items()
           if k not in (config.MIRROR_ENV, "DNCNN_WEIGHTS_MIRROR") and "proxy" not in k.lower()}
    env.update({"DNCNN_OUTPUT_ROOT": str(root), "PYTHONPATH": str(config.PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"})
    if mirror is not None:
        env[config.MIRROR_ENV] = str(mirror)
    return env


def _empty_folders(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_dir() and not any(p.iterdir())]


def test_commands_without_data_end_in_one_line_before_any_work(tmp_path, mirror):
    """noise-levels and bench run check their data (and weights) first: with none, and no mirror, each ends in one
    ``error:`` line naming the file and the fix, having begun no work and left no empty folder;
    noise-levels with its images but no weights stops the same way before its estimators run."""
    partial = tmp_path / "bsd68-only" / "datasets"  # BSD68 and nothing beside it: the weights are missing
    partial.mkdir(parents=True)
    (partial / "BSD68").symlink_to(mirror / "BSD68")
    cases = {name: (argv, work, None) for name, (argv, work) in WORK_BEGINS.items()}
    cases["noise-levels, no weights"] = (*WORK_BEGINS["noise-levels"], partial)
    children = {}
    for name, (argv, work, data) in cases.items():
        root = tmp_path / name.replace(" ", "-").replace(",", "")
        root.mkdir()
        children[name] = (root, subprocess.Popen([sys.executable, "-c", _CHILD, work, *argv], cwd=root, text=True,
                                                 env=_without_data_env(root, data), stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE))
    for name, (root, child) in children.items():
        out, err = child.communicate(timeout=300)
        lines = err.strip().splitlines()
        assert child.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), (name, err[-2000:])
        assert "Traceback" not in err and "the work began" not in out + err, (name, err)
        assert ("DNCNN_WEIGHTS_MIRROR" if "weights" in name else config.MIRROR_ENV) in lines[0], (name, lines[0])
        assert _empty_folders(root) == [], (name, _empty_folders(root))
    assert (tmp_path / "noise-levels-no-weights" / "data" / "raw" / "BSD68").is_dir()  # fetched, then the weights failed


@pytest.mark.parametrize("name", list(WORK_BEGINS_IN_PROCESS))
def test_other_commands_check_their_data_before_any_work(name, capsys, monkeypatch):
    import importlib

    from dncnn.data import datasets
    from dncnn.files.fetch import DataError

    argv, work = WORK_BEGINS_IN_PROCESS[name]

    def missing(*args, **kwargs):
        raise DataError("BSD68/test001.png is missing. Run `make data` (or `python -m dncnn fetch`) to fetch it.")

    def refuse(*args, **kwargs):
        raise AssertionError("the work began before the data was checked")

    monkeypatch.setattr(datasets, "fetch_datasets", missing)
    module, function = work.rsplit(".", 1)
    monkeypatch.setattr(importlib.import_module(module), function, refuse)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err == "error: BSD68/test001.png is missing. Run `make data` (or `python -m dncnn fetch`) to fetch it.\n"


def test_a_missing_model_ends_denoise_and_deblock_in_one_line_before_any_estimate(tmp_path, capsys, monkeypatch):
    from dncnn.files.fetch import DataError
    from dncnn.model import reference
    from dncnn.restoration import rule

    def missing(name, **kwargs):
        raise DataError(f"downloading {name}.mat failed. Check the network, or set DNCNN_WEIGHTS_MIRROR to a local copy.")

    def estimated(*args, **kwargs):
        raise AssertionError("the image was estimated before the weights were checked")

    monkeypatch.setattr(reference, "fetch_reference_weights", missing)
    monkeypatch.setattr(rule, "estimate_image_sigma", estimated)  # the default path checks every model it may pick first
    image = write_image_file(tmp_path / "in.jpg", noisy_ramp())
    for argv in (["denoise", image, tmp_path / "out.png", "--sigma", "25"], ["deblock", image, tmp_path / "out.png"],
                 ["denoise", image, tmp_path / "out.png"], ["denoise", image, "--out-dir", tmp_path / "out"]):
        assert cli.main([str(a) for a in argv]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: downloading") and err.count("\n") == 1 and "DNCNN_WEIGHTS_MIRROR" in err, err
        assert not (tmp_path / "out.png").exists() and not (tmp_path / "out").exists()


def test_a_sideways_jpeg_is_denoised_as_viewers_show_it_and_written_upright(tmp_path, weights, capsys):
    """EXIF orientation 6 (stored 48x64, shown 64x48): the output is what a viewer shows, without the tag."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(noisy_ramp()[:48]).save(tmp_path / "side.jpg", exif=exif.tobytes())
    code, out, err = _run([tmp_path / "side.jpg", tmp_path / "up.png", "--weights", weights], capsys)
    assert code == 0 and "EXIF orientation 6" in err and "(48x64, 8-bit)" in out, (out, err)
    written = cv2.imread(str(tmp_path / "up.png"), cv2.IMREAD_UNCHANGED)
    assert written.shape == (64, 48)
    with Image.open(tmp_path / "up.png") as image:
        assert image.getexif().get(0x0112, 1) == 1  # no tag: upright for every viewer
