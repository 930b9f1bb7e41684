"""The paper's numbers: reference rows for the study's tables, never used to compute anything.

Sources (``../shared/paper-tables.md`` names them): Zhang et al., IEEE TIP 2017, Table II (Gaussian
denoising on BSD68) and Table V (DnCNN-3), as the authors' ``README.md`` and ``model/README.txt``
print them at the pinned commit; the bicubic super-resolution baseline every super-resolution paper
since SRCNN reports; the Set12 averages of Table III as a secondary source repeats them (below); Table IV's
run times (seconds), from a secondary source (below).
"""

from __future__ import annotations

# Table II: average PSNR (dB) on BSD68, by (set, method) and sigma.
PAPER_PSNR = {
    ("BSD68", "BM3D"): {15: 31.07, 25: 28.57, 50: 25.62},
    ("BSD68", "DnCNN-S"): {15: 31.73, 25: 29.23, 50: 26.23},
    ("BSD68", "DnCNN-B"): {15: 31.61, 25: 29.16, 50: 26.23},
}

# Table III's averages: mean PSNR (dB) on Set12, by (set, method) and sigma. Secondary source: the SwinIR
# paper's comparison table (../shared/paper-tables.md); the authors' DPIR repository's figs/grayscale_psnr.png
# prints the same values. The paper's per-image values of Table III are not at hand from a citable source.
PAPER_SET12 = {
    ("Set12", "BM3D"): {15: 32.37, 25: 29.97, 50: 26.72},
    ("Set12", "DnCNN-S"): {15: 32.86, 25: 30.44, 50: 27.18},
}

# Table V: DnCNN-3, PSNR / SSIM, by (task, set, level). BSD100 and Urban100: PSNR only (SSIM None), as
# ../shared/paper-tables.md lists them.
PAPER_DNCNN3 = {
    ("denoising", "BSD68", 15): (31.46, 0.8826), ("denoising", "BSD68", 25): (29.02, 0.8190),
    ("denoising", "BSD68", 50): (26.10, 0.7076),
    ("super-resolution", "Set5", 2): (37.58, 0.9590), ("super-resolution", "Set5", 3): (33.75, 0.9222),
    ("super-resolution", "Set5", 4): (31.40, 0.8845),
    ("super-resolution", "Set14", 2): (33.03, 0.9128), ("super-resolution", "Set14", 3): (29.81, 0.8321),
    ("super-resolution", "Set14", 4): (28.04, 0.7672),
    ("super-resolution", "BSD100", 2): (31.90, None), ("super-resolution", "BSD100", 3): (28.85, None),
    ("super-resolution", "BSD100", 4): (27.29, None),
    ("super-resolution", "Urban100", 2): (30.74, None), ("super-resolution", "Urban100", 3): (27.15, None),
    ("super-resolution", "Urban100", 4): (25.20, None),
    ("jpeg", "classic5", 10): (29.40, 0.8026), ("jpeg", "classic5", 20): (31.63, 0.8610),
    ("jpeg", "classic5", 30): (32.91, 0.8861), ("jpeg", "classic5", 40): (33.77, 0.9003),
    ("jpeg", "LIVE1", 10): (29.19, 0.8123), ("jpeg", "LIVE1", 20): (31.59, 0.8802),
    ("jpeg", "LIVE1", 30): (32.98, 0.9090), ("jpeg", "LIVE1", 40): (33.96, 0.9247),
}

# The bicubic baseline every super-resolution paper reports (rounded Y, ``scale`` pixels shaved), by (set, scale).
PAPER_BICUBIC = {
    ("Set5", 2): (33.66, 0.9299), ("Set5", 3): (30.39, 0.8682), ("Set5", 4): (28.42, 0.8104),
    ("Set14", 2): (30.24, 0.8688), ("Set14", 3): (27.55, 0.7742), ("Set14", 4): (26.00, 0.7027),
}

# The colour comparison on CBSD68: mean PSNR (dB) over the three channels, by (set, method) and sigma.
# Source: the authors' table in their FFDNet repository (cszn/FFDNet e787f46, figs/table2.png: the FFDNet
# paper's comparison, which repeats DnCNN's colour rows).
PAPER_COLOUR = {
    ("CBSD68", "CBM3D"): {15: 33.52, 25: 30.71, 35: 28.89, 50: 27.38},
    ("CBSD68", "CDnCNN-B"): {15: 33.89, 25: 31.23, 35: 29.58, 50: 27.92},
}
# The authors' comment in cszn/DnCNN issue 4 gives other values for a colour "DnCNN" model (not the
# blind CDnCNN-B of the table above, or not its released weights): a second reference row.
PAPER_COLOUR_COMMENT = {("CBSD68", "DnCNN colour (authors' comment, issue 4)"): {15: 33.99, 25: 31.31, 35: 29.66, 50: 28.01}}

# Table IV: run time (seconds) of one image at 256x256, 512x512 and 1024x1024 pixels, sigma 25, by
# (method, device). SECONDARY source: a course's slides quoting the paper's table (issue 29), not the paper
# itself. The paper's machine: Intel i7-5820K at 3.3 GHz (CPU) and Nvidia Titan X (GPU), MATLAB; BM3D ran
# on the CPU only. Reference rows only: dncnn/bench/table4.py sets them beside the times measured here.
PAPER_RUN_TIMES_SOURCE = "secondary: a course's slides quoting the paper's Table IV"
PAPER_RUN_TIMES_MACHINE = "Intel i7-5820K at 3.3 GHz and Nvidia Titan X, MATLAB"
PAPER_RUN_TIMES = {
    ("BM3D", "CPU"): {256: 0.65, 512: 2.85, 1024: 11.89},
    ("DnCNN-S", "CPU"): {256: 0.74, 512: 3.41, 1024: 12.1},
    ("DnCNN-S", "GPU"): {256: 0.014, 512: 0.051, 1024: 0.200},
    ("DnCNN-B", "CPU"): {256: 0.90, 512: 4.11, 1024: 14.1},
    ("DnCNN-B", "GPU"): {256: 0.016, 512: 0.060, 1024: 0.235},
    ("TNRD", "CPU"): {256: 0.45, 512: 1.33, 1024: 4.61},
    ("TNRD", "GPU"): {256: 0.010, 512: 0.032, 1024: 0.116},
}
