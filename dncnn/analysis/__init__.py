"""Layer 6, analysis: batch and batch-norm statistics (``statistics``), the figures (``plots``) and their
colours (``style``), the README's generated sections (``report``), notebook 07's curves and findings
on the paper's training claims (``training_claims``)."""
