"""Layer 6, analysis: batch and batch-norm statistics (``statistics``), the figures (``plots``), the README's generated sections (``report``)."""
