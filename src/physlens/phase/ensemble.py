"""The 1/2 crossing of an ensemble of phase classifiers, with its two errors.

* bootstrap: the evaluated samples are resampled within each grid point (all members alike,
  through the ensemble mean); the error is the standard deviation of the resampled crossings;
* ensemble: the standard error over members of the crossing each member gives on its own
  (the spread of the classifiers' decision thresholds).

The two are combined in quadrature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physlens.phase.crossing import (
    bootstrap_crossings,
    ensemble_mean,
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
