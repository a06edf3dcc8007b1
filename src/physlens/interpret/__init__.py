"""Interpretation of trained networks in physical terms.

probing: bottleneck regression (which observable a neuron computes) and linear probes of
whole layers; attributions (with lrp and model_inputs), ablation and influence: which inputs,
units and training points a decision rests on. pipeline holds the stage's entry points,
headlines its headline records. Symbolic regression lives in physlens.symbolic; candidate
observables in physlens.observables.
"""

from physlens._lazy import lazy_exports

# every seed and headline of this stage is keyed by it
STAGE = "interpret"

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "rank_observables": ".probing",
    "linear_probe": ".probing",
    "spearman": ".probing",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
