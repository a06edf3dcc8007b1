"""The crossing toolkit under its former name: it lives in :mod:`physlens.phase.crossing`,
shared by the Ising and SU(2) stages. Kept so that modules still importing
``physlens.supervised.tc`` work; new code imports physlens.phase.crossing."""

from physlens.phase.crossing import (
    bootstrap_crossings,
    ensemble_mean,
    extrapolate_with_bootstrap,
    fit_finite_size,
    half_crossing,
    mean_by_temperature,
    order_parameter_scale,
)

__all__ = [
    "bootstrap_crossings",
    "ensemble_mean",
    "extrapolate_with_bootstrap",
    "fit_finite_size",
    "half_crossing",
    "mean_by_temperature",
    "order_parameter_scale",
]
