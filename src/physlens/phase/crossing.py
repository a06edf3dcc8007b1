"""Where a phase classifier's P crosses 1/2 on the grid of the control parameter, its
bootstrap over samples, and the finite-size extrapolation to L -> infinity.

The grid runs along the first axis of every P array (temperatures for the Ising model,
couplings beta for SU(2)), samples along the second (NaN: not evaluated).
"""

from __future__ import annotations

import warnings

import numpy as np


def mean_by_temperature(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard error and count of P over samples (NaN = not a test sample) per grid
    point (row)."""
    n = np.sum(np.isfinite(p), axis=1)
    with warnings.catch_warnings():  # rows without samples give NaN, as they should
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(p, axis=1)
        sem = np.nanstd(p, axis=1, ddof=1) / np.sqrt(np.maximum(n, 1))
    return mean, sem, n


def order_parameter_scale(L: int, L_train: int, beta_over_nu: float) -> float:
    """Factor (L / L_train)^(beta/nu) that puts an order-parameter-like network feature
    measured at size L on the scale it has at the training size.

    A Z2-odd classifier thresholds an |M|-like observable O at a fixed value. Near Tc,
    O_L(T) = L^(-beta/nu) g((T - Tc) L^(1/nu)), so a fixed threshold is met at a scaling
    variable x that drifts with L (it runs as the threshold times L^(beta/nu)), the crossings
    do not follow Tc + a L^(-1/nu), and for L -> oo they tend to the temperature where the
    spontaneous magnetisation equals the threshold, not to Tc. Rescaling O by
    (L / L_train)^(beta/nu) makes P(ordered) a function of x alone, so the 1/2 crossing sits at
    one x for every L and the extrapolation with exponent nu is consistent.
    """
    if L < 1 or L_train < 1:
        raise ValueError(f"lattice sizes must be positive, got L = {L}, L_train = {L_train}")
    return float((L / L_train) ** beta_over_nu)


def ensemble_mean(p: np.ndarray) -> np.ndarray:
    """Mean over the first (member) axis; NaN where a sample was not evaluated."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(p, axis=0)


def _falling(p, rising: bool):
    """P itself, or 1 - P when the phase of P = 1 lies at the high end of the grid: a rising
    curve is located as the falling crossing of its complement."""
    return 1.0 - np.asarray(p, float) if rising else p


def half_crossing(temperatures: np.ndarray, p_mean: np.ndarray, rising: bool = False) -> float:
    """Grid point where P falls (`rising`: rises) through 1/2, linearly interpolated.

    With several crossings (noise near the transition) the average of all of them is taken;
    NaN when P never crosses 1/2.
    """
    t, p = np.asarray(temperatures, float), np.asarray(_falling(p_mean, rising), float) - 0.5
    down = np.flatnonzero((p[:-1] >= 0) & (p[1:] < 0))
    if len(down) == 0:
        return float("nan")
    crossings = t[down] + p[down] * (t[down + 1] - t[down]) / (p[down] - p[down + 1])
    return float(np.mean(crossings))


def bootstrap_crossings(
    temperatures, p: np.ndarray, rng: np.random.Generator, n_resamples: int, rising: bool = False
) -> np.ndarray:
    """Crossings (as :func:`half_crossing`) of `n_resamples` resamples of the evaluated
    samples, drawn within each grid point."""
    rows = [row[np.isfinite(row)] for row in _falling(p, rising)]
    out = np.empty(n_resamples)
    for i in range(n_resamples):
        means = [r[rng.integers(0, len(r), len(r))].mean() for r in rows]
        out[i] = half_crossing(temperatures, np.asarray(means))
    return out


def fit_finite_size(L, tc_L, err, nu: float = 1.0) -> tuple[float, float, np.ndarray]:
    """Weighted least squares of Tc(L) = Tc + a L^(-1/nu); returns (Tc, a, covariance)."""
    L, y, err = (np.asarray(a, float) for a in (L, tc_L, err))
    if len(L) < 2:
        raise ValueError(
            f"finite-size extrapolation needs at least two lattice sizes, got L = {L.tolist()}"
        )
    A = np.column_stack([np.ones_like(L), L ** (-1.0 / nu)])
    w = 1.0 / np.maximum(err, 1e-12)
    coef, *_ = np.linalg.lstsq(A * w[:, None], y * w, rcond=None)
    cov = np.linalg.pinv((A * w[:, None]).T @ (A * w[:, None]))
    return float(coef[0]), float(coef[1]), cov


def extrapolation_chi2(L, tc_L, ex: dict, nu: float = 1.0) -> tuple[float, int]:
    """(chi2, degrees of freedom) of an :func:`extrapolate_with_bootstrap` result `ex` against
    the points it used, with their bootstrap errors: with n points and two parameters chi2
    follows chi2(n - 2) when the form and the errors hold. NaN with fewer than two points."""
    used = ex["used"]
    if used.sum() < 2:
        return float("nan"), int(used.sum()) - 2
    L, y, err = (np.asarray(a, float)[used] for a in (L, tc_L, ex["tc_L_err"]))
    resid = (y - ex["tc"] - ex["slope"] * L ** (-1.0 / nu)) / err
    return float(np.sum(resid**2)), int(used.sum()) - 2


def extrapolate_with_bootstrap(L, tc_L, boot: np.ndarray, nu: float = 1.0) -> dict:
    """Extrapolated Tc with its error from refitting each joint bootstrap replicate.

    `boot` has shape (n_sizes, n_resamples); weights are the replicates' standard deviations.
    Sizes without a crossing (NaN) are left out; with fewer than two left, Tc is NaN.
    """
    L, tc_L, boot = np.asarray(L, float), np.asarray(tc_L, float), np.asarray(boot, float)
    used = np.isfinite(tc_L)
    nan = float("nan")
    if used.sum() < 2:
        return {
            "tc": nan,
            "slope": nan,
            "tc_err": nan,
            "tc_err_fit": nan,
            "tc_L_err": np.full(len(L), nan),
            "used": used,
            "n_resamples": 0,
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        err = np.nanstd(boot, axis=1, ddof=1)
    fallback = np.nanmax(err[used]) if np.any(np.isfinite(err[used]) & (err[used] > 0)) else 1.0
    err = np.where(
        np.isfinite(err) & (err > 0), err, fallback
    )  # degenerate bootstrap: equal weight
    tc, a, cov = fit_finite_size(L[used], tc_L[used], err[used], nu)
    reps = [
        fit_finite_size(L[used], boot[used, i], err[used], nu)[0]
        for i in range(boot.shape[1])
        if np.all(np.isfinite(boot[used, i]))
    ]
    return {
        "tc": tc,
        "slope": a,
        "tc_err": float(np.std(reps, ddof=1)) if len(reps) > 1 else float(np.sqrt(cov[0, 0])),
        "tc_err_fit": float(np.sqrt(cov[0, 0])),
        "tc_L_err": err,
        "used": used,
        "n_resamples": len(reps),
    }
