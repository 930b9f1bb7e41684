"""Layer 4, training: the device pipeline (``pipeline``: patches on the device, batch and noise drawn in
the compiled step), the loop with checkpoints, resume and a wall-clock bound (``train``), and the
time estimate and the decision to train or load (``plan``)."""
