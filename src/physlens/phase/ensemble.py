"""The 1/2 crossing of an ensemble of phase classifiers, with its two errors.

* bootstrap: the evaluated samples are resampled within each grid point (all members alike,
  through the ensemble mean); the error is the standard deviation of the resampled crossings;
* ensemble: the standard error over members of the crossing each member gives on its own
  (the spread of the classifiers' decision thresholds).

The two are combined in quadrature. :func:`extrapolate_ensemble` takes the crossings of one
ensemble per lattice size to the infinite lattice with the same two errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physlens.phase.crossing import (
    bootstrap_crossings,
    ensemble_mean,
    extrapolate_with_bootstrap,
    extrapolation_chi2,
    fit_finite_size,
    half_crossing,
    mean_by_temperature,
)


def ensemble_curve(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ensemble-mean P per grid point with its standard error and count over samples, for P
    of shape (member, grid point, sample)."""
    return mean_by_temperature(ensemble_mean(p))


def bootstrap_error(crossings: np.ndarray) -> float:
    """Standard deviation of the resampled crossings that exist (NaN with fewer than two)."""
    ok = np.isfinite(crossings)
    return float(np.std(crossings[ok], ddof=1)) if ok.sum() > 1 else float("nan")


def ensemble_error(per_member) -> float:
    """Standard error of the mean over the members' own estimates (those that exist); 0 with
    fewer than two."""
    values = np.asarray(per_member, float)
    fin = values[np.isfinite(values)]
    return float(np.std(fin, ddof=1) / np.sqrt(len(fin))) if len(fin) > 1 else 0.0


def combined_error(bootstrap: float, ensemble: float) -> float:
    return float(np.hypot(bootstrap, ensemble))


@dataclass
class EnsembleCrossing:
    """The ensemble-mean crossing, its bootstrap replicates and each member's own crossing."""

    value: float
    bootstrap: np.ndarray
    per_member: np.ndarray

    @property
    def bootstrap_error(self) -> float:
        return bootstrap_error(self.bootstrap)

    @property
    def failed_resamples(self) -> int:
        """Resamples in which P did not cross 1/2."""
        return int(np.sum(~np.isfinite(self.bootstrap)))

    @property
    def ensemble_error(self) -> float:
        return ensemble_error(self.per_member)

    @property
    def error(self) -> float:
        return combined_error(self.bootstrap_error, self.ensemble_error)


def ensemble_crossing(
    grid, p: np.ndarray, rng: np.random.Generator, n_resamples: int, rising: bool = False
) -> EnsembleCrossing:
    """Crossing of the ensemble-mean P (member, grid point, sample; NaN: not evaluated) with
    `n_resamples` bootstrap replicates drawn from `rng`, and every member's own crossing."""
    p_ens = ensemble_mean(p)
    value = half_crossing(grid, mean_by_temperature(p_ens)[0], rising)
    boot = bootstrap_crossings(grid, p_ens, rng, n_resamples, rising)
    members = np.array([half_crossing(grid, mean_by_temperature(pm)[0], rising) for pm in p])
    return EnsembleCrossing(value, boot, members)


def extrapolate_ensemble(sizes, crossings: list[EnsembleCrossing], nu: float) -> dict:
    """The crossings of one ensemble per lattice size (same order as `sizes`) extrapolated as
    x(L) = x_c + a L^(-1/nu): :func:`extrapolate_with_bootstrap` on the ensemble-mean
    crossings and their bootstrap replicates, plus each member's own extrapolation (member k
    at every size; sizes without a crossing left out), whose standard error over members is
    combined in quadrature with the bootstrap error.

    Returns extrapolate_with_bootstrap's dict with `tc_err` the combined error, plus
    `bootstrap_error`, `ensemble_error`, `per_member`, `chi2` (of the ensemble-mean fit,
    bootstrap errors) and `dof`.
    """
    sizes = np.asarray(sizes)
    values = [c.value for c in crossings]
    ex = extrapolate_with_bootstrap(sizes, values, np.array([c.bootstrap for c in crossings]), nu)
    per_member = np.array([c.per_member for c in crossings])  # (size, member)
    used = ex["used"]
    members = [
        fit_finite_size(sizes[used], per_member[used, m], ex["tc_L_err"][used], nu)[0]
        for m in range(per_member.shape[1])
        if used.sum() >= 2 and np.all(np.isfinite(per_member[used, m]))
    ]
    member_sem = ensemble_error(members)
    chi2, dof = extrapolation_chi2(sizes, values, ex, nu)
    return {
        **ex,
        "tc_err": combined_error(ex["tc_err"], member_sem),
        "bootstrap_error": ex["tc_err"],
        "ensemble_error": member_sem,
        "per_member": members,
        "chi2": chi2,
        "dof": dof,
    }
