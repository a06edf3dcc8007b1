"""Interpretation of trained networks in physical terms.

probing: bottleneck regression (which observable a neuron computes) and linear probes of
whole layers. Symbolic regression lives in physlens.symbolic; candidate observables in
physlens.observables.
"""

from physlens._lazy import lazy_exports

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "rank_observables": ".probing",
    "linear_probe": ".probing",
    "spearman": ".probing",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
