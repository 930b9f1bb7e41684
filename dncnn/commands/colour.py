"""``python -m dncnn colour``: the paper's colour table measured from the shell: the authors' CDnCNN-B
and colour BM3D (told the true sigma) on every CBSD68 image at sigma 15, 25, 35 and 50, written to
``results/colour/``, which notebook 05 checks its rerun subset against.

CBM3D takes seconds per image (the committed table took 90 minutes on 2 cores shared with other jobs), so the command is
resumable: the rows of each finished setting (one sigma and one method) are written at once to
``colour_per_image.partial.csv``; a rerun with the same output folder keeps them and measures only
what is missing. CBM3D's outputs are cached under ``data/cache/bm3d_rgb`` of the output root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .. import config


def measure_colour(*, out_dir: str | Path | None = None, images: int | None = None, sigmas: Sequence[float] | None = None,
                   bm3d: bool = True, argv: Sequence[str] = ()) -> dict:
    """Measure the colour table on CBSD68 and write its tables.

    Args:
        out_dir: folder for the tables (default ``results/colour`` of the output root).
        images: the first N CBSD68 images (None: all 68).
        sigmas: noise levels (default :data:`dncnn.evaluation.colour.COLOUR_TABLE_SIGMAS`).
        bm3d: measure CBM3D too (False: CDnCNN-B and the noisy input only).
        argv: the command line, recorded in the JSON sidecar.

    Writing into the committed folder (``config.COLOUR_TABLE_DIR``) also regenerates the colour block of
    ``docs/dncnn3.md`` and the front page's claims.

    Returns:
        ``{"per_image", "summary", "versus"}`` DataFrames and ``"paths"`` of the tables written.
    """
    import pandas as pd

    from ..evaluation import colour as C
    from ..evaluation import tasks as T
    from ..files import atomic

    out_dir = Path(out_dir or config.RESULTS_DIR / "colour")
    sigmas = tuple(float(s) for s in (sigmas or C.COLOUR_TABLE_SIGMAS))
    names, loaded = T.load_task_images(C.COLOUR_TABLE_SET, limit=images)
    partial = out_dir / "colour_per_image.partial.csv"
    done = next((pd.read_csv(p) for p in (partial, out_dir / "colour_per_image.csv") if p.exists()), None)
    per_image = C.evaluate_colour_table(C.colour_table_denoisers(bm3d=bm3d), loaded, names, sigmas=sigmas, done=done,
                                        on_setting=lambda rows: atomic.save_csv(partial, rows))
    summary = T.summarize_tasks(per_image)
    versus = C.compare_colour_with_paper(summary)
    paths = C.write_colour_tables(per_image, summary, versus, out_dir=out_dir,
                                  extra={"argv": list(argv), "images": len(names), "sigmas": list(sigmas)})
    partial.unlink(missing_ok=True)
    if out_dir.resolve() == config.COLOUR_TABLE_DIR.resolve():
        from ..analysis.report import update_readme_colour

        update_readme_colour()
    return {"per_image": per_image, "summary": summary, "versus": versus, "paths": paths}
