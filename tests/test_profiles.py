"""Run profiles: the paper's recipe, and clear errors for unknown names."""

import pytest

from dncnn.profiles import PROFILES, get_profile


def test_unknown_profile_names_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed are paper, quick, smoke, paper-blind"):
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


def test_paper_blind_is_the_authors_dncnn_b_recipe():
    from dncnn.data.patches import PATCH_SCALES, scale_size

    b = PROFILES["paper-blind"]
    assert (b.depth, b.patch_size, b.sigma_range, b.batch_size, b.epochs) == (20, 50, (0.0, 55.0), 128, 50)
    assert b.model_family() == "DnCNN-B" and b.noise_label() == "sigma in [0, 55]" and b.validation_sigmas == (15.0, 25.0, 50.0)
    # 400 images of 180x180 at the four scales, stride 7: within 1 % of the paper's 128 x 3,000 patches
    per_image = sum(((h - 50) // b.stride + 1) * ((w - 50) // b.stride + 1) for h, w in (scale_size(180, 180, s) for s in PATCH_SCALES))
    assert abs(400 * per_image // 128 * 128 - 128 * 3000) / (128 * 3000) < 0.01


def test_the_exponential_schedule_is_matlabs_logspace_between_its_entries():
    from dataclasses import replace

    import numpy as np

    sgd = replace(PROFILES["paper"], lr_decay="exponential", lr_schedule=((0, 1e-1), (49, 1e-4)))
    np.testing.assert_allclose([sgd.learning_rate(e) for e in range(52)], [*np.logspace(-1, -4, 50), 1e-4, 1e-4], rtol=1e-12)
    assert [PROFILES["paper"].learning_rate(e) for e in (29, 30)] == [1e-3, 1e-4]  # "step" is unchanged


@pytest.mark.parametrize("field, value", [("optimizer", "rmsprop"), ("loss", "l1"), ("sigma_range", (30.0, 10.0)),
                                          ("validation_crop", 300), ("lr_decay", "cosine")])
def test_a_bad_setting_is_refused_naming_the_field(field, value):
    from dataclasses import replace

    with pytest.raises(ValueError, match=f"{field} must be"):
        replace(PROFILES["ablation"], **{field: value}).validate()
