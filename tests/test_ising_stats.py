"""Autocorrelation analysis (physlens.stats) against processes with known autocorrelation."""

import numpy as np
import pytest

from physlens.stats import autocorrelation, integrated_autocorrelation_time, thinned_mean_error


def ar1(a, n, chains, seed):
    """x_t = a x_{t-1} + noise, started in equilibrium: rho(t) = a^t, tau_int = (1+a)/(2(1-a))."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((chains, n))
    x = np.empty((chains, n))
    x[:, 0] = noise[:, 0] / np.sqrt(1 - a * a)
    for t in range(1, n):
        x[:, t] = a * x[:, t - 1] + noise[:, t]
    return x


@pytest.mark.parametrize("a", [0.5, 0.9])
def test_tau_int_of_ar1_process(a):
    tau = integrated_autocorrelation_time(ar1(a, 20000, 8, seed=1))
    exact = (1 + a) / (2 * (1 - a))
    # truncation at W >= 6 tau biases by < exp(-6 * tau_int/tau_exp) relative; 4 sigma stat
    assert abs(tau.tau - exact) < 4 * tau.error + 0.01 * exact
    assert tau.window >= 6 * tau.tau


def test_autocorrelation_of_ar1_decays_geometrically():
    rho = autocorrelation(ar1(0.8, 50000, 4, seed=2))
    np.testing.assert_allclose(rho[:6], 0.8 ** np.arange(6), atol=0.02)


def test_white_noise_and_constant_series():
    rng = np.random.default_rng(3)
    tau = integrated_autocorrelation_time(rng.standard_normal((4, 5000)))
    assert tau.tau == pytest.approx(0.5, abs=4 * tau.error)
    assert integrated_autocorrelation_time(np.ones((2, 100))).tau == 0.5


def test_too_short_series_is_rejected():
    with pytest.raises(ValueError, match="at least 2 points"):
        autocorrelation(np.ones(1))


def test_thinned_mean_error_matches_spread_of_independent_runs():
    """The error of a mean of thinned AR(1) samples equals the scatter of such means."""
    a, spacing, per_chain = 0.9, 5, 40
    exact_tau = (1 + a) / (2 * (1 - a))
    x = ar1(a, spacing * per_chain, 2000, seed=4)[:, spacing - 1 :: spacing]  # 2000 runs
    means = x.mean(axis=1)
    predicted = np.median([thinned_mean_error(row, exact_tau, spacing) for row in x])
    assert predicted == pytest.approx(means.std(ddof=1), rel=0.08)
    # samples far apart: no inflation beyond the naive error
    assert thinned_mean_error(x[0], 0.5, 1) == pytest.approx(x[0].std(ddof=1) / np.sqrt(per_chain))
