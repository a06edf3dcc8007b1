"""Supervised learning on Ising configurations (Carrasquilla & Melko 2017; Wetzel & Scherzer 2017).

data: loading, phase labels (ordered = 1) and Z2 signs; decision: sigmoid fits of network
outputs against observables; pipeline: the phase classifier and Tc, probes: the
correlation-probing nets, as functions of file paths and config slices (called by the thin
Snakemake scripts and by the tests). Labels, splits, the 1/2 crossing and its errors are
those of every phase classifier (:mod:`physlens.phase`).
"""

from physlens._lazy import lazy_exports

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "load_ising": ".data",
    "phase_labels": ".data",
    "split_phase_data": "physlens.phase.labels",
    "half_crossing": "physlens.phase.crossing",
    "fit_finite_size": "physlens.phase.crossing",
    "train_phase_classifier": ".pipeline",
    "train_probe": ".probes",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
