"""Statistics shared by every stage: bootstrap confidence intervals and errors.

(Autocorrelation analysis for Monte Carlo time series lives here too; see below.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


def bootstrap(
    statistic: Callable[..., float],
    *arrays: np.ndarray,
    n_resamples: int = 1000,
    rng: np.random.Generator,
) -> np.ndarray:
    """Values of `statistic` on `n_resamples` resamples (rows drawn with replacement, jointly)."""
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("bootstrap arrays must have the same length")
    out = np.empty(n_resamples)
    for i in range(n_resamples):
        idx = rng.integers(0, n, n)
        out[i] = statistic(*(a[idx] for a in arrays))
    return out


def bootstrap_ci(
    statistic: Callable[..., float],
    *arrays: np.ndarray,
    n_resamples: int = 1000,
    level: float = 0.68,
    rng: np.random.Generator,
) -> tuple[float, float, float, float]:
    """(estimate, standard error, lower, upper) of a statistic by percentile bootstrap."""
    est = float(statistic(*arrays))
    reps = bootstrap(statistic, *arrays, n_resamples=n_resamples, rng=rng)
    reps = reps[np.isfinite(reps)]
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return est, float(np.std(reps, ddof=1)), float(lo), float(hi)


# --- autocorrelation of Markov-chain time series (Ising Monte Carlo) -------------------


class TauInt(NamedTuple):
    """Integrated autocorrelation time, its Madras-Sokal error, and the summation window W."""

    tau: float
    error: float
    window: int


def autocorrelation(series: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation rho(t), t = 0..n-1, averaged over chains.

    `series` is (n,) or (chains, n) with equal-length chains of the same process. The grand
    mean is subtracted (chains share one equilibrium mean) and the autocovariances of all
    chains are averaged before normalising; a constant series gives rho = [1, 0, 0, ...].
    """
    x = np.atleast_2d(np.asarray(series, dtype=float))
    n = x.shape[1]
    if n < 2:
        raise ValueError(f"autocorrelation needs at least 2 points per chain, got {n}")
    d = x - x.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))  # zero-padded FFT: linear, not circular
    f = np.fft.rfft(d, size, axis=1)
    acov = np.fft.irfft(f * f.conj(), size, axis=1)[:, :n].mean(axis=0) / np.arange(n, 0, -1)
    if acov[0] <= 0:
        out = np.zeros(n)
        out[0] = 1.0
        return out
    return acov / acov[0]


def integrated_autocorrelation_time(series: np.ndarray, c: float = 6.0) -> TauInt:
    """tau_int = 1/2 + sum_{t=1}^{W} rho(t) with Sokal's automatic window.

    W is the smallest window with W >= c * tau_int(W) (Madras & Sokal 1988; c = 6 is
    reliable for roughly exponential decay). The error is Madras-Sokal's
    tau * sqrt(2 (2W + 1) / n_total). In units of the series' time step; tau = 1/2 for
    uncorrelated data. If no window satisfies the criterion the series is too short
    compared with tau and the full-length estimate is returned (an underestimate).
    """
    x = np.atleast_2d(np.asarray(series, dtype=float))
    rho = autocorrelation(x)
    taus = 0.5 + np.concatenate([[0.0], np.cumsum(rho[1:])])
    ok = np.nonzero(np.arange(len(rho)) >= c * taus)[0]
    window = int(ok[0]) if len(ok) else len(rho) - 1
    tau = max(float(taus[window]), 0.5)  # negative noise cannot make data anticorrelated
    error = tau * np.sqrt(2.0 * (2 * window + 1) / x.size)
    return TauInt(tau, float(error), window)


def thinned_mean_error(values: np.ndarray, tau_int: float, spacing: float) -> float:
    """Standard error of the mean of samples taken `spacing` steps apart along chains.

    The autocorrelation is modelled as exp(-t / tau_exp) with tau_exp chosen so that its
    integrated time equals `tau_int` ((1/2) coth(1 / (2 tau_exp)) = tau_int); samples
    `spacing` apart then correlate with r = exp(-spacing / tau_exp), which inflates the
    naive error by sqrt((1 + r) / (1 - r)). tau_int <= 1/2 means independent samples.
    """
    v = np.asarray(values, dtype=float).ravel()
    if len(v) < 2:
        return float("nan")
    naive = np.std(v, ddof=1) / np.sqrt(len(v))
    if tau_int <= 0.5:
        return float(naive)
    tau_exp = 1.0 / (2.0 * np.arctanh(1.0 / (2.0 * tau_int)))
    r = np.exp(-spacing / tau_exp)
    return float(naive * np.sqrt((1 + r) / (1 - r)))


# --- rank correlation conditional on a control parameter --------------------------------


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as Spearman's coefficient uses them."""
    from scipy.stats import rankdata

    return rankdata(x)


def _strata_spearman(f: np.ndarray, q: np.ndarray, strata: np.ndarray, min_size: int):
    """Per-stratum Spearman coefficients and sizes; strata too small or constant are skipped."""
    rhos, sizes = [], []
    for s in np.unique(strata):
        sel = strata == s
        n = int(sel.sum())
        if n < min_size:
            continue
        rf, rq = _ranks(f[sel]), _ranks(q[sel])
        sf, sq = rf.std(), rq.std()
        if sf == 0 or sq == 0:
            continue
        rhos.append(float(np.mean((rf - rf.mean()) * (rq - rq.mean())) / (sf * sq)))
        sizes.append(n)
    return np.asarray(rhos), np.asarray(sizes)


def stratified_spearman(
    f: np.ndarray, q: np.ndarray, strata: np.ndarray, min_size: int = 8
) -> float:
    """Spearman correlation of f and q within strata of a control parameter, combined.

    Pooled over temperatures, every observable that tracks T correlates with every neuron
    that tracks T; within one temperature only the sample-to-sample variation is left, so the
    combined within-stratum coefficient measures what the neuron computes beyond T. The
    coefficients are averaged in Fisher's z = artanh(rho) with weights n_b - 3 (the inverse
    variance of z for n_b samples). NaN where no stratum has `min_size` non-constant samples.
    """
    f, q, strata = (np.asarray(a) for a in (f, q, strata))
    if not (len(f) == len(q) == len(strata)):
        raise ValueError("stratified_spearman: f, q and strata must have the same length")
    rhos, sizes = _strata_spearman(f, q, strata, min_size)
    if len(rhos) == 0:
        return float("nan")
    weights = np.maximum(sizes - 3, 1)
    z = np.arctanh(np.clip(rhos, -0.999999, 0.999999))
    return float(np.tanh(np.sum(weights * z) / np.sum(weights)))


def stratified_spearman_ci(
    f: np.ndarray,
    q: np.ndarray,
    strata: np.ndarray,
    *,
    n_resamples: int = 200,
    level: float = 0.68,
    min_size: int = 8,
    rng: np.random.Generator,
) -> tuple[float, float, float, float]:
    """(estimate, standard error, lower, upper) of :func:`stratified_spearman`, by a
    bootstrap that resamples within each stratum (the strata's sizes are fixed by design)."""
    f, q, strata = (np.asarray(a) for a in (f, q, strata))
    est = stratified_spearman(f, q, strata, min_size)
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    reps = np.empty(n_resamples)
    for i in range(n_resamples):
        idx = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        reps[i] = stratified_spearman(f[idx], q[idx], strata[idx], min_size)
    reps = reps[np.isfinite(reps)]
    if len(reps) < 2:
        return est, float("nan"), float("nan"), float("nan")
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return est, float(np.std(reps, ddof=1)), float(lo), float(hi)


def mean_and_error(series: np.ndarray) -> tuple[float, float]:
    """Mean of a Markov-chain time series and its standard error, sqrt(2 tau_int / n) times
    the naive one, with tau_int measured on the series itself (Sokal's window)."""
    x = np.asarray(series, dtype=float).ravel()
    tau = integrated_autocorrelation_time(x).tau
    return float(x.mean()), float(x.std(ddof=1) * np.sqrt(2 * tau / len(x)))
