"""The model for a user's image: a catalogue model by key (``dncnn.model.catalog``), the authors'
model trained for a known sigma, a weights file, or CDnCNN-B for a colour image; each loaded as a
denoiser with its receptive field (the tiles' margin)."""

from __future__ import annotations

from pathlib import Path

CDNCNN = "cdncnn_b_color_blind"  # the authors' colour blind model: the default for colour images


def default_entry(sigma: float | None = None):
    """The catalogue entry ``denoise`` uses for a known ``sigma`` (0-255) without ``--model``: the
    authors' grey DnCNN-S trained for that sigma, else (or without ``sigma``) their blind DnCNN-B."""
    from ..model.catalog import AUTHORS, entries, get_entry

    trained = [e for e in entries(source=AUTHORS, family="S") if sigma is not None and e.sigma == float(sigma)]
    return trained[0] if trained else get_entry("dncnn_b_gray_blind")


def model_names() -> list[str]:
    """The ``--model`` names: every network of the catalogue by key, and their aliases (``ours``)."""
    from ..model.catalog import MODELS

    return [name for e in MODELS if e.is_network for name in (*e.aliases, e.key)]


def load_denoiser(*, weights: str | Path | None = None, model: str | None = None, sigma: float | None = None):
    """The network for the CLI: ``weights`` (.keras of ours, folded, or an authors' .mat), else a
    catalogue model by key (``ours``: this project's shipped DnCNN-S, trained for sigma 25; an authors'
    released model); by default the authors' DnCNN-S for ``sigma`` when one is trained for it, else
    their blind DnCNN-B."""
    from ..model.catalog import SHIPPED, get_entry
    from ..model.network import fold_batchnorm, receptive_field
    from ..model.reference import load_reference_model
    from ..model.weights import load_model
    from ..evaluation.denoisers import KerasDenoiser, load_entry_denoiser

    if weights is not None and model is not None:
        raise ValueError("give `weights` or `model`, not both")
    if weights is not None:
        weights = Path(weights)
        if weights.suffix == ".mat":
            net, label = load_reference_model(weights), weights.name
        elif weights.suffix == ".keras":
            net, label = load_model(weights), weights.name
            if any("_bn" in layer.name for layer in net.layers):
                net = fold_batchnorm(net)
        else:
            raise ValueError(f"`weights` must be a .keras model of this project or an authors' .mat file. Received: {weights}")
        depth = sum("_conv" in layer.name for layer in net.layers)
        return KerasDenoiser(net, name=label), receptive_field(depth)
    entry = get_entry(model) if model is not None else default_entry(sigma)
    if not entry.is_network:
        raise ValueError(f"{model!r} is not a network; `model` takes {', '.join(model_names())}. Received: {model!r}")
    if entry.source == SHIPPED and entry.sigma is not None and sigma is not None and float(sigma) != entry.sigma:
        raise ValueError(f"`model` {model} is trained for sigma {entry.sigma:g} only; for sigma {float(sigma):g} use the "
                         f"authors' blind model (leave out `model`). Received: sigma={sigma}")
    # the authors' models are reported by key, ours by its display name (as the tables name it)
    denoiser = load_entry_denoiser(entry, name=entry.name if entry.source == SHIPPED else entry.key)
    return denoiser, receptive_field(entry.depth)


def keeps_colour(*, weights=None, model=None, grey: bool = False) -> bool:
    """Whether colour images stay in colour: yes by default (CDnCNN-B), no with ``grey`` or when
    another model or weights are named (they are grey networks).

    Raises:
        ValueError: for ``grey`` together with the colour model.
    """
    if grey and model == CDNCNN:
        raise ValueError(f"`grey=True` converts colour images to grey, which {CDNCNN} cannot denoise: leave out one of them")
    return not grey and weights is None and model in (None, CDNCNN)


def load_colour_denoiser():
    """``(denoiser, receptive field)`` of the authors' CDnCNN-B (20 layers, RGB in and out)."""
    from ..evaluation.colour import cdncnn_denoiser
    from ..model.catalog import get_entry
    from ..model.network import receptive_field

    return cdncnn_denoiser(name=CDNCNN), receptive_field(get_entry(CDNCNN).depth)


def load_named_model(name: str) -> tuple:
    """``(denoiser, receptive field)`` of a model by ``--model`` name (CDnCNN-B for :data:`CDNCNN`)."""
    return load_colour_denoiser() if name == CDNCNN else load_denoiser(model=name)


def cached_model(name: str, cache: dict) -> tuple:
    """:func:`load_named_model`, each model loaded once per ``cache`` dict."""
    if name not in cache:
        cache[name] = load_named_model(name)
    return cache[name]


def load_dncnn3():
    """``(denoiser, receptive field)`` of the authors' DnCNN-3 (fetched and verified)."""
    from ..evaluation.tasks import dncnn3_denoiser
    from ..model.catalog import get_entry
    from ..model.network import receptive_field

    return dncnn3_denoiser(), receptive_field(get_entry("dncnn3").depth)
