"""Layer 5, evaluation: PSNR/SSIM (``metrics``), one interface for every denoiser (``denoisers``, and
``colour`` for RGB), the study's protocol and its tables (``protocol``), the paper's numbers (``paper``),
DnCNN-3's three tasks by the authors' protocol (``tasks``)."""
