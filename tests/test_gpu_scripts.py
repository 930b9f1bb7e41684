"""The lent GPU machine's run (scripts/gpu_*.sh): what can be checked without it or the slow run.

That machine has Python 3.12, JAX, numpy, h5py, pandas, opencv, matplotlib and scikit-image, no
TensorFlow and no network; scripts/gpu-wheels.txt lists the wheels carried to it.
"""

import json
import os
import re
import subprocess
import sys
import tomllib

import pytest

from dncnn import config
from helpers import jax_job

SCRIPTS = config.PROJECT_ROOT / "scripts"
WHEELS = SCRIPTS / "gpu-wheels.txt"
# on the GPU machine already, or never wanted there: carrying them would shadow its own builds
MACHINE_HAS = {"jax", "jaxlib", "numpy", "scipy", "h5py", "pandas", "opencv-python-headless", "matplotlib",
               "scikit-image", "torch", "pillow", "tensorflow", "tensorflow-cpu", "tensorboard"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wheel_pins() -> dict[str, str]:
    lines = [line.strip() for line in WHEELS.read_text().splitlines()]
    pins = [line for line in lines if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][0-9A-Za-z.+!-]*", p) for p in pins), \
        [p for p in pins if "==" not in p]
    names = [_norm(p.split("==")[0]) for p in pins]
    assert len(names) == len(set(names)), "a package is pinned twice"
    return dict(zip(names, (p.split("==")[1] for p in pins)))


def test_the_carried_wheels_are_exact_pins_that_agree_with_pyproject():
    pins = _wheel_pins()
    assert not MACHINE_HAS & pins.keys()
    project = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ours = {_norm(d.split("==")[0]): d.split("==")[1].split(";")[0].strip() for d in project}
    for name in ("keras", "papermill", "ipykernel", "bm3d", "tqdm"):
        assert pins[name] == ours[name], name


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.sh")), ids=lambda p: p.name)
def test_scripts_parse(script):
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_the_carried_folders_are_ignored_by_git():
    if not (config.PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "check-ignore", ".whl/keras.whl", "gpu-data/data.tar.xz"], cwd=config.PROJECT_ROOT,
                         capture_output=True, text=True)
    assert out.stdout.split() == [".whl/keras.whl", "gpu-data/data.tar.xz"]


def test_reproduce_param_reads_python_literals_and_refuses_profile():
    from dncnn import cli

    args = cli.build_parser().parse_args(["reproduce", "--profile", "smoke", "--param", "mixed_precision=True",
                                          "--param", "max_minutes=6.5", "--param", "shipped=dncnn-s-sigma25"])
    assert dict(args.param) == {"mixed_precision": True, "max_minutes": 6.5, "shipped": "dncnn-s-sigma25"}
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["reproduce", "--param", "no-equals"])
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--profile", "smoke", "--param", "profile='paper'"])


@pytest.mark.slow
def test_the_package_runs_on_jax_without_tensorflow(tmp_path_factory):
    out = jax_job(tmp_path_factory, "package_without_tensorflow")  # tests/backend_jobs.py, TensorFlow blocked
    assert {k: v for k, v in out.items() if k != "folder"} == {"backend": "jax", "shape": [16, 16], "dtype": "float32",
                                                              "provenance_backend": "jax"}


def _standin_env(tmp_path, mirror, **extra) -> dict:
    """The GPU machine's environment, for scripts/gpu_train_claims.sh at a tiny size (smoke profiles, fp32)."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)), "KERAS_BACKEND": "jax",
            "PYTHONPATH": f"{tmp_path / 'site'}:{config.PROJECT_ROOT}", "DNCNN_DATA_MIRROR": str(mirror),
            "PY": os.environ["DNCNN_STANDIN_PYTHON"], "MIXED": "", "STEPS_PER_EXECUTION": "2",
            "ABLATION_PROFILE": "smoke", "ABLATION_EPOCHS": "2", "ABLATION_RUNS": os.environ.get("ABLATION_RUNS", "adam-rl-bn sgd-plain"),
            "PROFILE_S": "smoke", "S_EPOCHS": "2", "S_LR": "0:1e-3,1:1e-4", "PROFILE_B": "smoke", "B_EPOCHS": "2",
            "B_LR": "0:1e-3,1:1e-4", "B_OPTIONS": "--sigma-range 0,55", **extra}


@pytest.mark.skipif(not os.environ.get("DNCNN_STANDIN_PYTHON"),
                    reason="minutes long: run by hand with DNCNN_STANDIN_PYTHON=<a Python 3.12 with jax and no TensorFlow> "
                           "after scripts/gpu_wheels.sh (docs/training-claims.md)")
def test_gpu_train_claims_runs_and_resumes_in_the_gpu_stand_in(tmp_path, mirror):
    import tarfile

    py = os.environ["DNCNN_STANDIN_PYTHON"]
    assert subprocess.run([py, "-c", "import tensorflow"], capture_output=True).returncode != 0, "the stand-in must lack TensorFlow"
    wheels = sorted(str(p) for p in (config.PROJECT_ROOT / ".whl").glob("*.whl"))
    assert wheels, "run scripts/gpu_wheels.sh first"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(tmp_path / "site"), *wheels], check=True)
    script = str(SCRIPTS / "gpu_train_claims.sh")
    out1, out2 = tmp_path / "out1", tmp_path / "out2"
    out1.mkdir(), out2.mkdir()
    # call 1: the ablation and S15, S50; DnCNN-B waits (as if the time were spent)
    env = _standin_env(tmp_path, mirror, OUT=str(out1), DNCNN_OUTPUT_ROOT=str(tmp_path / "machine1"), STAGES="ablation s15 s50")
    first = subprocess.run(["bash", script], cwd=config.PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=3600)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    # call 2 on a fresh machine: resumes from the tars, S15 continues to 3 epochs, the ablation is not retrained, B trains
    env = _standin_env(tmp_path, mirror, OUT=str(out2), DNCNN_OUTPUT_ROOT=str(tmp_path / "machine2"), RESUME_FROM=str(out1),
                       S_EPOCHS="3", STAGES="ablation s15 blind")
    second = subprocess.run(["bash", script], cwd=config.PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=3600)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    for out, names in ((out1, {"ablation.tar", "s15.tar", "s50.tar", "claims.log"}), (out2, {"ablation.tar", "s15.tar", "blind.tar", "claims.log"})):
        files = list(out.iterdir())
        assert {f.name for f in files} == names and len(files) <= 8
        assert all(f.stat().st_size < 16 * 2 ** 20 for f in files)
    from dncnn.commands.ablation import resolve_runs

    runs = resolve_runs(env["ABLATION_RUNS"].split())
    with tarfile.open(out2 / "ablation.tar") as tar:
        members = set(tar.getnames())
        assert {f"results/{r}.log.csv" for r in runs} <= members and {f"results/{r}.json" for r in runs} <= members
        facts = {r: json.load(tar.extractfile(f"results/{r}.json")) for r in runs}
    assert all(f["status"] == "complete" or f["status"].startswith("diverged") for f in facts.values()), facts
    log2 = (out2 / "claims.log").read_text()
    assert "resuming from epoch-002" in log2 and "s50" not in log2.split("stages:")[1].splitlines()[0]
    with tarfile.open(out2 / "s15.tar") as tar:
        rows = tar.extractfile("log.csv").read().decode().splitlines()
        sidecar = json.load(tar.extractfile("model.json"))
    assert len(rows) == 1 + 3 and sidecar["complete"] and sidecar["backend"] == "jax" and sidecar["profile"]["sigma"] == 15.0
    with tarfile.open(out2 / "blind.tar") as tar:
        blind = json.load(tar.extractfile("model.json"))
    assert blind["profile"]["sigma_range"] == [0.0, 55.0] and blind["complete"]


def _stand_in(tmp_path) -> tuple[str, str]:
    """``(python, PYTHONPATH)`` of the GPU stand-in: DNCNN_STANDIN_PYTHON when set (a Python 3.12 with jax
    and no TensorFlow), else this Python with TensorFlow blocked as on the GPU machine (a sitecustomize
    that makes every ``import tensorflow`` fail)."""
    blocker = tmp_path / "no-tensorflow"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text('import sys\nsys.modules["tensorflow"] = None\n')
    python = os.environ.get("DNCNN_STANDIN_PYTHON") or sys.executable
    return python, f"{blocker}:{config.PROJECT_ROOT}"


@pytest.mark.slow
def test_gpu_speed_runs_in_the_stand_in_within_its_budget(tmp_path):
    """scripts/gpu_speed.sh at a tiny size: the sweep ends within its budget with one JSON line per
    setting (measured, or skipped for time), the peer's lines or the line saying it is absent, and
    table4_gpu.csv, which a CPU run leaves out of Table IV's GPU column."""
    import time

    import pandas as pd

    from dncnn.bench import table4
    from dncnn.bench.measure import SWEEP_SETTINGS

    pytest.importorskip("jax")
    python, path = _stand_in(tmp_path)
    assert subprocess.run([python, "-c", "import tensorflow"], env={**os.environ, "PYTHONPATH": path},
                          capture_output=True).returncode != 0, "the stand-in must lack TensorFlow"
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": path, "PY": python, "OUT": str(out), "SWEEP_BUDGET": "45", "SWEEP_SECONDS": "0.3",
           "BATCH": "4", "NETWORK": "3,4,12", "TABLE4_SIZES": "32", "TABLE4_REPEATS": "1", "KERAS_BACKEND": "jax"}
    start = time.perf_counter()
    result = subprocess.run(["bash", str(SCRIPTS / "gpu_speed.sh")], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (out / "speed.log").read_text()
    sweep_seconds = int(re.search(r"sweep: (\d+) s", log).group(1))
    assert sweep_seconds <= 45 + 2 and time.perf_counter() - start < 600
    assert {p.name for p in out.iterdir()} == {"sweep.jsonl", "table4_gpu.csv", "speed.log"}
    lines = [json.loads(line) for line in (out / "sweep.jsonl").read_text().splitlines()]
    ours = [line for line in lines if "mixed_precision" in line]
    assert [(r["mixed_precision"], r["steps_per_execution"]) for r in ours] == list(SWEEP_SETTINGS)
    measured = [r for r in ours if "skipped" not in r]
    assert measured and all(r["backend"] == "jax" and r["batch_size"] == 4 and r["patches_per_second"] > 0 for r in measured)
    peer = [line for line in lines if "compile_model" in line or line.get("peer") == "pytorch"]
    if subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0:
        assert [(r["bf16"], r["compile_model"]) for r in peer] == [(False, False), (True, False), (True, True), (False, True)]
        assert all("skipped" in r or (r["device"] == "cpu" and r["patches_per_second"] > 0) for r in peer)
    else:
        assert peer == [{"peer": "pytorch", "skipped": "torch is not importable"}]
    gpu = pd.read_csv(out / "table4_gpu.csv")
    assert list(gpu.method) == list(table4.NETWORKS) and (gpu["size"] == 32).all() and (gpu.seconds > 0).all()
    assert gpu.device.str.startswith("CPU").all() and table4.read_gpu_inference(out / "table4_gpu.csv") is None
