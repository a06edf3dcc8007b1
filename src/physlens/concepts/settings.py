"""Names of the confounder experiment's models and data sets (pure Python: the Snakefile
imports this while building the DAG, so nothing heavy may be imported here). The concepts
section's cross-key checks are in :mod:`physlens.crosskeys`.
"""

from __future__ import annotations

# The three data sets of the confounder experiment: the marker on no sample, on the ordered
# samples (as in training), or on the disordered ones (the marker "swapped" to the other class).
CONFOUNDER_DATASETS = ("clean", "confounded", "swapped")
# The two models of the experiment: same architecture, settings, seed and split; one trained
# on the clean band, one on the confounded band.
CONFOUNDER_MODELS = ("clean", "confounded")
