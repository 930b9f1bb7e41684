"""The paper's numbers in dncnn.evaluation.paper are those of ../shared/paper-tables.md, where it is at hand."""

import math
import re

import pytest

from dncnn import config
from dncnn.evaluation.paper import PAPER_DNCNN3

TABLES = config.PROJECT_ROOT.parent / "shared" / "paper-tables.md"


def test_table_v_super_resolution_rows_of_bsd100_and_urban100_are_the_listed_psnr_without_ssim():
    if not TABLES.exists():
        pytest.skip(f"{TABLES} is not beside this checkout")
    text = TABLES.read_text()
    for dataset in ("BSD100", "Urban100"):
        cells = re.search(rf"^\| {dataset} \| 2 / 3 / 4 \|.*\| ([\d.]+) / ([\d.]+) / ([\d.]+) \|$", text, flags=re.M)
        assert cells, dataset
        listed = [float(x) for x in cells.groups()]
        assert [PAPER_DNCNN3["super-resolution", dataset, scale][0] for scale in (2, 3, 4)] == listed
        assert all(PAPER_DNCNN3["super-resolution", dataset, scale][1] is None for scale in (2, 3, 4))
    assert all(not math.isnan(ssim) for key, (psnr, ssim) in PAPER_DNCNN3.items() if key[1] not in ("BSD100", "Urban100"))
