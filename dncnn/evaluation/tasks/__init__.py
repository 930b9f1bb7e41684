"""One network, three tasks: the authors' DnCNN-3 by their test protocol (``Demo_test_DnCNN3.m``),
and the colour row (CDnCNN-B against colour BM3D). Notebook 05's logic; ``python -m dncnn tasks``
measures the whole table from the shell.

The modules, by what they do: :mod:`.inputs` (the images and their degraded inputs), :mod:`.scoring`
(MATLAB's PSNR and SSIM), :mod:`.run` (the loop over images, tasks and levels, and the figure's
examples), :mod:`.tables` (summaries beside the paper, the check of a rerun, the files), :mod:`.plan`
(what notebook 05 runs for a profile). The names below are the public ones, for ``from
dncnn.evaluation import tasks``.

Protocol, per task (MATLAB operations from :mod:`dncnn.data.matlab`):

- Gaussian denoising (BSD68, grey): noise as notebook 04 (numpy, seeded per image), input not
  clipped; output rounded to uint8; PSNR and SSIM against the uint8 image, no border shaved.
- Super-resolution (Set5, Set14): the image is cropped to a multiple of the scale (top-left kept),
  shrunk with bicubic ``imresize`` (antialiased) on uint8 and enlarged back with bicubic
  ``imresize`` in double precision. A colour image's network input is the Y of ``rgb2ycbcr`` of the
  enlarged image and its target the Y of the original (both unrounded, [16, 235] / 255); a grey
  image (``bridge.bmp``) is enlarged as uint8 and used at full range. PSNR and SSIM on unrounded
  values, ``ceil(scale)`` pixels shaved from every border. The bicubic row is the network's input.
- JPEG deblocking (classic5, LIVE1): Y of ``rgb2ycbcr`` on uint8 (colour) or the grey image, JPEG
  at IJG quality Q and decoded; output rounded to uint8; no border shaved. The JPEG row is the
  decoded image.
- SSIM everywhere: Wang et al.'s ``ssim_index`` (11x11 Gaussian window, sigma 1.5, valid region).
"""

from __future__ import annotations

from .inputs import COLOUR_SET, COLOUR_SIGMA, QUALITIES, SCALES, SETS, SIGMAS, load_task_images, prepare_jpeg, prepare_super_resolution
from .plan import plan_tasks
from .run import (dncnn3_denoiser, evaluate_colour, evaluate_denoising, evaluate_jpeg, evaluate_super_resolution,
                  evaluate_three_tasks, list_task_jobs, task_examples)
from .scoring import matlab_scores, score_bicubic
from .tables import (DNCNN3_PROTOCOL, check_against_table, check_task_image_counts, compare_with_paper,
                     format_tasks_markdown, list_table_settings, merge_task_rows, summarize_tasks,
                     write_task_tables)
