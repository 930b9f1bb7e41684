"""Layer 4, training: the device pipeline (``pipeline``: patches on the device, batch and noise drawn in
the compiled step), the loop with checkpoints, resume, a wall-clock bound and several devices
(``train``), the validation PSNR after every epoch (``validation``), and the time estimate and the
decision to train or load (``plan``)."""
