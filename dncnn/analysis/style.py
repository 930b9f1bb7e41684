"""One colour and one marker per method in every figure, colour-blind safe where possible.

:func:`method_style` maps a row label of the tables (``"BM3D"``, ``"DnCNN-S15 authors' weights"``,
``"DnCNN-S ours (quick)"``, notebook 06's derived rows, notebook 07's runs, ...) to its colour and
marker, so a method looks the same in notebook 02's curves, 03's statistics, 04's gains and
comparison, 06's noise-level study and 07's ablation. Each model of the catalogue
(:data:`dncnn.model.catalog.MODELS`) has its own pair in :data:`MODEL_STYLES`: DnCNN-S15, S25 and
S50 differ in hue *and* marker (light blue down-triangles, blue circles, pink up-triangles), and
our GPU-trained model (vermillion diamonds) is never next to a near-identical orange.
"""

from __future__ import annotations

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7",
    "grey": "#999999",
}
# a few more hues (Paul Tol's "muted" scheme, also colour-blind safe) for the rows Okabe-Ito runs out for
TOL_MUTED = {"wine": "#882255", "indigo": "#332288", "teal": "#44AA99", "green": "#117733", "dark grey": "#555555"}

# one (colour, marker) per model of the catalogue, by its key: every pair differs in colour and no two
# models that share a figure share a marker (tests/test_analysis_plots.py checks both)
MODEL_STYLES = {
    "noisy": (OKABE_ITO["grey"], "X"),
    "bm3d": (OKABE_ITO["black"], "s"),
    "dncnn_s_sigma15": (OKABE_ITO["sky blue"], "v"),
    "dncnn_s_sigma25": (OKABE_ITO["blue"], "o"),
    "dncnn_s_sigma50": (OKABE_ITO["reddish purple"], "^"),
    "dncnn-s-sigma25": (OKABE_ITO["vermillion"], "D"),  # ours, trained on the GPU with the authors' code recipe
    "dncnn_b_gray_blind": (OKABE_ITO["bluish green"], "P"),
    "dncnn3": (TOL_MUTED["indigo"], "*"),
    "cdncnn_b_color_blind": (TOL_MUTED["green"], "P"),
    "cbm3d": (TOL_MUTED["dark grey"], "s"),
}
RUN_STYLE = (TOL_MUTED["wine"], "*")  # a model a profile trains in this run (``DnCNN-S ours (quick)``)
# notebook 04's tables give the authors' DnCNN-S 15/25/50 one row (their row name): drawn as DnCNN-S25
SHARED_ROW_KEY = "dncnn_s_sigma25"

# the rows of no model, (what the label contains, (colour, marker)): the first match wins
PATTERN_STYLES = (
    # the four networks of the paper's Fig. 2 (notebook 07): residual learning (RL) and batch norm (BN) on or off
    ("RL+BN", (OKABE_ITO["vermillion"], "o")),  # the paper's (and our recipe's) combination
    ("RL (", (OKABE_ITO["sky blue"], "^")),
    ("BN (", (OKABE_ITO["bluish green"], "s")),
    ("neither (", (OKABE_ITO["grey"], "X")),
    ("nearest DnCNN-S", (TOL_MUTED["teal"], "h")),  # notebook 06: the DnCNN-S nearest an estimated sigma
    ("denoise default", (OKABE_ITO["yellow"], "*")),  # notebook 06: the denoise command without sigma (dark edges)
    ("told the true sigma", (TOL_MUTED["dark grey"], "")),  # notebook 06: the best DnCNN-S at the true sigma (a bound, dotted)
    ("noisy", MODEL_STYLES["noisy"]),
    ("CBM3D", MODEL_STYLES["cbm3d"]),
    ("BM3D", MODEL_STYLES["bm3d"]),
    ("bicubic", (OKABE_ITO["grey"], "X")),
    ("JPEG", (OKABE_ITO["grey"], "X")),
)
OTHER_STYLES = ((OKABE_ITO["orange"], "o"), (TOL_MUTED["teal"], "s"), (OKABE_ITO["reddish purple"], "^"),
                (TOL_MUTED["wine"], "v"))

# notebook 06's sigma estimators, in table order: pairs no row of notebook 06's PSNR figure uses
ESTIMATOR_STYLES = ((OKABE_ITO["orange"], "o"), (TOL_MUTED["wine"], "s"), (TOL_MUTED["indigo"], "^"))
ESTIMATOR_COLOURS = tuple(colour for colour, _ in ESTIMATOR_STYLES)


def _model_entry(label: str):
    from ..model.catalog import MODELS, find_entry

    return find_entry(label) or next((e for e in MODELS if label in (e.short, e.row_short)), None)


def method_pair(label: str, *, default: int = 0) -> tuple[str, str]:
    """``(colour hex, matplotlib marker)`` of the method a table or legend label names: a model of the
    catalogue (by its display, row or legend name) has its :data:`MODEL_STYLES` pair (a run's model
    :data:`RUN_STYLE`; the shared row of the authors' DnCNN-S, DnCNN-S25's); other rows the first
    pattern of :data:`PATTERN_STYLES` the label contains; else ``OTHER_STYLES[default % 4]``. The
    marker is ``""`` for a line drawn without markers (a bound)."""
    from ..model.catalog import RUN

    entry = _model_entry(label)
    if entry is not None:
        if entry.source == RUN:
            return RUN_STYLE
        shared = label in (entry.row_name, entry.row_short) and entry.row_name != entry.name
        return MODEL_STYLES[SHARED_ROW_KEY if shared else entry.key]
    for pattern, pair in PATTERN_STYLES:
        if pattern in label:
            return pair
    return OTHER_STYLES[default % len(OTHER_STYLES)]


def method_colour(label: str, *, default: int = 0) -> str:
    """The colour (hex) of :func:`method_pair`."""
    return method_pair(label, default=default)[0]


def method_style(label: str, *, default: int = 0) -> dict:
    """Matplotlib keyword arguments ``color`` and ``marker`` of :func:`method_pair` (a line or a
    scatter of the method); ``marker`` is None for a line drawn without markers."""
    colour, marker = method_pair(label, default=default)
    return {"color": colour, "marker": marker or None}
