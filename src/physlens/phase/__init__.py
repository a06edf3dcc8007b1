"""The phase classifier's machinery, shared by every system (Ising, SU(2)).

A network is trained to tell two phases apart on samples far from the transition and
evaluated on the whole grid of the control parameter (temperature, coupling); the point
where its P(phase) crosses 1/2 estimates the transition.

labels: window labels (1 or 0 inside the two training windows, -1 between) and the seeded,
class-balanced train/val/test split; crossing: the 1/2 crossing, its bootstrap over samples,
and the finite-size extrapolation; ensemble: the crossing of an ensemble of classifiers with
its bootstrap and ensemble-spread errors.
"""

from physlens._lazy import lazy_exports

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "window_labels": ".labels",
    "split_phase_data": ".labels",
    "half_crossing": ".crossing",
    "fit_finite_size": ".crossing",
    "ensemble_crossing": ".ensemble",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
