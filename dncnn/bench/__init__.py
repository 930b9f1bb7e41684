"""``make bench``: DnCNN's speed against its peers and against this machine's ceiling.

One run measures, on this machine: the float32 matrix-multiply rate (the ceiling), DnCNN-S
inference in deploy form on Keras' TensorFlow backend (``predict``, compiled without and with XLA)
and JAX backend, a plain PyTorch DnCNN-S with the same weights (if torch is importable), BM3D;
training throughput at batch 32 on each (ours through the device pipeline training uses, batches
gathered and noise drawn in the compiled step; the PyTorch peer's on one fixed batch, its data
loading not counted); and patch preparation against a per-patch loop of the authors' recipe. Each
backend runs in its own process (Keras fixes its backend at import). Timings are medians of
repeated runs; ratios are taken against baselines measured in the same run. Timings never live in
tests.

The logic lives in its modules: ``measure`` (the measurements), ``tables`` (ratios and Markdown), ``run``
(``make bench``: measure, write, regenerate the README's blocks) and ``peers`` (the PyTorch peer, the per-patch loop).
"""
