import pandas as pd

from dncnn.analysis import checks


def _check(psnr, ssim):
    return pd.DataFrame({"psnr_diff": psnr, "ssim_diff": ssim})


def test_a_rerun_equal_to_the_table_says_so_with_the_count_in_words():
    text = checks.describe_rerun_check(_check([0.0, -0.0], [0.0, 0.0]))
    assert text == "The 2 rows rerun here equal the committed table to the last digit."
    assert "1 row rerun" in checks.describe_rerun_check(_check([0.0], [0.0]))


def test_a_rerun_that_differs_names_the_largest_absolute_difference_of_each_column():
    text = checks.describe_rerun_check(_check([0.0, -0.0042], [3.1e-5, 0.0]), what="denoised row")
    assert text.startswith("The 2 denoised rows rerun here match the committed table")
    assert "0.0042 dB of PSNR" in text and "3.1e-05 of SSIM" in text
    assert "e+00" not in text


def test_format_largest_difference_never_prints_a_zero_exponent():
    assert checks.format_largest_difference(0.0) == "0"
    assert checks.format_largest_difference(-2.5e-6) == "2.5e-06"
    assert checks.format_largest_difference(0.012) == "0.012"


def test_the_noise_rerun_sentence_counts_images_and_lists_levels():
    text = checks.describe_noise_rerun(images=1, sigmas=(5.0, 15.0), models=None)
    assert "1 whole BSD68 image at sigma 5, 15" in text and "images" not in text
    assert "4 whole BSD68 images" in checks.describe_noise_rerun(images=4, sigmas=(50,))


def test_as_sentence_capitalises_and_closes():
    assert checks.as_sentence("every image takes long") == "Every image takes long."
    assert checks.as_sentence("Done.") == "Done."
