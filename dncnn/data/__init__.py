"""Layer 2, data: the datasets (``datasets``), the one Gaussian-noise formula (``noise``), training patches by the authors' recipe (``patches``)."""
