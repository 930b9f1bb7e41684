"""The catalogue of models: one entry per denoiser, the only place that names it; adding one is one entry."""

import numpy as np
import pytest

from dncnn.model import catalog
from dncnn.model.catalog import AUTHORS, SHIPPED, find_entry, get_entry


def test_every_entry_has_a_unique_key_and_name_and_the_facts_of_its_source():
    keys = [k for e in catalog.MODELS for k in (e.key, *e.aliases)]
    names = [e.name for e in catalog.MODELS]
    assert len(set(keys)) == len(keys) and len(set(names)) == len(names)
    assert {e.key for e in catalog.entries(source=AUTHORS)} == {
        "dncnn_s_sigma15", "dncnn_s_sigma25", "dncnn_s_sigma50", "dncnn_b_gray_blind", "dncnn3", "cdncnn_b_color_blind"}
    for e in catalog.MODELS:
        if e.source in (AUTHORS, SHIPPED):  # a file pinned by its checksum, a network of known depth
            assert e.file and len(e.sha256) == 64 and e.depth in (17, 20) and e.channels in (1, 3)
        else:
            assert e.file is None and e.sha256 is None and not e.is_network
        assert (e.sigma is None) == (e.family != "S")  # a DnCNN-S is trained for one sigma; the others take any
    assert [e.sigma for e in catalog.entries(source=AUTHORS, family="S")] == [15.0, 25.0, 50.0]
    assert get_entry("ours") is get_entry("dncnn-s-sigma25") and get_entry("ours").profile == "paper"
    with pytest.raises(ValueError, match="allowed are noisy, bm3d"):
        get_entry("dncnn_s_sigma35")


def test_a_row_label_is_looked_up_never_parsed():
    assert find_entry("DnCNN-S15 authors' weights").sigma == 15.0
    assert find_entry("DnCNN-S authors' weights").paper_method == "DnCNN-S"  # notebook 04's shared row
    assert find_entry("DnCNN-S ours (quick)").source == catalog.RUN  # a profile's run
    assert find_entry("DnCNN-S ours (quick)").file == "data/runs/quick/model.keras"
    assert find_entry("DnCNN-S99 authors' weights") is None  # looks like a label, names no model


def test_our_shipped_model_is_named_by_its_recipe_and_found_by_its_former_name():
    ours = get_entry("ours")
    # trained with Adam and bf16 as the authors' released code does; the paper's text describes SGD
    assert ours.name == "DnCNN-S ours, released-code recipe (GPU)" and "paper recipe" not in ours.name
    assert find_entry("DnCNN-S ours, paper recipe (GPU)") is ours  # tables committed before the rename
    names = [e.name for e in catalog.MODELS]
    assert not {n for e in catalog.MODELS for n in e.former_names} & set(names)  # a former name names no other model


def _fake_entry():
    from dncnn.model.network import build_dncnn

    return catalog.ModelEntry(key="fake_colourless", name="DnCNN-F fake, one entry", short="DnCNN-F fake", family="B",
                              depth=3, sigma_range=(0.0, 55.0), source=SHIPPED, file="weights/fake.keras",
                              loader=lambda: build_dncnn(3, 4, seed=0), studies=(catalog.STUDY_NOISE_LEVELS,))


def test_a_model_added_as_one_entry_is_a_row_of_the_noise_level_table(monkeypatch, raw_dir):
    from dncnn.analysis.plots import short_label
    from dncnn.data.datasets import load_dataset
    from dncnn.evaluation import noise_levels as NL

    fake = _fake_entry()
    monkeypatch.setattr(catalog, "MODELS", (*catalog.MODELS, fake))
    assert NL.noise_level_methods()[-1] == fake.name
    denoisers = NL.noise_level_denoisers(keys=("noisy", fake.key))
    assert [d.name for d in denoisers] == ["noisy input", fake.name]
    names, images = load_dataset("BSD68", root=raw_dir, limit=1)
    crops = [image[:40, :40] for image in images]
    per_image = NL.evaluate_noise_levels(denoisers, crops, names, sigmas=(25.0,), progress=False)
    table = NL.pivot_summary(NL.summarize_noise_levels(per_image))
    assert list(table.index) == ["noisy input", fake.name]
    assert np.isfinite(table.loc[fake.name, "25"]) and table.loc[fake.name, "25"] != table.loc["noisy input", "25"]
    assert per_image[per_image.method == fake.name].weights.unique().tolist() == ["loaded: weights/fake.keras"]
    assert short_label(fake.name) == "DnCNN-F fake"  # its legend name, from the same entry
    monkeypatch.undo()
    assert fake.name not in NL.noise_level_methods()
