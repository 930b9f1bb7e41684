"""Layer 4, training: the seeded batch stream (``batches``) and the loop with checkpoints, resume and a wall-clock bound (``train``)."""
