"""One colour per method in every figure, colour-blind safe (Okabe and Ito's palette).

:func:`method_colour` maps a row label of the tables (``"BM3D"``, ``"DnCNN-S authors' weights"``,
``"DnCNN-S ours (quick)"``, ...) to its colour by the method it names, so a method has the same
colour in notebook 02's curves, 03's statistics, 04's bars and crops and 06's noise-level study.
"""

from __future__ import annotations

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7",
    "grey": "#999999",
}

# (what the label contains, colour), the first match wins: the more specific patterns come first
METHOD_COLOURS = (
    # the four networks of the paper's Fig. 2 (notebook 07): residual learning (RL) and batch norm (BN) on or off
    ("RL+BN", OKABE_ITO["vermillion"]),  # the paper's (and our recipe's) combination
    ("RL (", OKABE_ITO["sky blue"]),
    ("BN (", OKABE_ITO["bluish green"]),
    ("neither (", OKABE_ITO["grey"]),
    ("noisy", OKABE_ITO["grey"]),
    ("CBM3D", OKABE_ITO["black"]),
    ("BM3D", OKABE_ITO["black"]),
    ("nearest DnCNN-S", OKABE_ITO["sky blue"]),  # notebook 06: the DnCNN-S nearest an estimated sigma
    ("denoise default", OKABE_ITO["yellow"]),  # notebook 06: the denoise command's choice without sigma (drawn with dark edges)
    ("told the true sigma", OKABE_ITO["blue"]),  # notebook 06: the best DnCNN-S at the true sigma (a bound)
    ("paper recipe", OKABE_ITO["vermillion"]),  # our converged, GPU-trained DnCNN-S
    ("ours", OKABE_ITO["orange"]),  # a profile's own, short run
    ("DnCNN-S", OKABE_ITO["blue"]),  # the authors' DnCNN-S
    ("DnCNN-B", OKABE_ITO["bluish green"]),
    ("CDnCNN", OKABE_ITO["bluish green"]),
    ("DnCNN-3", OKABE_ITO["reddish purple"]),
    ("bicubic", OKABE_ITO["grey"]),
    ("JPEG", OKABE_ITO["grey"]),
)
OTHER_COLOURS = (OKABE_ITO["sky blue"], OKABE_ITO["yellow"], OKABE_ITO["reddish purple"])


# a model of the catalogue (dncnn/model/catalog.py): by its source, then by its family
SOURCE_COLOURS = {"shipped": OKABE_ITO["vermillion"], "run": OKABE_ITO["orange"]}  # ours converged (GPU); a profile's short run
FAMILY_COLOURS = {"input": OKABE_ITO["grey"], "classical": OKABE_ITO["black"], "S": OKABE_ITO["blue"],
                  "B": OKABE_ITO["bluish green"], "colour": OKABE_ITO["bluish green"], "3": OKABE_ITO["reddish purple"]}


def method_colour(label: str, *, default: int = 0) -> str:
    """The colour (hex) of the method a table or legend label names: for a model of the catalogue
    (by its display, row or legend name) the colour of its source or family; for other rows (the
    derived rows of notebook 06, notebook 07's runs, the baselines) the first pattern of
    :data:`METHOD_COLOURS` the label contains; else ``OTHER_COLOURS[default % 3]``."""
    from ..model.catalog import MODELS, find_entry

    entry = find_entry(label) or next((e for e in MODELS if label in (e.short, e.row_short)), None)
    if entry is not None:
        return SOURCE_COLOURS.get(entry.source) or FAMILY_COLOURS.get(entry.family, OTHER_COLOURS[default % len(OTHER_COLOURS)])
    for pattern, colour in METHOD_COLOURS:
        if pattern in label:
            return colour
    return OTHER_COLOURS[default % len(OTHER_COLOURS)]

# notebook 06's sigma estimators, in table order: colours no row of notebook 06's PSNR figure uses
# (DnCNN-3 and a profile's own short run never share a figure with them)
ESTIMATOR_COLOURS = (OKABE_ITO["reddish purple"], OKABE_ITO["orange"])
