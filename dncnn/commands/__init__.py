"""Layer 7, the users' commands: what ``python -m dncnn`` (:mod:`dncnn.cli`) and ``make`` run, each a
function that does the whole job and can be called from Python: denoising a user's images
(``denoise``), JPEG deblocking and upscaling (``restore``), the full DnCNN-3 table (``tasks``), the
paper's Fig. 2 training runs (``ablation``), the notebooks through papermill (``reproduce``)."""
