"""The study's state: notebook 02's training plan, whether the profile trains here, and the model the study reads."""

import json
from dataclasses import replace

import pytest

from dncnn import config
from dncnn import state as plan
from dncnn.profiles import get_profile
from dncnn.model.catalog import get_entry
from helpers import TINY


@pytest.mark.parametrize("seconds, text", [(40, "40 s"), (750, "12.5 min"), (3 * 3600, "3.0 h"), (6.5 * 86400, "6.5 days")])
def test_format_duration_picks_a_readable_unit(seconds, text):
    assert plan.format_duration(seconds) == text


def test_paper_does_not_train_without_an_accelerator_and_uses_the_shipped_weights():
    paper = get_profile("paper")
    decided = plan.plan_training(paper, accelerator=False, estimate={"estimated_seconds": 6.5 * 86400})
    assert decided["train"] is False
    assert decided["model"] == {"source": "loaded", "shipped": "dncnn-s-sigma25", "path": "weights/dncnn-s-sigma25.keras",
                                "label": get_entry("ours").name, "sigma": 25.0}
    assert "no GPU" in decided["reason"] and "6.5 days" in decided["reason"] and "train_model = True" in decided["reason"]
    assert plan.plan_training(paper, accelerator=True)["train"] is True
    forced = plan.plan_training(paper, accelerator=False, train=True)
    assert forced["train"] is True and forced["model"]["source"] == "trained"


def test_cpu_profiles_train_anywhere_and_a_recipe_without_shipped_weights_must_train():
    assert plan.plan_training(get_profile("quick"), accelerator=False)["train"] is True
    with pytest.raises(FileNotFoundError, match="no model of its recipe"):  # nothing to load in its place
        plan.plan_training(get_profile("quick"), accelerator=False, train=False)
    sigma15 = replace(get_profile("paper"), sigma=15.0)
    assert plan.shipped_model_for(sigma15) is None
    with pytest.raises(FileNotFoundError, match="train_model = True"):
        plan.plan_training(sigma15, accelerator=False)


def test_the_plan_round_trips_and_an_old_run_without_one_falls_back_to_its_model(tmp_path, monkeypatch):
    decided = plan.plan_training(get_profile("paper"), accelerator=False)
    plan.write_training_plan(tmp_path, decided)
    assert plan.read_training_plan(tmp_path, get_profile("paper")) == json.loads(json.dumps(decided))
    runs = tmp_path / "runs"
    monkeypatch.setattr(config, "run_dir", lambda name: runs / name)
    with pytest.raises(FileNotFoundError, match="notebook 02"):
        plan.read_training_plan(tmp_path / "empty", TINY)
    (runs / TINY.name).mkdir(parents=True)
    (runs / TINY.name / "model.keras").write_bytes(b"x")
    assert plan.read_training_plan(tmp_path / "empty", TINY)["train"] is True


def test_a_trained_plan_names_the_folder_train_writes_also_for_another_sigma(tmp_path, monkeypatch):
    from dncnn.profiles import run_name

    monkeypatch.setattr(config, "OUTPUT_ROOT", tmp_path)
    monkeypatch.setattr(config, "RUNS_DIR", tmp_path / "data" / "runs")
    for sigma, folder in ((25.0, "quick"), (15.0, "quick-sigma15")):
        profile = replace(get_profile("quick"), sigma=sigma)
        decided = plan.plan_training(profile, accelerator=False)
        assert run_name(profile) == folder  # where `train --sigma` writes
        assert decided["model"] == {"source": "trained", "run_dir": f"data/runs/{folder}",
                                    "path": f"data/runs/{folder}/model.keras", "label": f"DnCNN-S ours ({folder})",
                                    "sigma": sigma}
        log, sidecar = plan.planned_run_files(decided)
        assert (log, sidecar) == (tmp_path / "data" / "runs" / folder / "log.csv", tmp_path / "data" / "runs" / folder / "model.json")
    with pytest.raises(ValueError, match="trains no run here"):
        plan.planned_run_files(plan.plan_training(get_profile("paper"), accelerator=False))


def test_a_blind_recipe_plans_its_own_shipped_model_and_is_evaluated_at_every_sigma(monkeypatch, tmp_path):
    blind = get_profile("paper-blind")
    with pytest.raises(FileNotFoundError, match=r"sigma in \[0, 55\]"):  # none shipped yet
        plan.plan_training(blind, accelerator=False)
    from dncnn.model import catalog

    blind_entry = catalog.ModelEntry(key="dncnn-b-blind", name="DnCNN-B ours", short="DnCNN-B ours", family="B", depth=20,
                                     sigma_range=(0.0, 55.0), source=catalog.SHIPPED, file="weights/dncnn-b-blind.keras",
                                     loader="keras", paper_method="DnCNN-B", profile="paper-blind")
    monkeypatch.setattr(catalog, "MODELS", (*catalog.MODELS, blind_entry))  # one entry: the study knows the model
    assert plan.shipped_model_for(blind) == "dncnn-b-blind" and plan.shipped_model_for(get_profile("paper")) == "dncnn-s-sigma25"
    loaded = plan.plan_training(blind, accelerator=False)["model"]
    assert loaded["shipped"] == "dncnn-b-blind" and loaded["sigma"] is None
    monkeypatch.setattr(config, "OUTPUT_ROOT", tmp_path)
    monkeypatch.setattr(config, "RUNS_DIR", tmp_path / "data" / "runs")
    trained = plan.plan_training(blind, accelerator=True)["model"]
    assert trained["label"] == "DnCNN-B ours (paper-blind)" and trained["sigma"] is None

    from dncnn.evaluation import denoisers
    from dncnn.model import weights
    from dncnn.model.network import build_dncnn

    monkeypatch.setattr(weights, "load_shipped_model", lambda name: build_dncnn(3, 4, seed=0))
    (blind_denoiser,) = [d for d in denoisers.shipped_denoisers([25.0]) if d.trained_sigma is None]
    assert [d.name for d in denoisers.shipped_denoisers([25.0], blind=False)] == [get_entry("ours").name]
    assert blind_denoiser.name == "DnCNN-B ours" and blind_denoiser.trained_sigma is None  # run at every sigma
