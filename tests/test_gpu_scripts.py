"""The lent GPU machine's run (scripts/gpu_*.sh): what can be checked without it or the slow run.

That machine has Python 3.12, JAX, numpy, h5py, pandas, opencv, matplotlib and scikit-image, no
TensorFlow and no network; scripts/gpu-wheels.txt lists the wheels carried to it.
"""

import re
import subprocess
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
