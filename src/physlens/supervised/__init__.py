"""Supervised learning on Ising configurations (Carrasquilla & Melko 2017; Wetzel & Scherzer 2017).

data: phase labels and train/val/test splits; tc: P(ordered|T), its 1/2 crossing and the
finite-size extrapolation; decision: sigmoid fits of network outputs against observables;
pipeline: the stage's steps as functions of file paths and config slices (called by the
thin Snakemake scripts and by the tests).
"""

from physlens._lazy import lazy_exports

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "load_ising": ".data",
    "phase_labels": ".data",
    "split_phase_data": ".data",
    "half_crossing": ".tc",
    "fit_finite_size": ".tc",
    "train_phase_classifier": ".pipeline",
    "train_probe": ".pipeline",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
