"""The findings of each notebook, as short Markdown paragraphs written from the run's own tables.

Every number in a paragraph is formatted from the tables passed in (never typed), so the text of a
run says what that run measured; ``tests/test_analysis_findings.py`` reads the numbers back out of
the text and compares them with the tables. Where a claim of the paper is not tested by the run,
the text says so. Each notebook shows its paragraphs right after the figure or table they describe
and saves them as ``results/<profile>/findings_<topic>.md``.
"""

from __future__ import annotations

import math

import numpy as np

from ..evaluation.protocol import AUTHORS_TOLERANCE_DB
from ..model.catalog import find_entry, get_entry

HEADLINE = ("BSD68", 25.0)  # the paper's headline setting (Table II): dataset and sigma
_BM3D = get_entry("bm3d").name  # BM3D's row in the tables
CLAIM_TRAINING = ("The paper's claim that residual learning and batch normalisation speed up and stabilise training "
                  "(its Fig. 2) is not tested here: notebook 07 and `docs/training-claims.md` test it.")


def signed(value: float, digits: int = 2) -> str:
    """``+0.57`` / ``-0.04``: a difference with its sign; one that rounds to zero at ``digits``
    decimals prints without a sign (``0.00``, never ``+0.00`` or ``-0.00``)."""
    rounded = round(float(value), digits) + 0.0
    return f"{rounded:.{digits}f}" if rounded == 0 else f"{rounded:+.{digits}f}"


def count_of(n, noun: str, *, plural: str | None = None) -> str:
    """``1 image``, ``3 images``, ``1,862 batches`` (``plural``: the plural form where it is not
    ``noun + "s"``): the count with its noun in the number the count asks for."""
    n = int(n)
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def tolerance_text() -> str:
    """``"the study's tolerance of 0.05 dB"``: :data:`dncnn.evaluation.protocol.AUTHORS_TOLERANCE_DB`
    as every sentence quotes it (a row reproduces the paper when it lands within it)."""
    return f"the study's tolerance of {AUTHORS_TOLERANCE_DB:.2f} dB"


def describe_patches(counts, *, images: int, batch_size: int) -> str:
    """Notebook 01: how many patches each scale gives, how many are dropped and kept.

    Args:
        counts: :func:`dncnn.data.patches.patch_count_table` (``scale, patches``: one row per scale,
            then ``total``, the dropped count (negative) and the kept count).
        images: the number of Train400 images cut. batch_size: the training batch size.
    """
    rows = list(zip(counts["scale"].astype(str), counts["patches"].astype(int)))
    scales = [(s, n) for s, n in rows if _is_number(s)]
    total = next(n for s, n in rows if s == "total")
    dropped = -next(n for s, n in rows if s.startswith("dropped"))
    kept = next(n for s, n in rows if s.startswith("kept"))
    per_scale = ", ".join(f"{float(s):g}: {n:,}" for s, n in scales)
    cut = (f"The first {dropped:,} are dropped so that the count is a multiple of the batch size ({batch_size}), as in "
           f"the authors' code" if dropped else f"None is dropped: the count is already a multiple of the batch size ({batch_size})")
    return (f"**Patches.** {count_of(images, 'Train400 image')} give {total:,} patches at {count_of(len(scales), 'scale')} ({per_scale}), "
            f"{total / images:,.0f} per image. {cut}: {kept:,} patches are kept, {count_of(kept // batch_size, 'batch', plural='batches')} per epoch.")


def describe_training(table, *, plan: dict | None = None) -> str:
    """Notebook 02: each run's time, throughput and final loss, and whether this run trained.

    Args:
        table: :func:`dncnn.training.runs.runs_table` (``run, device, precision, batch_size, epochs,
            steps, patches_seen, training_minutes, patches_per_second, final_loss``).
        plan: notebook 02's training plan (:func:`dncnn.state.plan_training`), for the estimate
            and the reason when the profile was not trained here.
    """
    sentences = []
    for r in table.to_dict("records"):
        loss = float(r["final_loss"])
        sentences.append(
            f"**{r['run']}** ({short_device(r['device'])}, {r['precision']}): {int(r['epochs']):,} epochs, "
            f"{int(r['steps']):,} steps of batch {int(r['batch_size'])} ({int(r['patches_seen']):,} patches seen) in "
            f"{float(r['training_minutes']):.2f} min, {float(r['patches_per_second']):,.1f} patches per second; final training "
            f"loss {loss:.6f} (MSE on the [0, 1] scale, a training PSNR of {-10 * math.log10(loss):.2f} dB).")
    if plan is not None and not plan.get("train", True):
        from ..state import format_duration

        estimate = plan.get("estimate") or {}
        if estimate:
            sentences.append(f"This profile was not trained on this machine: the whole run would take an estimated "
                             f"{format_duration(estimate['estimated_seconds'])} on {short_device(estimate['device'])} "
                             f"({estimate['seconds_per_step']:.3g} s per step); the study uses the shipped model, {_shipped_names()}.")
        else:
            sentences.append(f"This profile was not trained on this machine; the study uses the shipped model, {_shipped_names()}.")
    sentences.append(CLAIM_TRAINING)
    return " ".join(sentences)


def _shipped_names() -> str:
    """The display names of this project's shipped models (the catalogue's entries of source ``shipped``)."""
    from ..model.catalog import SHIPPED, entries

    return _listing([e.name for e in entries(source=SHIPPED)])


def describe_batches(batch_stats, *, sigma: float) -> str:
    """Notebook 03, the histograms: clean patches vary from batch to batch, the residual does not.

    Args:
        batch_stats: :func:`dncnn.analysis.statistics.batch_statistics` (``batch, kind, mean, std``, [0, 1] scale).
        sigma: the training noise level (0-255 scale).
    """
    def values(kind, column):
        return ", ".join(f"{v:.4f}" for v in batch_stats[batch_stats.kind == kind][column])

    n = batch_stats.batch.nunique()
    return (f"**Training batches.** Over {count_of(n, 'batch', plural='batches')} the clean patches have mean {values('clean', 'mean')} and standard "
            f"deviation {values('clean', 'std')}: they depend on which images the batch drew. The residual the network "
            f"learns (noisy minus clean) has mean {values('residual', 'mean')} and standard deviation "
            f"{values('residual', 'std')}, where sigma/255 = {sigma / 255:.4f}: the same zero-mean Gaussian in every batch.")


def describe_residuals(spread, *, sigma: float, batch_size: int) -> str:
    """Notebook 03, the residual of super-resolution beside the noise: how its spread and shape change
    from batch to batch, and what that says about the paper's "noise-free image super-resolution does
    not have this property".

    Args:
        spread: :func:`dncnn.analysis.statistics.summarize_residual_spread` (``kind, batches, std_mean,
            std_sd, std_cv, std_min, std_max, kurtosis_*``; std on the 0-255 scale).
        sigma: the training noise level (0-255 scale). batch_size: patches per batch.
    """
    from .statistics import KURTOSIS_FLOOR, NOISE_KIND, SPREAD_RATIO, judge_residual_property

    table = spread.set_index("kind")
    judged = judge_residual_property(spread)
    noise = table.loc[NOISE_KIND]

    def part(kind):
        r = table.loc[kind]
        return (f"std {r.std_min:.2f} to {r.std_max:.2f} (coefficient of variation {r.std_cv:.1%}), excess kurtosis "
                f"{r.kurtosis_min:.2f} to {r.kurtosis_max:.2f}")

    kinds = [kind for kind in table.index if kind != NOISE_KIND]
    ratios = ", ".join(f"{kind} {judged['ratios'][kind]:,.0f}" for kind in kinds)
    verdict = ("holds for these batches" if judged["holds"] else
               f"is not shown by these batches (the bar: {SPREAD_RATIO:g} times the noise's variation and kurtosis above "
               f"{KURTOSIS_FLOOR:g} in every batch)")
    return (f"**The residual of super-resolution.** Over {count_of(noise.batches, 'training batch', plural='training batches')} of {count_of(batch_size, 'patch', plural='patches')} "
            f"(0-255 scale), the noise residual (sigma {sigma:g}) has {part(NOISE_KIND)}: a Gaussian (kurtosis 0) of the "
            f"same spread in every batch. For the same patches the super-resolution residual (the bicubic reconstruction "
            f"minus the patch) has, " + "; ".join(f"at {kind}, {part(kind)}" for kind in kinds) + ". Its spread "
            f"changes from batch to batch more than the noise's by a factor of {ratios} (coefficient of variation over "
            f"the noise's), and it is heavy-tailed (near zero on flat patches, large at edges) by an amount that depends "
            f"on the batch. The paper's \"noise-free image super-resolution does not have this property\" {verdict}.")


def describe_bn_statistics(stats) -> str:
    """Notebook 03, the batch-norm inputs: how far a batch's statistics stray from the moving ones.

    Args:
        stats: :func:`dncnn.analysis.statistics.bn_statistics_of_models` (``model, layer, batch, mean,
            std, moving_mean, moving_std, mean_shift``).
    """
    sentences = []
    for model, part in stats.groupby("model", sort=False):
        shift = part["mean_shift"]
        worst = part.loc[shift.idxmax()]
        spread = part.groupby("layer")["std"].agg(lambda s: s.std() / s.mean())
        sentences.append(
            f"**{model}** ({count_of(part.batch.nunique(), 'batch', plural='batches')}, {count_of(part.layer.nunique(), 'batch-norm layer')}): a batch's mean of a "
            f"layer's input lies {shift.median():.3f} moving standard deviations from the layer's moving mean at the median "
            f"(95th percentile {shift.quantile(0.95):.3f}, largest {shift.max():.3f} at layer {int(worst.layer)}); the "
            f"standard deviation of a layer's input varies between batches by {100 * spread.min():.1f} % (layer "
            f"{int(spread.idxmin())}) to {100 * spread.max():.1f} % (layer {int(spread.idxmax())}), as a coefficient of "
            f"variation.")
    sentences.append(CLAIM_TRAINING)
    return " ".join(sentences)


def headline_model(methods) -> str | None:
    """The row the study leads with: our converged model (the shipped one of the paper's recipe),
    else our own model of the profile (shipped or trained in this run), else the authors' DnCNN-S
    (rows named by their catalogue entries, :func:`dncnn.model.catalog.find_entry`)."""
    from ..model.catalog import RUN, SHIPPED

    methods = [(m, _entry(m)) for m in methods]
    for test in (lambda e: e.source == SHIPPED and e.profile == "paper", lambda e: e.source in (SHIPPED, RUN),
                 lambda e: e.family == "S" and e.is_network):
        found = [m for m, e in methods if e is not None and test(e)]
        if found:
            return found[0]
    return None


def _entry(label: str):
    """The catalogue entry a table row names, or None (:func:`dncnn.model.catalog.find_entry`)."""
    return find_entry(str(label))


def _is(label: str, *, source=None, family=None) -> bool:
    """Whether the row ``label`` names a model of the catalogue with this source and family (None: any)."""
    entry = _entry(label)
    return (entry is not None and entry.is_network and (source is None or entry.source == source)
            and (family is None or entry.family == family))


def describe_evaluation(summary, *, crop: int | None = None) -> str:
    """Notebook 04, the table: the headline row against the paper and BM3D, the authors' rows
    against Table II, DnCNN-S against BM3D at every noise level measured, what is not tested.

    Args:
        summary: :func:`dncnn.evaluation.protocol.summarize` (measured and paper rows).
        crop: the profile's evaluation crop (the text then says the numbers are not the paper's).
    """
    from ..evaluation.paper import PAPER_PSNR
    from ..evaluation.protocol import paper_method
    from ..model.catalog import AUTHORS, RUN, SHIPPED

    measured = summary[summary.source == "measured"]
    sentences = []
    dataset, sigma = HEADLINE
    lead = measured[(measured.dataset == dataset) & (measured.sigma == sigma)]
    model = headline_model(lead.method)
    if model is not None and _BM3D in set(lead.method):
        psnr = float(lead[lead.method == model].psnr.iloc[0])
        bm3d = float(lead[lead.method == _BM3D].psnr.iloc[0])
        paper = PAPER_PSNR[(dataset, "DnCNN-S")][int(sigma)]
        paper_bm3d = PAPER_PSNR[(dataset, "BM3D")][int(sigma)]
        images = int(lead[lead.method == model].images.iloc[0])
        sentences.append(
            f"**{dataset}, sigma {sigma:g} ({count_of(images, 'image')}).** {model} scores {psnr:.2f} dB: {signed(psnr - paper)} dB from "
            f"the paper's DnCNN-S ({paper:.2f} dB) and {signed(psnr - bm3d)} dB over BM3D run here ({bm3d:.2f} dB; the "
            f"paper's BM3D: {paper_bm3d:.2f} dB).")
    authors = [(r.method, r.sigma, r.psnr - PAPER_PSNR[(r.dataset, paper_method(r.method))][int(r.sigma)])
               for r in measured.itertuples() if _is(r.method, source=AUTHORS)
               and int(r.sigma) in PAPER_PSNR.get((r.dataset, paper_method(r.method)), {})]
    if authors:
        sentences.append(describe_authors_rows(authors, crop=crop))
    gains = best_gains(measured, dataset=dataset)
    for name, table in ((dataset, "Table II"), ("Set12", "Table III")):
        found = gains if name == dataset else best_gains(measured, dataset=name)
        if found:
            sentences.append(describe_best_gains(found, dataset=name, table=table))
    missing = sorted({15, 25, 50} - {int(level) for level, _, _ in gains})
    if missing:
        sentences.append(f"Not measured by this profile: sigma {', '.join(map(str, missing))} (`PROFILE=paper` runs them).")
    others = [m for m in lead.method if (_is(m, source=SHIPPED) or _is(m, source=RUN)) and m != model]
    for other in others:
        psnr = float(lead[lead.method == other].psnr.iloc[0])
        paper = PAPER_PSNR[(dataset, "DnCNN-S")][int(sigma)]
        sentences.append(f"{other}, this profile's short training run, scores {psnr:.2f} dB ({signed(psnr - paper)} dB "
                         f"from the paper): far from converged (notebook 02).")
    if crop:
        sentences.append(f"These numbers are on the central {crop}x{crop} of the first images of each set: not "
                         f"comparable with the paper's.")
    sentences.append("Not tested here: our own training at sigma 15 and 50 and of the blind DnCNN-B (the rows at those "
                     "levels are the authors' weights); how PSNR falls as the noise level moves away from the trained "
                     "one: notebook 06 and `docs/noise-levels.md`.")
    return " ".join(sentences)


def describe_authors_rows(authors: list[tuple[str, float, float]], *, crop: int | None = None) -> str:
    """The authors' released weights against the paper's Table II: ``authors`` is ``(method, sigma,
    measured minus paper in dB)`` per row that has a paper value; the largest difference, and whether it
    lies within :data:`dncnn.evaluation.protocol.AUTHORS_TOLERANCE_DB` (no verdict on crops)."""
    method, level, diff = max(authors, key=lambda row: abs(row[2]))
    n = len(authors)
    rows = f"the {count_of(n, 'row')} that {'has' if n == 1 else 'have'} a paper value"
    where = f"{method} at sigma {level:g}, {signed(diff)} dB"
    if crop:
        verdict = "no verdict on crops"
    elif abs(diff) <= AUTHORS_TOLERANCE_DB:
        verdict = f"within {tolerance_text()}, so the protocol reproduces the paper's numbers"
    else:
        verdict = f"beyond {tolerance_text()}, so the protocol does not reproduce the paper's numbers"
    return (f"The authors' released weights land at most {abs(diff):.2f} dB from the paper's Table II in {rows} "
            f"({'largest: ' if n > 1 else ''}{where}): {verdict}.")


def describe_best_gains(gains: list[tuple[float, str, float]], *, dataset: str, table: str) -> str:
    """``"On BSD68 (the paper's Table II) a DnCNN-S beats BM3D at every noise level measured: by +0.59 dB
    at sigma 15 (DnCNN-S authors' weights), ..."``: :func:`best_gains` of ``dataset`` in one sentence
    (the best DnCNN-S minus BM3D on the set's average at each sigma)."""
    won = [level for level, _, g in gains if g > 0]
    listed = ", ".join(f"{signed(g)} dB at sigma {level:g} ({method})" for level, method, g in gains)
    if len(won) == len(gains):
        where = "at every noise level measured" if len(gains) > 1 else f"at sigma {gains[0][0]:g}, the one noise level measured"
        return f"On {dataset} (the paper's {table}) a DnCNN-S beats BM3D on average {where}: by {listed}."
    which = "at no noise level measured" if not won else "only at sigma " + _listing([f"{s:g}" for s in won])
    return f"On {dataset} (the paper's {table}) a DnCNN-S beats BM3D on average {which} (best DnCNN-S minus BM3D: {listed})."


def best_gains(measured, *, dataset: str) -> list[tuple[float, str, float]]:
    """``(sigma, method, dB)`` for every sigma of ``dataset`` in the measured summary rows: the best
    DnCNN-S row (a catalogue model of family S) and its mean PSNR minus BM3D's."""
    gains = []
    for level in sorted(measured[measured.dataset == dataset].sigma.unique()):
        rows = measured[(measured.dataset == dataset) & (measured.sigma == level)]
        s_rows = rows[[_is(m, family="S") for m in rows.method]]
        if _BM3D in set(rows.method) and len(s_rows):
            best = s_rows.loc[s_rows.psnr.idxmax()]
            gains.append((level, best.method, best.psnr - float(rows[rows.method == _BM3D].psnr.iloc[0])))
    return gains


def gains_over(per_image, *, reference: str = _BM3D):
    """Per-image PSNR gain of every DnCNN row over ``reference`` on the same image and noise:
    DataFrame ``dataset, sigma, method, image, gain`` (dB), each (dataset, sigma, method) sorted by
    gain, largest first."""
    import pandas as pd

    ref = per_image[per_image.method == reference][["dataset", "sigma", "image", "psnr"]]
    networks = {m for m in set(per_image.method) if _is(m) and _entry(m).family in ("S", "B", "3")}  # the DnCNN rows
    rows = per_image[per_image.method.isin(networks)].merge(ref, on=["dataset", "sigma", "image"],
                                                                      suffixes=("", "_ref"))
    rows = rows.assign(gain=rows.psnr - rows.psnr_ref)[["dataset", "sigma", "method", "image", "gain"]]
    order = list(dict.fromkeys(rows.method))
    rows = rows.assign(_m=rows.method.map(order.index)).sort_values(["dataset", "sigma", "_m", "gain"],
                                                                     ascending=[True, True, True, False], kind="stable")
    return pd.DataFrame(rows.drop(columns="_m")).reset_index(drop=True)


def describe_gains(per_image, *, dataset: str = HEADLINE[0], sigma: float = HEADLINE[1], reference: str = _BM3D) -> str:
    """Notebook 04, the per-image figure: on how many images each DnCNN row beats BM3D, its largest
    and smallest gain and their images (``per_image``: :func:`dncnn.evaluation.protocol.evaluate_sets` rows)."""
    gains = gains_over(per_image, reference=reference)
    gains = gains[(gains.dataset == dataset) & (gains.sigma == sigma)]
    sentences = [f"**Image by image ({dataset}, sigma {sigma:g}).**"]
    for method, part in gains.groupby("method", sort=False):
        top, bottom = part.iloc[0], part.iloc[-1]
        sentences.append(f"{method} beats {reference} on {int((part.gain > 0).sum())} of {count_of(len(part), 'image')} (gain "
                         f"{signed(top.gain)} dB on {top.image} to {signed(bottom.gain)} dB on {bottom.image}, median "
                         f"{signed(part.gain.median())} dB).")
    return " ".join(sentences)


def describe_tasks(versus, summary, *, check=None, subset: bool = False,
                   title: str = "DnCNN-3, one network for three tasks.") -> str:
    """Notebook 05: DnCNN-3 against Table V, against its baselines, and the colour row.

    Args:
        versus: :func:`dncnn.evaluation.tasks.compare_with_paper` (``task, dataset, level, images,
            psnr, paper_psnr, delta_psnr, ...``).
        summary: :func:`dncnn.evaluation.tasks.summarize_tasks`.
        check: :func:`dncnn.evaluation.tasks.check_against_table` where the run checked its rows
            against the committed full table.
        subset: the rows are on the first images of each set or crops of them (every profile but a
            full run): not comparable with Table V.
        title: the paragraph's bold lead.
    """
    sentences = []
    if len(versus):
        worst = versus.loc[versus.delta_psnr.abs().idxmax()]
        where = ("are on the first images of each set (or crops of them), not comparable with Table V: measured minus "
                 "paper" if subset else "land, measured minus paper, at")
        sentences.append(
            f"**{title}** Its {count_of(len(versus), 'row')} that {'has' if len(versus) == 1 else 'have'} a Table V value {where} "
            f"{signed(versus.delta_psnr.min())} to {signed(versus.delta_psnr.max())} dB (largest: "
            f"{worst.task} {worst.dataset} {_level(worst.task, worst.level)}, {signed(worst.delta_psnr)} dB).")
        if not subset:
            verdict = "reproduce" if (versus.delta_psnr.abs() <= AUTHORS_TOLERANCE_DB).all() else "do not reproduce"
            sentences.append(f"{describe_table_v_bar(versus)}: the authors' DnCNN-3 weights {verdict} Table V.")
    measured = summary[summary.source == "measured"]
    for task, baseline, name in (("super-resolution", "bicubic", "super-resolution"), ("jpeg", "JPEG", "JPEG deblocking")):
        part = measured[measured.task == task]
        if not len(part):
            continue
        ours = part[part.method == get_entry("dncnn3").name].set_index(["dataset", "level"]).psnr
        base = part[part.method == baseline].set_index(["dataset", "level"]).psnr
        gain = (ours - base).dropna()
        sentences.append(f"In {name} DnCNN-3 beats {baseline} in {int((gain > 0).sum())} of {count_of(len(gain), 'setting')} (by "
                         f"{signed(gain.min())} to {signed(gain.max())} dB).")
    colour = measured[measured.task == "colour denoising"]
    cbm3d = get_entry("cbm3d").name
    if len(colour) and {cbm3d} <= set(colour.method):
        cnn = colour[[_is(m, family="colour") for m in colour.method]].iloc[0]
        bm3d = colour[colour.method == cbm3d].iloc[0]
        sentences.append(f"Colour ({cnn.dataset}, sigma {cnn.level:g}, {count_of(cnn.images, 'image')}): {cnn.method} "
                         f"{cnn.psnr:.2f} dB against CBM3D {bm3d.psnr:.2f} dB ({signed(cnn.psnr - bm3d.psnr)} dB); the "
                         f"paper's own colour set, CBSD68, is the colour table below (`results/colour/`).")
    if check is not None and len(check):
        worst = check.psnr_diff.abs().max()
        sentences.append(f"The {count_of(len(check), 'row')} rerun here match{'es' if len(check) == 1 else ''} the "
                         f"committed full table (`results/dncnn3/`) {describe_agreement(worst)}.")
    sentences.append("Not tested: training DnCNN-3 ourselves.")
    return " ".join(sentences)


def describe_agreement(worst: float) -> str:
    """``"exactly"`` for a largest difference of 0, else ``"to 3.2e-06 dB"`` (a rerun against a committed table)."""
    return "exactly" if float(worst) == 0 else f"to {float(worst):.1e} dB"


def describe_table_v_bar(versus) -> str:
    """``"21 of 23 rows lie within the study's tolerance of 0.05 dB of Table V (beyond it: Urban100 x2
    -0.06 dB, ...)"``, or ``"All 23 rows lie within ..."``: the rows of
    :func:`dncnn.evaluation.tasks.compare_with_paper` (``task, dataset, level, delta_psnr``) within
    :data:`dncnn.evaluation.protocol.AUTHORS_TOLERANCE_DB` of the paper, and each one beyond it."""
    close = versus.delta_psnr.abs() <= AUTHORS_TOLERANCE_DB
    beyond = versus[~close]
    share = (f"All {len(versus)} rows lie" if close.all() and len(versus) > 1 else
             f"{int(close.sum())} of {count_of(len(versus), 'row')} {'lies' if int(close.sum()) == 1 else 'lie'}")
    text = f"{share} within {tolerance_text()} of Table V"
    if len(beyond):
        text += " (beyond it: " + ", ".join(f"{r.dataset} {_level(r.task, r.level)} {signed(r.delta_psnr)} dB"
                                            for r in beyond.itertuples(index=False)) + ")"
    return text


def format_device_text(device: str) -> str:
    """A recorded device as a sentence says it: ``NVIDIA H200 (gpu, 1 device(s))`` -> ``NVIDIA H200 (gpu,
    1 device)``, ``(2 GPU(s))`` -> ``(2 GPUs)``; every other text unchanged."""
    import re

    return re.sub(r"(\d+) (device|GPU)\(s\)", lambda m: count_of(m.group(1), m.group(2)), str(device))


def short_device(device: str) -> str:
    """``NVIDIA H200 (gpu, 1 device(s))`` -> ``NVIDIA H200``; ``CPU: AMD EPYC, 2 cores`` -> ``CPU, 2 cores``."""
    if device.startswith("CPU"):
        cores = device.rsplit(",", 1)[-1].strip() if "," in device else ""
        return f"CPU, {cores}" if cores else "CPU"
    return device.split(" (")[0]


def _level(task: str, level: float) -> str:
    return {"super-resolution": "x{:g}", "jpeg": "quality {:g}"}.get(task, "sigma {:g}").format(level)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return not np.isnan(float(text))


def compare_set_images(rows, *, reference: str = "bm3d") -> dict | None:
    """Image by image, the best DnCNN against ``reference`` (a catalogue key) at each sigma of ``rows``
    (per-image rows of one set; the DnCNN rows are every method but ``reference`` and the noisy input).

    Returns:
        ``{"counts": [(sigma, images the best DnCNN wins, images), ...], "losses": {image: [(sigma,
        margin in dB, the best DnCNN there), ...]}}`` for the images ``reference`` wins, sigmas in
        increasing order; None without a ``reference`` row or a DnCNN row.
    """
    from ..model.catalog import get_entry

    reference, noisy = get_entry(reference).name, get_entry("noisy").name
    networks = [m for m in dict.fromkeys(rows.method) if m not in (reference, noisy)]
    if rows.empty or reference not in set(rows.method) or not networks:
        return None
    wide = rows.pivot_table(index=["sigma", "image"], columns="method", values="psnr", sort=False)
    counts, losses = [], {}
    for sigma in sorted(rows.sigma.unique()):
        at = wide.loc[sigma]
        best = at[networks].max(axis=1)
        counts.append((sigma, int((best > at[reference]).sum()), len(at)))
        for image in at.index[at[reference] > best]:
            winner = at.loc[image, networks].astype(float).idxmax()
            losses.setdefault(image, []).append((sigma, float(at.loc[image, reference] - best[image]), winner))
    return {"counts": counts, "losses": losses}


def describe_set_images(per_image, *, dataset: str = "Set12", reference: str = "bm3d") -> str:
    """Notebook 04, the per-image table of ``dataset`` (the paper's Table III): at each sigma on how many
    images the best DnCNN beats ``reference``, every image where ``reference`` beats every DnCNN and by
    how much, and each row's average beside the paper's (:data:`dncnn.evaluation.paper.PAPER_SET12`).

    ``per_image``: :func:`dncnn.evaluation.protocol.evaluate_sets` rows; ``reference``: a catalogue key
    (:mod:`dncnn.model.catalog`); the DnCNN rows are every method but ``reference`` and the noisy input."""
    from ..evaluation.paper import PAPER_SET12
    from ..evaluation.protocol import paper_method
    from ..model.catalog import get_entry

    rows = per_image[per_image.dataset == dataset]
    compared = compare_set_images(rows, reference=reference)
    reference = get_entry(reference).name
    if compared is None:
        return f"**Image by image ({dataset}).** No {reference} row and DnCNN row to compare."
    sigmas, losses = [s for s, _, _ in compared["counts"]], compared["losses"]
    counts = [won for _, won, _ in compared["counts"]]
    size = "/".join(str(n) for n in sorted({total for _, _, total in compared["counts"]}))
    levels = _listing([f"{s:g}" for s in sigmas])
    images = "image" if size == "1" else "images"
    if len(set(counts)) == 1:
        wins = f"At sigma {levels} the best DnCNN beats {reference} on {counts[0]} of the {size} {images}{' each time' if len(sigmas) > 1 else ''}."
    else:
        wins = f"At sigma {levels} the best DnCNN beats {reference} on {_listing([str(c) for c in counts])} of the {size} {images}."
    text = [f"**Image by image ({dataset}, the paper's Table III).** {wins}"]
    if not losses:
        text.append(f"{reference} wins on no image.")
    for image, items in losses.items():
        every = " at every sigma" if len(items) == len(sigmas) and len(sigmas) > 1 else ""
        if len(items) == 1:
            (s, margin, winner), = items
            text.append(f"{reference} beats every DnCNN on {image}: by {margin:.2f} dB at sigma {s:g} over {winner}, "
                        f"the best DnCNN on that image.")
            continue
        parts = [f"{margin:.2f} dB at sigma {s:g} (over {winner})" for s, margin, winner in items]
        text.append(f"{reference} beats every DnCNN on {image}{every}: by {_listing(parts)}, each time over the best DnCNN on that image.")
    averages = rows.groupby(["method", "sigma"], sort=False).psnr.mean()
    versus = []
    for method in [reference, *[m for m in dict.fromkeys(rows.method) if m not in (reference, get_entry("noisy").name)]]:
        paper = PAPER_SET12.get((dataset, paper_method(method)), {})
        pairs = [(s, averages[method, s], paper[int(s)]) for s in sigmas if (method, s) in averages.index and int(s) in paper]
        if pairs:
            versus.append(f"{method} " + " / ".join(f"{m:.2f}" for _, m, _ in pairs) + " dB (paper "
                          + " / ".join(f"{p:.2f}" for _, _, p in pairs) + f", at sigma {'/'.join(f'{s:g}' for s, _, _ in pairs)})")
    if versus:
        text.append("Averages beside the paper's Table III (as a secondary source repeats them): " + "; ".join(versus) + ".")
    return " ".join(text)


def _listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def describe_colour_table(versus, *, check=None, reference: str = "cbm3d") -> str:
    """The colour table (``results/colour``, notebook 05): at each sigma the CDnCNN-B row against
    ``reference`` beside the paper's gap, the verdict per sigma, and which published row the released
    CDnCNN-B weights reproduce (the FFDNet repository's table or the authors' issue-4 comment).

    Args:
        versus: :func:`dncnn.evaluation.colour.compare_colour_with_paper` of the table.
        check: :func:`dncnn.evaluation.tasks.check_against_table` of this run's rerun, if one ran.
        reference: the catalogue key of the classical method (:mod:`dncnn.model.catalog`).
    """
    from ..model.catalog import get_entry

    reference, noisy = get_entry(reference).name, get_entry("noisy").name
    networks = [m for m in dict.fromkeys(versus.method) if m not in (reference, noisy)]
    if reference not in set(versus.method) or not networks:
        return "**Colour (CBSD68).** No CDnCNN-B and CBM3D rows to compare."
    net = networks[0]
    by = versus.set_index(["method", "sigma"])
    sigmas = [s for s in dict.fromkeys(versus.sigma) if (net, s) in by.index and (reference, s) in by.index]
    images = int(by.loc[(net, sigmas[0]), "images"])
    parts, holds = [], []
    for s in sigmas:
        gain = by.loc[(net, s), "psnr"] - by.loc[(reference, s), "psnr"]
        paper_gain = by.loc[(net, s), "paper"] - by.loc[(reference, s), "paper"]
        holds.append(gain > 0)
        parts.append(f"{signed(gain)} dB at sigma {s:g} (paper {signed(paper_gain)})")
    from ..evaluation.colour import COLOUR_TABLE_SIGMAS

    every = ("every sigma" + (" measured" if any(s not in sigmas for s in COLOUR_TABLE_SIGMAS) else "")
             if len(sigmas) > 1 else f"sigma {sigmas[0]:g}")
    verdict = ("beats" if all(holds) else "does not beat") + f" {reference} at {every if all(holds) or len(sigmas) == 1 else 'each sigma'}"
    if not all(holds) and any(holds):
        verdict = f"beats {reference} at sigma " + ", ".join(f"{s:g}" for s, h in zip(sigmas, holds) if h) + " only"
    text = [f"**Colour (CBSD68, {count_of(images, 'image')}).** {net} {verdict}: " + ", ".join(parts) + f" ({net} minus {reference}, both run here)."]
    missing = [f"{s:g}" for s in COLOUR_TABLE_SIGMAS if s not in sigmas]
    if missing:
        text.append(f"Not measured yet: sigma {', '.join(missing)} (`python -m dncnn colour` adds them to the committed table).")
    table = by.loc[net].loc[sigmas]
    far_table, far_comment = float(table.delta_psnr.abs().max()), float(table.delta_comment.abs().max())
    closer = "the FFDNet repository's table" if far_table <= far_comment else "the authors' issue-4 comment"
    outcome = (f"the released weights reproduce {closer} (within {tolerance_text()})"
               if min(far_table, far_comment) <= AUTHORS_TOLERANCE_DB else
               f"neither is reproduced within {tolerance_text()}; the closer is {closer}")
    text.append(f"Against the published rows, {net} lands within {far_table:.2f} dB of the FFDNet repository's table and "
                f"{far_comment:.2f} dB of the authors' issue-4 comment at {every}: {outcome}.")
    cbm3d = by.loc[reference].loc[sigmas]
    text.append(f"{reference} lands within {float(cbm3d.delta_psnr.abs().max()):.2f} dB of the paper's CBM3D row.")
    if check is not None and len(check):
        text.append(f"This run reran {count_of(len(check), 'row')} of the committed table; they match it "
                    f"{describe_agreement(check.psnr_diff.abs().max())}.")
    return " ".join(text)
