"""The catalogue: one entry per denoiser the study knows, and every fact about it in one place.

Each :class:`ModelEntry` holds a denoiser's key (the ``--model`` name of ``python -m dncnn
denoise``, the file stem), its display name in tables and figures, its short name for legends, its
family, the noise level or range it was trained for, channels, depth, where its weights come from
(the authors' release at :data:`dncnn.config.SOURCE_COMMIT`, or this project's ``weights/``), the
file and its SHA-256, and how it loads. Tables, figures, findings, the ``denoise`` command and the
noise-level rule read names and properties from here: no label is ever parsed back into a model.

Adding a model to the study is one entry in :data:`MODELS` (for a model of this project, with its
files in ``weights/``). The order of :data:`MODELS` is the order of the rows of every table.

The models a profile trains in a run (notebook 02) are entries too, made from the profile by
:func:`run_entry` (they are not in :data:`MODELS`: their file is written by the run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .. import config

AUTHORS = "authors"  # source: the authors' release (cszn/DnCNN at config.SOURCE_COMMIT)
SHIPPED = "shipped"  # source: this project's trained models, committed in weights/
RUN = "run"  # source: trained by a profile in this run (notebook 02), in data/runs/<run>/
NO_WEIGHTS = "none"  # source: a method without learned weights (BM3D, CBM3D, the noisy input)

# the tables a model is a row of
STUDY_EVALUATION = "evaluation"  # notebook 04: the authors' protocol on BSD68/Set12 (the shipped model: the notebook's parameter)
STUDY_NOISE_LEVELS = "noise-levels"  # notebook 06 and `python -m dncnn noise-levels`: every sigma
STUDY_TASKS = "tasks"  # notebook 05 and `python -m dncnn tasks`: DnCNN-3's tasks and the colour row

AUTHORS_WEIGHTS = "loaded: the authors' release"  # the `weights` column of a table row of the authors' models


@dataclass(frozen=True)
class ModelEntry:
    """One denoiser of the study.

    Attributes:
        key: identifier (``"dncnn_s_sigma15"``): the ``--model`` name, the file stem; ``aliases``
            are other ``--model`` names (``"ours"``).
        name: display name, the label of its rows in tables and figures (``"DnCNN-S15 authors' weights"``).
        short: the name in a legend (``"DnCNN-S15 authors'"``).
        row_name, row_short: label (and legend name) of its row in notebook 04's tables, which give one
            column per sigma so that the authors' DnCNN-S 15/25/50 share the row ``"DnCNN-S authors'
            weights"``; default ``name`` and ``short``.
        former_names: display names it had before (``"DnCNN-S ours, paper recipe (GPU)"``): tables
            committed before a rename still name it so, and :func:`find_entry` finds it by them; no
            sentence or new table uses them.
        family: ``"S"`` (one sigma), ``"B"`` (blind), ``"3"`` (DnCNN-3), ``"colour"``, ``"classical"``
            (BM3D, CBM3D) or ``"input"`` (the noisy input).
        sigma: the noise level (0-255) it was trained for; None for a blind or classical method.
        sigma_range: the range (0-255) a blind network was trained on; None otherwise.
        channels: 1 (grey) or 3 (RGB in and out). depth: convolution layers; None without a network.
        source: :data:`AUTHORS`, :data:`SHIPPED`, :data:`RUN` or :data:`NO_WEIGHTS`.
        file: the authors' ``.mat`` in their repository, or ``weights/<key>.keras``; None without weights.
        sha256: the file's SHA-256 (checked before it is loaded); None without a committed file.
        record: a shipped model's training record beside it, ``((file, SHA-256), ...)``: its JSON
            sidecar and ``log.csv`` in ``weights/`` (the tests check them).
        loader: ``"matconvnet"`` (an authors' ``.mat``), ``"keras"`` (a ``.keras`` of ``weights/``),
            ``"run"`` (a run's ``model.keras``), ``"bm3d"``, ``"cbm3d"``, ``"identity"``, or a callable
            returning a Keras model (a test's model).
        paper_method: the method of the paper's tables it stands for (Table II: ``"DnCNN-S"``, ``"DnCNN-B"``,
            ``"BM3D"``; the colour table: ``"CDnCNN-B"``, ``"CBM3D"``) or None.
        profile: the profile whose recipe trained a model of this project; None for the others.
        studies: the tables it is a row of (:data:`STUDY_EVALUATION`, :data:`STUDY_NOISE_LEVELS`, :data:`STUDY_TASKS`).
    """

    key: str
    name: str
    short: str
    family: str
    channels: int = 1
    depth: int | None = None
    sigma: float | None = None
    sigma_range: tuple[float, float] | None = None
    source: str = NO_WEIGHTS
    file: str | None = None
    sha256: str | None = None
    loader: str | Callable = "identity"
    paper_method: str | None = None
    profile: str | None = None
    studies: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    record: tuple[tuple[str, str], ...] = ()
    row_name: str = ""
    row_short: str = ""
    former_names: tuple[str, ...] = ()
    run_dir: str | None = field(default=None, compare=False)  # RUN: the run's folder, relative to the output root

    def __post_init__(self):
        object.__setattr__(self, "row_name", self.row_name or self.name)
        object.__setattr__(self, "row_short", self.row_short or self.short)

    @property
    def weights_note(self) -> str:
        """The ``weights`` column of its table rows: where the weights come from (empty without weights)."""
        return {AUTHORS: AUTHORS_WEIGHTS, SHIPPED: f"loaded: {self.file}", RUN: "trained in this run"}.get(self.source, "")

    @property
    def is_network(self) -> bool:
        """Whether it is a network (a Keras model to load), not BM3D or the noisy input."""
        return self.depth is not None


def _authors(key: str, name: str, short: str, family: str, path: str, sha256: str, *, depth: int, sigma=None,
             sigma_range=None, channels: int = 1, studies=(), paper_method=None, **more) -> ModelEntry:
    return ModelEntry(key=key, name=name, short=short, family=family, channels=channels, depth=depth, sigma=sigma,
                      sigma_range=sigma_range, source=AUTHORS, file=path, sha256=sha256, loader="matconvnet",
                      paper_method=paper_method, studies=studies, **more)


_S_ROW = dict(row_name="DnCNN-S authors' weights", row_short="DnCNN-S authors'")
BLIND_RANGE = (0.0, 55.0)  # the noise levels the authors' blind models were trained on (the paper, Section IV-A)

MODELS: tuple[ModelEntry, ...] = (
    ModelEntry(key="noisy", name="noisy input", short="noisy input", family="input", loader="identity",
               studies=(STUDY_EVALUATION, STUDY_NOISE_LEVELS, STUDY_TASKS)),
    ModelEntry(key="bm3d", name="BM3D", short="BM3D", family="classical", loader="bm3d", paper_method="BM3D",
               studies=(STUDY_EVALUATION, STUDY_NOISE_LEVELS)),
    _authors("dncnn_s_sigma15", "DnCNN-S15 authors' weights", "DnCNN-S15 authors'", "S", "model/specifics/sigma=15.mat",
             "657d5115fa05d371dbf0df1f0a931eff274dae29d08a9cc0824a28caf2460e21", depth=17, sigma=15.0,
             paper_method="DnCNN-S", studies=(STUDY_EVALUATION, STUDY_NOISE_LEVELS), **_S_ROW),
    _authors("dncnn_s_sigma25", "DnCNN-S25 authors' weights", "DnCNN-S25 authors'", "S", "model/specifics/sigma=25.mat",
             "5a5404c9e3ef14e353760e14b885439408a654618e14f13b2e97b99b9835020b", depth=17, sigma=25.0,
             paper_method="DnCNN-S", studies=(STUDY_EVALUATION, STUDY_NOISE_LEVELS), **_S_ROW),
    _authors("dncnn_s_sigma50", "DnCNN-S50 authors' weights", "DnCNN-S50 authors'", "S", "model/specifics/sigma=50.mat",
             "517dc0b55a8da2c129704ed7921b8557aac40cf3aae9f700dc41a9e25cad0983", depth=17, sigma=50.0,
             paper_method="DnCNN-S", studies=(STUDY_EVALUATION, STUDY_NOISE_LEVELS), **_S_ROW),
    # trained by the `paper` profile with Adam and bf16, as the authors' released training code does (the
    # paper's text describes SGD): "released-code recipe", never "paper recipe"
    ModelEntry(key="dncnn-s-sigma25", name="DnCNN-S ours, released-code recipe (GPU)", short="DnCNN-S ours (GPU)", family="S",
               former_names=("DnCNN-S ours, paper recipe (GPU)",),
               depth=17, sigma=25.0, source=SHIPPED, file="weights/dncnn-s-sigma25.keras",
               sha256="16964a07f6d6d42d38a3cced753b4e98b32631d28d9242ea1de702ce82cfbe4d", loader="keras",
               paper_method="DnCNN-S", profile="paper", studies=(STUDY_NOISE_LEVELS,), aliases=("ours",),
               record=(("weights/dncnn-s-sigma25.json", "bb9f668fa8342d07af082e4b1d1942c918a273c61e9057e4e5eb6e6ea8f92c16"),
                       ("weights/dncnn-s-sigma25.log.csv", "907674ba3fb48f0ea86dc8409dc9ecfe6f65466041224cfa8702b79c16eebd67"))),
    _authors("dncnn_b_gray_blind", "DnCNN-B authors' weights", "DnCNN-B authors'", "B", "model/GD_Gray_Blind.mat",
             "37f76da0b71dd2b2789ce91848fe2f184ab486203c9af9ac1b98199b60ea02b0", depth=20, sigma_range=BLIND_RANGE,
             paper_method="DnCNN-B", studies=(STUDY_EVALUATION, STUDY_NOISE_LEVELS)),
    # one grey network for denoising (sigma 0-55), super-resolution (x2-4) and JPEG deblocking (quality 5-99)
    _authors("dncnn3", "DnCNN-3", "DnCNN-3", "3", "model/DnCNN3.mat",
             "3962377d522b6728417e364bf7a589cf34ddfb592af0bd9769e53f8123d17677", depth=20, sigma_range=BLIND_RANGE,
             studies=(STUDY_TASKS,)),
    _authors("cdncnn_b_color_blind", "CDnCNN-B authors' weights", "CDnCNN-B authors'", "colour", "model/GD_Color_Blind.mat",
             "57db5437a44037e7675a99042fe7b14d3dcdf1c333d3ec665855566e8a59795c", depth=20, sigma_range=BLIND_RANGE,
             channels=3, paper_method="CDnCNN-B", studies=(STUDY_TASKS,)),
    ModelEntry(key="cbm3d", name="CBM3D", short="CBM3D", family="classical", channels=3, loader="cbm3d", paper_method="CBM3D",
               studies=(STUDY_TASKS,)),
)


def entries(*, source: str | None = None, family: str | None = None, study: str | None = None,
            models: Iterable[ModelEntry] | None = None) -> list[ModelEntry]:
    """The entries of :data:`MODELS` (or ``models``), in table order, with the given source, family
    and study (None: any)."""
    return [e for e in (MODELS if models is None else models)
            if (source is None or e.source == source) and (family is None or e.family == family)
            and (study is None or study in e.studies)]


def get_entry(key: str) -> ModelEntry:
    """The entry of ``key`` (or of one of its aliases, ``"ours"``).

    Raises:
        ValueError: for an unknown key (the message lists the known ones).
    """
    for e in MODELS:
        if key == e.key or key in e.aliases:
            return e
    known = ", ".join(k for e in MODELS for k in (e.key, *e.aliases))
    raise ValueError(f"unknown model {key!r}: allowed are {known}. Received: {key!r}")


def find_entry(label: str) -> ModelEntry | None:
    """The entry whose display name, notebook 04 row name or former name is ``label`` (the first in
    table order: the authors' DnCNN-S 15/25/50 share a row name and every fact but the sigma), among
    :data:`MODELS` and the runs of every registered profile (:func:`run_entries`); None for a label of
    no model (a derived row, the paper's rows). A lookup: a label is never parsed."""
    for e in (*MODELS, *run_entries()):
        if label in (e.name, e.row_name, *e.former_names):
            return e
    return None


def run_entry(profile) -> ModelEntry:
    """The entry of the model a profile trains in this run (notebook 02): ``DnCNN-S ours (<run>)``, or
    ``DnCNN-B ours (<run>)`` for a blind profile, its file ``data/runs/<run>/model.keras``."""
    from ..profiles import run_name

    run = run_name(profile)
    family = "B" if profile.sigma_range is not None else "S"
    name = f"DnCNN-{family} ours ({run})"
    run_dir = _display(config.run_dir(run))
    return ModelEntry(key=f"run-{run}", name=name, short=name, family=family, depth=profile.depth,
                      sigma=None if profile.sigma_range is not None else float(profile.sigma),
                      sigma_range=None if profile.sigma_range is None else tuple(map(float, profile.sigma_range)),
                      source=RUN, file=f"{run_dir}/model.keras", loader="run", paper_method=f"DnCNN-{family}",
                      profile=profile.name, studies=(STUDY_EVALUATION,), run_dir=run_dir)


def run_entries() -> list[ModelEntry]:
    """:func:`run_entry` of every registered profile."""
    from ..profiles import PROFILES

    return [run_entry(profile) for profile in PROFILES.values()]


def shipped_entry_for(profile) -> ModelEntry | None:
    """This project's shipped model trained by the profile's recipe at the profile's training sigma
    (or, for a blind profile, a blind one), or None."""
    for e in entries(source=SHIPPED):
        if e.profile != profile.name:
            continue
        if profile.sigma_range is not None:
            if e.sigma is None:
                return e
        elif e.sigma is not None and float(e.sigma) == float(profile.sigma):
            return e
    return None


def load_network(entry: ModelEntry):
    """The Keras model of a network entry, as stored (a shipped model keeps its batch norm; the
    authors' models come in deploy form): verified against ``sha256`` before loading.

    Raises:
        ValueError: for an entry without a network (BM3D, the noisy input).
    """
    if callable(entry.loader):
        return entry.loader()
    if entry.loader == "matconvnet":
        from .reference import load_reference_model

        return load_reference_model(entry.key)
    if entry.loader == "keras":
        from .weights import load_shipped_model

        return load_shipped_model(entry.key)
    if entry.loader == "run":
        from .weights import load_model

        return load_model(config.OUTPUT_ROOT / entry.file)
    raise ValueError(f"{entry.name} ({entry.key}) is not a network; it has no model to load. Received: {entry.loader!r}")


def _display(path: Path) -> str:
    """``path`` relative to the output root when it lies inside it (no machine's folders in committed files)."""
    try:
        return Path(path).resolve().relative_to(config.OUTPUT_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)
