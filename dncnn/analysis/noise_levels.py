"""Notebook 06's findings: short Markdown paragraphs written from the noise-level tables, every number
formatted from them (``describe_*(...) -> str``; tests read the numbers back)."""

from __future__ import annotations

from pathlib import Path

from ..evaluation.noise_levels import (BLIND_LABEL, DEFAULT_LABEL, DNCNN_B_RANGE, NEAREST_LABEL, ORACLE_LABEL,
                                       pivot_summary, specific_models)
from ..model.catalog import find_entry, get_entry
from .findings import count_of, signed

BM3D = get_entry("bm3d").name


def describe_specific_vs_bm3d(summary, per_image) -> str:
    """Where each DnCNN-S (the authors' three and ours) beats BM3D told the true sigma, and where it
    falls behind: one sentence per network, the sigmas and the dB from the summary."""
    table = pivot_summary(summary)
    sigmas = [float(c) for c in table.columns]
    networks = list(specific_models(per_image).items())
    ours = per_image[per_image.trained_sigma.notna()][["trained_sigma", "method"]].drop_duplicates()
    networks += [(float(s), m) for s, m in ours.itertuples(index=False) if m not in dict(networks).values()]
    sentences = []
    for trained, method in networks:
        gap = table.loc[method] - table.loc[BM3D]
        ahead = [s for s, g in zip(sigmas, gap) if g > 0]
        if not ahead:
            sentences.append(f"{method} (trained for sigma {trained:g}) is behind BM3D at every sigma "
                             f"(by {-gap.max():.2f} dB at best).")
            continue
        low, high = _run_around(ahead, sigmas, trained)
        span = f"at sigma {low:g} only" if low == high else f"from sigma {low:g} to {high:g}"
        parts = [f"{method} (trained for sigma {trained:g}) beats BM3D {span}"
                 f" (by {gap[f'{trained:g}'] if f'{trained:g}' in gap.index else gap.max():.2f} dB at its own level)"]
        above = [s for s in sigmas if s > high]
        below = [s for s in sigmas if s < low]
        if above:
            last = "" if above[0] == sigmas[-1] else f", {signed(gap[f'{sigmas[-1]:g}'])} dB at sigma {sigmas[-1]:g}"
            parts.append(f"falls behind from sigma {above[0]:g} ({signed(gap[f'{above[0]:g}'])} dB there{last})")
        if below:
            parts.append(f"is behind below sigma {low:g} ({signed(gap[f'{below[-1]:g}'])} dB at sigma {below[-1]:g})")
        sentences.append(", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] + ".")
    return "**Each DnCNN-S away from its noise level.** " + " ".join(sentences)


def _run_around(ahead: list[float], sigmas: list[float], trained: float) -> tuple[float, float]:
    """The contiguous run of grid sigmas in ``ahead`` that contains (or is nearest) ``trained``."""
    runs, current = [], []
    for s in sigmas:
        if s in ahead:
            current.append(s)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    best = min(runs, key=lambda run: 0 if run[0] <= trained <= run[-1] else min(abs(run[0] - trained), abs(run[-1] - trained)))
    return best[0], best[-1]


def describe_blind_gap(summary, per_image) -> str:
    """How far DnCNN-B stays from the DnCNN-S trained for the true sigma inside its training range
    [0, 55], and what happens past 55 (against BM3D and the best row)."""
    table = pivot_summary(summary)
    sigmas = [float(c) for c in table.columns]
    models = specific_models(per_image)
    inside = [s for s in sigmas if DNCNN_B_RANGE[0] <= s <= DNCNN_B_RANGE[1]]
    matched = [(s, models[s]) for s in inside if s in models]
    gaps = [(s, table.loc[BLIND_LABEL, f"{s:g}"] - table.loc[m, f"{s:g}"]) for s, m in matched]
    text = ("**DnCNN-B against the matched DnCNN-S.** Inside its training range [0, 55], DnCNN-B is "
            + ", ".join(f"{signed(g)} dB from DnCNN-S{s:g} at sigma {s:g}" for s, g in gaps)
            + f" (largest gap {max(abs(g) for _, g in gaps):.2f} dB)")
    best_specific = table.loc[list(models.values())].max()
    worst_inside = min((table.loc[BLIND_LABEL, f"{s:g}"] - best_specific[f"{s:g}"], s) for s in inside)
    text += (f"; against the best DnCNN-S at every sigma from {inside[0]:g} to {inside[-1]:g} it is at worst "
             f"{signed(worst_inside[0])} dB (sigma {worst_inside[1]:g}).")
    past = [s for s in sigmas if s > DNCNN_B_RANGE[1]]
    if past:
        rows = [m for m in table.index if m != ORACLE_LABEL]
        parts = []
        for s in past:
            parts.append(_describe_past(table, rows, s))
        text += " Past 55, outside the levels it was trained on: " + "; ".join(parts) + "."
    else:
        text += " The grid has no sigma past 55."
    return text


def _describe_past(table, rows: list[str], sigma: float) -> str:
    """DnCNN-B at one sigma past its training range: against BM3D and, when another row is best there,
    against that row (``"at sigma 65 it is -1.35 dB from BM3D, the best row there"``)."""
    col = f"{sigma:g}"
    best_row = table.loc[rows, col].idxmax()
    blind = table.loc[BLIND_LABEL, col]
    text = f"at sigma {sigma:g} it is {signed(blind - table.loc[BM3D, col])} dB from BM3D"
    if best_row == BLIND_LABEL:
        return text + ", and the best row there"
    if best_row == BM3D:
        return text + ", the best row there"
    return text + f" and {signed(blind - table.loc[best_row, col])} dB from the best row ({best_row})"


def describe_choice(summary, rules, *, estimator: str, thresholds: list[dict], headline=(15.0, 25.0, 50.0)) -> str:
    """What a user who does not know sigma should choose: the denoise command's default path and the
    "nearest DnCNN-S" row against DnCNN-B and the DnCNN-S told the true sigma.

    Args:
        rules: the rule rows of the default estimator (``noise_levels_rule.csv`` where ``default``).
        thresholds: :func:`dncnn.evaluation.noise_levels.specific_thresholds`.
    """
    table = pivot_summary(summary)
    cols = [f"{s:g}" for s in headline if f"{s:g}" in table.columns]
    default, oracle, blind, nearest = (table.loc[k] for k in (DEFAULT_LABEL, ORACLE_LABEL, BLIND_LABEL, NEAREST_LABEL))
    mean = lambda row: float(row.mean())  # noqa: E731 - over every sigma of the grid
    rule_text = "; ".join(f"estimates in [{r['low']:g}, {'inf' if r['high'] == float('inf') else format(r['high'], 'g')}) "
                          f"-> {r['model']}" for r in rules)
    picks_specific = [r for r in rules if r["model"] != BLIND_LABEL]
    same = bool(((nearest - oracle).abs() < 0.005).all())  # the nearest DnCNN-S is the told one at every sigma of the grid
    thresholds_text = ", ".join(f"{t['threshold']:.1f}" for t in thresholds)
    nearest_text = (f"the estimate with the nearest DnCNN-S (thresholds {thresholds_text}) {mean(nearest):.2f} dB and the "
                    f"DnCNN-S told the true sigma {mean(oracle):.2f} dB. " if not same else
                    f"and the DnCNN-S told the true sigma {mean(oracle):.2f} dB, which the estimate with the nearest DnCNN-S "
                    f"(thresholds {thresholds_text}) equals at every sigma of the grid: here the two rows are one result. ")
    return (
        f"**Without sigma.** The denoise command estimates sigma with the {estimator} estimator (the one whose rule "
        f"scores best over the grid) and follows the rule derived from this table: {rule_text}. "
        + (f"It leaves DnCNN-B for a DnCNN-S in {count_of(len(picks_specific), 'range')} of the estimate. " if picks_specific
           else "The table never prefers a DnCNN-S to DnCNN-B for any estimate. ")
        + "Its PSNR against the DnCNN-S told the true sigma: "
        + ", ".join(f"{default[c]:.2f} against {oracle[c]:.2f} dB at sigma {c}" for c in cols)
        + f"; over the whole grid it averages {mean(default):.2f} dB, DnCNN-B alone {mean(blind):.2f} dB"
        + (", " if not same else " ") + nearest_text
        + _recommend({DEFAULT_LABEL: default, BLIND_LABEL: blind, NEAREST_LABEL: nearest}, oracle)
    )


def _recommend(rows: dict, oracle) -> str:
    """The sentence naming the best choice without sigma: the highest mean PSNR over the grid, and
    its largest shortfall from the DnCNN-S told the true sigma."""
    best = max(rows, key=lambda k: float(rows[k].mean()))
    gap = rows[best] - oracle
    shortfall, where = -float(gap.min()), gap.idxmin()
    lead = f"A user without sigma gets the most from '{best}' ({float(rows[best].mean()):.2f} dB over the grid); "
    if round(shortfall, 2) <= 0:  # never below the told DnCNN-S at 2 decimals: no shortfall to quote
        return lead + "it never falls short of the DnCNN-S told the true sigma at any sigma of the grid."
    return lead + f"its largest shortfall from the DnCNN-S told the true sigma is {shortfall:.2f} dB (sigma {where})."


def describe_estimators(table, *, headline=(15.0, 25.0, 50.0)) -> str:
    """The bias and spread of each estimator (:func:`dncnn.evaluation.noise_levels.summarize_estimators`)."""
    parts = []
    for name, rows in table.groupby("estimator", sort=False):
        rows = rows.set_index("sigma")
        at = ", ".join(f"{signed(rows.loc[s, 'bias'])} at sigma {s:g}" for s in headline if s in rows.index)
        worst = rows.bias.abs().idxmax()
        parts.append(f"{name}: bias {at} (spread {rows.spread.min():.2f} to {rows.spread.max():.2f}; largest |bias| "
                     f"{abs(rows.loc[worst, 'bias']):.2f} at sigma {worst:g}; {1000 * rows.mean_seconds.mean():.0f} ms per image)")
    lowest = table[table.sigma == table.sigma.min()]
    over = [name for name, bias in zip(lowest.estimator, lowest.bias) if bias > 0]
    note = (f" At the lowest sigma ({lowest.sigma.iloc[0]:g}) {' and '.join(over)} overestimate{'s' if len(over) == 1 else ''}: "
            "the image's own texture passes for noise." if over else "")
    return ("**Estimating sigma** (estimate minus true sigma, 0-255 scale, over the images): " + "; ".join(parts) + "."
            + note)


def describe_clean_photos(table) -> str:
    """What the denoise command's default path does to clean photos (sigma near 0):
    :func:`dncnn.restoration.clean_photos.measure_clean_photos` rows."""
    margin = float(table.margin_db.iloc[0])
    worst = table.loc[table.psnr.idxmin()]
    below = table[table.psnr < margin]
    chosen = ", ".join(f"{get_entry(m).name} ({count_of(n, 'photo')})" for m, n in table.model.value_counts().items())
    return (f"**A clean photo.** On {len(table)} of scikit-image's photographs (outside the test sets) the estimates "
            f"are {table.sigma_estimate.min():.2f} to {table.sigma_estimate.max():.2f} and the default path chose {chosen}. "
            f"The output stays at {table.psnr.min():.2f} to {table.psnr.max():.2f} dB from the photo itself "
            f"(worst: {worst.photo}, {worst.psnr:.2f} dB); the margin is {margin:.2f} dB, the PSNR that Gaussian noise "
            f"of sigma {255.0 / 10 ** (margin / 20):.3g} would leave. "
            + ("Every photo clears it." if below.empty else
               f"{count_of(len(below), 'photo')} {'falls' if len(below) == 1 else 'fall'} below it: " + ", ".join(f"{r.photo} {r.psnr:.2f} dB" for r in below.itertuples()) + "."))


DOC_START, DOC_END = "<!-- noise-levels:start -->", "<!-- noise-levels:end -->"


def render_noise_levels(folder=None) -> str:
    """The measured part of ``docs/noise-levels.md``, generated from the committed study
    (``results/noise-levels``): the PSNR table, the estimators' bias, the denoise command's rule,
    the clean photos and the findings, every number from the tables."""
    import pandas as pd

    from .. import config
    from ..evaluation import noise_levels as NL

    folder = config.NOISE_LEVELS_TABLE_DIR if folder is None else folder
    tables = NL.load_noise_level_tables(folder)
    derived = NL.derived_rows(tables["per_image"], tables["estimates"])
    summary = NL.summarize_noise_levels(tables["per_image"], derived)
    estimators = NL.summarize_estimators(tables["estimates"])
    bias = estimators.assign(value=[f"{signed(b)} ± {s:.2f}" for b, s in zip(estimators.bias, estimators.spread)])
    bias = bias.pivot_table(index="estimator", columns="sigma", values="value", aggfunc="first", sort=False)
    bias.columns = [f"{c:g}" for c in bias.columns]
    rule = derived["rules"][derived["estimator"]]
    rule_lines = ["| estimated sigma | model | (image, sigma) pairs | its mean PSNR there (dB) | DnCNN-B's (dB) |",
                  "|---|---|---|---|---|"]
    for r in rule:
        high = "and above" if r["high"] == float("inf") else f"to {r['high']:g}"
        rule_lines.append(f"| {r['low']:g} {high} | {find_entry(r['model']).name} | {r['pairs']} | "
                          f"{r['psnr']:.2f} | {r['psnr_blind']:.2f} |")
    parts = [
        f"Generated from `results/noise-levels/` by `python -m dncnn noise-levels` (do not edit by hand).",
        "Mean PSNR (dB) on BSD68 at each true sigma:",
        NL.format_pivot_markdown(NL.pivot_summary(summary)).strip(),
        f"Estimators, estimate minus true sigma (0-255 scale), mean ± standard deviation over the "
        f"{int(estimators.images.max())} images:",
        _format_text_pivot(bias, corner="estimator").strip(),
        f"The denoise command's rule (estimator: {derived['estimator']}):",
        "\n".join(rule_lines),
        describe_specific_vs_bm3d(summary, tables["per_image"]),
        describe_blind_gap(summary, tables["per_image"]),
        describe_estimators(estimators),
        describe_choice(summary, rule, estimator=derived["estimator"], thresholds=derived["thresholds"]),
    ]
    clean = Path(folder) / "noise_levels_clean_photos.csv"
    if clean.exists():
        parts.append(describe_clean_photos(pd.read_csv(clean)))
    return "\n\n".join(parts)


def _format_text_pivot(table, *, corner: str) -> str:
    lines = [f"| {corner} | " + " | ".join(f"sigma {c}" for c in table.columns) + " |", "|---|" + "---|" * len(table.columns)]
    lines += [f"| {name} | " + " | ".join(str(v) for v in row) + " |" for name, row in table.iterrows()]
    return "\n".join(lines) + "\n"


def update_noise_levels_doc(folder=None, *, doc=None) -> None:
    """Rewrite the generated block of ``docs/noise-levels.md`` from the committed study."""
    from .. import config
    from .report import replace_block

    doc = config.PROJECT_ROOT / "docs" / "noise-levels.md" if doc is None else doc
    replace_block(doc, DOC_START, DOC_END, render_noise_levels(folder))
