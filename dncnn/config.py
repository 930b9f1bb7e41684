"""Every path the study reads or writes, and the pinned public sources of its data.

Outputs (data, figures, results, executed notebooks) live under ``OUTPUT_ROOT``: the project root,
unless the environment variable ``DNCNN_OUTPUT_ROOT`` names another folder (the tests use this so
that a test run never touches the study's own results). Hyperparameters never live here.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OUTPUT_ROOT = Path(os.environ.get("DNCNN_OUTPUT_ROOT") or PROJECT_ROOT).resolve()

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
WEIGHTS_DIR = PROJECT_ROOT / "weights"  # committed weights trained by this project
# The models in WEIGHTS_DIR are entries of the catalogue (dncnn/model/catalog.py, source "shipped"):
# each comes with <stem>.json (sidecar) and <stem>.log.csv, their checksums in the entry too, and is
# checked against its entry's SHA-256 when it is loaded.
MANIFESTS_DIR = Path(__file__).resolve().parent / "manifests"

DATA_DIR = OUTPUT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"  # Train400/, BSD68/, Set12/ exactly as published
PATCHES_DIR = DATA_DIR / "patches"
RUNS_DIR = DATA_DIR / "runs"  # training runs: checkpoints, logs, final model
CACHE_DIR = DATA_DIR / "cache"  # BM3D outputs and other recomputable results
REFERENCE_WEIGHTS_DIR = DATA_DIR / "reference-weights"  # the authors' released .mat files, fetched
FIGURES_DIR = OUTPUT_ROOT / "figures"
RESULTS_DIR = OUTPUT_ROOT / "results"
BUILD_DIR = OUTPUT_ROOT / "build"  # executed notebooks
DOCS_DIR = PROJECT_ROOT / "docs"  # the guides the README links; some hold blocks generated from results/
README = PROJECT_ROOT / "README.md"  # the front page; its blocks between <!-- NAME:start/end --> are generated
# the committed full DnCNN-3 table (`python -m dncnn tasks`), which notebook 05 checks where it cannot rerun it
TASKS_TABLE_DIR = PROJECT_ROOT / "results" / "dncnn3"
# the committed curves of the paper's Fig. 2 ablation (`python -m dncnn ablation`), one folder per
# base profile (ablation: CPU; ablation-gpu), which notebook 07 reads
ABLATION_DIR = PROJECT_ROOT / "results" / "ablation"
# the committed noise-level grid (`python -m dncnn noise-levels`): notebook 06 checks its rerun against it and
# draws its figures from it; `python -m dncnn denoise` without --sigma reads its rule (noise_levels_rule.csv)
NOISE_LEVELS_TABLE_DIR = PROJECT_ROOT / "results" / "noise-levels"

# the committed colour table on CBSD68 (`python -m dncnn colour`: CDnCNN-B against CBM3D at sigma 15, 25,
# 35, 50), which notebook 05 checks its rerun subset against
COLOUR_TABLE_DIR = PROJECT_ROOT / "results" / "colour"

# Environment variable naming a local folder laid out like RAW_DIR to copy the data from.
MIRROR_ENV = "DNCNN_DATA_MIRROR"

# The authors' public repository, pinned to one commit.
SOURCE_REPOSITORY = "cszn/DnCNN"
SOURCE_COMMIT = "e93b27812d3ff523a3a79d19e5e50d233d7a8d0a"
SOURCE_BASE_URL = f"https://raw.githubusercontent.com/{SOURCE_REPOSITORY}/{SOURCE_COMMIT}"

# Folder of each dataset in the source repository.
DATASET_SOURCES = {
    "Train400": "TrainingCodes/DnCNN_TrainingCodes_v1.0/data/Train400",
    "BSD68": "testsets/BSD68",
    "Set12": "testsets/Set12",
    "Set5": "testsets/Set5",  # 5 RGB BMP: super-resolution (DnCNN-3, notebook 05)
    "Set14": "testsets/Set14",  # 13 RGB BMP and grey bridge.bmp: super-resolution
    "classic5": "testsets/classic5",  # 5 grey BMP: JPEG deblocking
    "LIVE1": "testsets/LIVE1",  # 29 RGB BMP: JPEG deblocking, colour denoising
    "CBSD68": "testsets/CBSD68",  # 68 RGB PNG: the paper's colour table (CDnCNN-B against CBM3D)
    "BSD100": "data/BSD100/image_SRF_3",  # 100 RGB PNG (*_HR.png, 480x321): super-resolution, Table V
    "Urban100": "data/Urban100/image_SRF_4",  # 100 RGB PNG (*_HR.png, full size): super-resolution, Table V
}
# The sets that come from another public repository than the authors' DnCNN one: set -> (repository,
# commit). CBSD68 is in the DnCNN authors' FFDNet repository (and, the same files, in their IRCNN one);
# BSD100 and Urban100 are the super-resolution benchmark files of SelfExSR (Huang et al., CVPR 2015),
# whose folders hold other files too: the manifest lists the *_HR.png ground truths only.
DATASET_REPOSITORIES = {
    "CBSD68": ("cszn/FFDNet", "e787f46df2f374ff3591186706229cb9a0591fea"),
    "BSD100": ("jbhuang0604/SelfExSR", "8f6dd8c1d20cb7e8792a7177b4f6fd677633f598"),
    "Urban100": ("jbhuang0604/SelfExSR", "8f6dd8c1d20cb7e8792a7177b4f6fd677633f598"),
}
# The sets above whose files may be RGB (read with dncnn.files.images.read_colour_image, not read_image).
COLOUR_DATASETS = ("Set5", "Set14", "classic5", "LIVE1", "CBSD68", "BSD100", "Urban100")


def dataset_base_url(name: str) -> str:
    """Root of the pinned repository that publishes dataset ``name``: the authors' (``SOURCE_BASE_URL``)
    unless :data:`DATASET_REPOSITORIES` names another."""
    if name not in DATASET_REPOSITORIES:
        return SOURCE_BASE_URL
    repository, commit = DATASET_REPOSITORIES[name]
    return f"https://raw.githubusercontent.com/{repository}/{commit}"


def figures_dir(profile: str, *, stage: str | os.PathLike | None = None) -> Path:
    """Folder of the figures of one profile's run: ``figures/<profile>``, or ``<stage>/figures/<profile>``
    when ``make reproduce`` stages a run (it publishes the staged folders once every notebook succeeded)."""
    return (Path(stage) / "figures" if stage else FIGURES_DIR) / profile


def results_dir(profile: str, *, stage: str | os.PathLike | None = None) -> Path:
    """Folder of the tables of one profile's run: ``results/<profile>``, or ``<stage>/results/<profile>``."""
    return (Path(stage) / "results" if stage else RESULTS_DIR) / profile


def pages_dir(profile: str, *, stage: str | os.PathLike | None = None) -> Path:
    """Folder of the HTML pages of one profile's executed notebooks: ``results/<profile>/pages``,
    published (and committed) with the tables."""
    return results_dir(profile, stage=stage) / "pages"


def run_dir(profile: str) -> Path:
    """Folder of one profile's training run (``data/runs/<profile>``)."""
    return RUNS_DIR / profile


def patches_path(profile: str) -> Path:
    """The ``.npy`` file of one profile's training patches."""
    return PATCHES_DIR / profile / "patches.npy"
