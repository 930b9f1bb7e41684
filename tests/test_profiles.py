"""Run profiles: the paper's recipe, and clear errors for unknown names."""

import pytest

from dncnn.profiles import PROFILES, get_profile


def test_unknown_profile_names_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed are paper, quick, smoke"):
        get_profile("fast")


def test_paper_profile_is_the_authors_recipe():
    p = PROFILES["paper"]
    assert (p.depth, p.filters, p.batch_size, p.epochs, p.sigma, p.patch_size, p.stride) == (17, 64, 128, 50, 25.0, 40, 10)
    assert [p.learning_rate(e) for e in (0, 29, 30, 49)] == [1e-3, 1e-3, 1e-4, 1e-4]
    assert p.steps_per_epoch is None and p.train_images is None


def test_a_changed_training_sigma_gets_its_own_run_folder():
    from dataclasses import replace

    from dncnn.profiles import run_name

    paper = get_profile("paper")
    assert run_name(paper) == "paper"
    assert [run_name(replace(paper, sigma=s)) for s in (15, 50, 17.5)] == ["paper-sigma15", "paper-sigma50", "paper-sigma17.5"]
