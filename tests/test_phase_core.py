"""The phase classifier's core, shared by the Ising and SU(2) stages: window labels, the
class-balanced split, the P = 1/2 crossing with its bootstrap, the finite-size
extrapolation, and the ensemble crossing with its bootstrap and ensemble-spread errors."""

import math

import numpy as np
import pytest
from scipy.special import expit

from physlens.phase import crossing
from physlens.phase.ensemble import (
    EnsembleCrossing,
    bootstrap_error,
    ensemble_crossing,
    ensemble_curve,
    ensemble_error,
    extrapolate_ensemble,
)
from physlens.phase.labels import UNLABELLED, split_phase_data, window_labels

# --- labels and splits ------------------------------------------------------------------


def test_window_labels_either_way_round_and_bad_windows_are_named():
    grid = [1.0, 1.8, 2.0, 2.27, 2.8, 3.5]
    low_is_1 = window_labels(grid, 1.8, 2.8, low_label=1, high_label=0)
    high_is_1 = window_labels(grid, 1.8, 2.8, low_label=0, high_label=1)
    assert low_is_1.tolist() == [1, 1, -1, -1, 0, 0]
    assert high_is_1.tolist() == [0, 0, -1, -1, 1, 1]
    with pytest.raises(ValueError, match="w: lo = 2.5 must be below hi = 2.0"):
        window_labels([1.0], 2.5, 2.0, low_label=1, high_label=0, names=("lo", "hi"), where="w")


@pytest.mark.parametrize("ordered_low", [True, False])
def test_split_is_disjoint_balanced_and_keeps_unlabelled_points_for_testing(ordered_low):
    # 3 grid points of one class vs 2 of the other, whichever end of the grid is class 1
    labels = np.array([1, 1, 1, -1, -1, 0, 0])
    labels = labels if ordered_low else labels[::-1].copy()
    split = split_phase_data(labels, 40, 0.2, 0.25, np.random.default_rng(0))
    parts = {name: set(zip(*getattr(split, name))) for name in ("train", "val", "test")}
    assert (
        not (parts["train"] & parts["val"])
        and not (parts["train"] & parts["test"])
        and not (parts["val"] & parts["test"])
    )
    for name in ("train", "val"):
        y = labels[getattr(split, name)[0]]
        assert UNLABELLED not in y
        # balanced: the constant predictor scores ln 2
        assert (y == 1).sum() == (y == 0).sum()
    test_t = split.test[0]
    unlabelled = np.flatnonzero(labels == UNLABELLED)
    assert all((test_t == t).sum() == 40 for t in unlabelled)  # all of their samples
    again = split_phase_data(labels, 40, 0.2, 0.25, np.random.default_rng(0))
    np.testing.assert_array_equal(split.train[1], again.train[1])


def test_split_rejects_impossible_fractions_and_a_missing_class():
    with pytest.raises(ValueError, match="cannot be split"):
        split_phase_data(np.array([1, 0]), 4, 0.5, 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="one of the two classes"):
        split_phase_data(np.array([1, -1]), 8, 0.25, 0.25, np.random.default_rng(0))


# --- the 1/2 crossing ----------------------------------------------------------------------


def test_half_crossing_is_exact_for_a_linear_and_a_logistic_curve():
    t = np.linspace(1.0, 3.0, 9)
    assert crossing.half_crossing(t, 1.0 - (t - 1.0) / 2.0) == pytest.approx(2.0)
    # logistic with centre 2.2692: linear interpolation is exact to O(dt^2)
    t = np.linspace(2.0, 2.5, 101)
    centre = crossing.half_crossing(t, expit(-(t - 2.2692) / 0.05))
    assert centre == pytest.approx(2.2692, abs=1e-5)
    assert math.isnan(crossing.half_crossing(t, np.full_like(t, 0.9)))


def test_rising_crossing_of_a_linear_rise_is_exact_and_mirrors_the_falling_one():
    betas = np.linspace(1.5, 2.5, 6)
    assert crossing.half_crossing(betas, betas - 1.5, rising=True) == pytest.approx(2.0, abs=1e-12)
    assert np.isnan(crossing.half_crossing(betas, np.full(6, 0.2), rising=True))
    # a curve rising in x falls in -x: the two crossings are mirror images
    x = np.linspace(0.0, 1.0, 21)
    p = expit((x - 0.37) / 0.1)
    mirrored = crossing.half_crossing(-x[::-1], p[::-1])
    assert crossing.half_crossing(x, p, rising=True) == pytest.approx(-mirrored, abs=1e-12)
    # a falling curve has no rising crossing
    assert np.isnan(crossing.half_crossing(x, 1.0 - p, rising=True))


def test_finite_size_fit_recovers_an_exact_scaling_form():
    L = np.array([8, 16, 28, 32])
    tc_inf, a = 2.269185, 0.83
    est, slope, _ = crossing.fit_finite_size(L, tc_inf + a / L, np.full(4, 0.01), nu=1.0)
    assert est == pytest.approx(tc_inf, abs=1e-12) and slope == pytest.approx(a, abs=1e-10)


def test_extrapolation_bootstrap_error_matches_the_scatter_it_is_given():
    rng = np.random.default_rng(3)
    L = np.array([8.0, 16.0, 32.0])
    boot = (2.27 + 0.5 / L)[:, None] + rng.normal(0, 0.01, (3, 400))
    ex = crossing.extrapolate_with_bootstrap(L, 2.27 + 0.5 / L, boot)
    assert ex["tc"] == pytest.approx(2.27, abs=1e-9)
    # error propagation of the WLS intercept with equal errors sigma = 0.01
    A = np.column_stack([np.ones(3), 1 / L])
    expected = 0.01 * math.sqrt(np.linalg.inv(A.T @ A)[0, 0])
    assert ex["tc_err"] == pytest.approx(expected, rel=0.15)
    ex_nan = crossing.extrapolate_with_bootstrap(L, [np.nan, np.nan, 2.3], boot)
    assert math.isnan(ex_nan["tc"])


# Pseudo-critical points x(L) = x_c + a L^(-1/nu) of the SU(2) deconfinement transition
# (3D Ising nu): the known truth of the synthetic extrapolations below.
X_C, SLOPE, NU_3D, SCALING_SIZES = 1.88, -0.9, 0.63, np.array([6, 8, 10, 12])


def _coverage(pulls) -> tuple[float, float, float]:
    pulls = np.asarray(pulls)
    return pulls.mean(), np.mean(np.abs(pulls) < 1), np.mean(np.abs(pulls) < 2)


def test_extrapolation_recovers_the_critical_point_with_calibrated_errors():
    """Crossings x_c + a L^(-1/nu) + Gaussian noise (a different error per size), with
    bootstrap replicates drawn from the same noise: the extrapolated x_c is unbiased, and
    its error covers the truth at the Gaussian rates (68 % within 1 sigma, 95 % within 2)."""
    rng = np.random.default_rng(2024)
    sigma = np.array([0.006, 0.004, 0.005, 0.003])
    exact = X_C + SLOPE * SCALING_SIZES ** (-1 / NU_3D)
    pulls, chi2 = [], []
    for _ in range(400):
        observed = exact + rng.normal(0, sigma)
        boot = observed[:, None] + rng.normal(0, sigma[:, None], (4, 100))
        ex = crossing.extrapolate_with_bootstrap(SCALING_SIZES, observed, boot, NU_3D)
        pulls.append((ex["tc"] - X_C) / ex["tc_err"])
        chi2.append(crossing.extrapolation_chi2(SCALING_SIZES, observed, ex, NU_3D)[0])
    mean, within_1, within_2 = _coverage(pulls)
    assert abs(mean) < 0.15  # 3 standard errors of the mean of 400 unit pulls
    assert 0.62 < within_1 < 0.74 and within_2 > 0.92, (within_1, within_2)
    assert np.mean(chi2) == pytest.approx(2.0, rel=0.2)  # chi2 with 4 - 2 degrees of freedom


def test_ensemble_extrapolation_adds_the_members_spread_and_stays_calibrated():
    """Ten members whose decision thresholds sit a fixed offset from the ensemble's at every
    size (spread tau), plus sampling noise: the combined error (bootstrap + spread of the
    members' extrapolations) covers x_c, and the ensemble part estimates tau / sqrt(10)."""
    rng = np.random.default_rng(7)
    sigma, tau, members = 0.004, 0.01, 10
    exact = X_C + SLOPE * SCALING_SIZES ** (-1 / NU_3D)
    pulls, spreads = [], []
    for _ in range(300):
        offsets = rng.normal(0, tau, members)
        noise = rng.normal(0, sigma, len(SCALING_SIZES))
        crossings = [
            EnsembleCrossing(
                value=x + offsets.mean() + e,
                bootstrap=x + offsets.mean() + e + rng.normal(0, sigma, 100),
                per_member=x + offsets + e,
            )
            for x, e in zip(exact, noise)
        ]
        ex = extrapolate_ensemble(SCALING_SIZES, crossings, NU_3D)
        pulls.append((ex["tc"] - X_C) / ex["tc_err"])
        spreads.append(ex["ensemble_error"])
        assert ex["tc_err"] == pytest.approx(math.hypot(ex["bootstrap_error"], spreads[-1]))
    _, within_1, within_2 = _coverage(pulls)
    assert 0.6 < within_1 < 0.76 and within_2 > 0.9, (within_1, within_2)
    assert np.mean(spreads) == pytest.approx(tau / math.sqrt(members), rel=0.15)


def _scaling_order_parameter(T, L, tc_inf=2.269185):
    """|M|-like observable with the exact finite-size scaling form L^(-1/8) g((T - Tc) L):
    g(x) -> |x|^(1/8) for x -> -oo, so O -> |T - Tc|^(1/8) in the ordered phase for L -> oo."""
    x = (np.asarray(T) - tc_inf) * L
    return L ** (-1 / 8) * (np.logaddexp(0.0, -x) + 0.3) ** (1 / 8)


def test_order_parameter_rescaling_puts_threshold_crossings_on_the_nu_1_extrapolation():
    """A classifier thresholding O at m* (trained at L0): with O rescaled by (L/L0)^(1/8) the
    crossings are Tc + x*/L exactly, so the nu = 1 fit recovers Tc; unscaled they are not."""
    T, L0, sizes, m_star = np.linspace(1.8, 3.0, 24001), 28, np.array([8, 16, 28, 32, 64]), 0.7
    crossings = {}
    for beta_over_nu in (0.125, 0.0):
        crossings[beta_over_nu] = [
            crossing.half_crossing(
                T,
                expit(
                    40
                    * (
                        crossing.order_parameter_scale(L, L0, beta_over_nu)
                        * _scaling_order_parameter(T, L)
                        - m_star
                    )
                ),
            )
            for L in sizes
        ]
    scaled, _, _ = crossing.fit_finite_size(sizes, crossings[0.125], np.ones(len(sizes)))
    plain, _, _ = crossing.fit_finite_size(sizes, crossings[0.0], np.ones(len(sizes)))
    assert scaled == pytest.approx(2.269185, abs=2e-4)
    assert abs(plain - 2.269185) > 10 * abs(scaled - 2.269185)
    assert crossing.order_parameter_scale(L0, L0, 0.125) == 1.0
    with pytest.raises(ValueError, match="positive"):
        crossing.order_parameter_scale(0, L0, 0.125)


# --- ensembles --------------------------------------------------------------------------------

GRID = np.linspace(1.5, 3.0, 16)


def noisy_members(thresholds, n_samples, noise, rng, width=0.2):
    """P (member, grid point, sample): each member a logistic step at its own threshold,
    plus independent Gaussian noise per sample; a few samples not evaluated (NaN)."""
    clean = expit(-(GRID[None, :] - np.asarray(thresholds)[:, None]) / width)
    p = clean[:, :, None] + rng.normal(0, noise, (len(thresholds), len(GRID), n_samples))
    p[:, :, ::7] = np.nan
    return p


def test_ensemble_members_recover_their_own_thresholds_and_their_spread():
    thresholds = np.array([2.20, 2.25, 2.31, 2.28])
    p = noisy_members(thresholds, 40, 0.0, np.random.default_rng(0))
    est = ensemble_crossing(GRID, p, np.random.default_rng(1), 50)
    # noiseless logistic steps: linear interpolation on this grid is good to a few 1e-3
    np.testing.assert_allclose(est.per_member, thresholds, atol=5e-3)
    assert est.ensemble_error == pytest.approx(
        np.std(thresholds, ddof=1) / np.sqrt(len(thresholds)), rel=0.1
    )
    assert est.bootstrap_error == pytest.approx(
        0.0, abs=1e-12
    )  # no sample noise: every resample gives the same crossing
    assert est.error == pytest.approx(est.ensemble_error)
    assert thresholds.min() < est.value < thresholds.max()
    mean, sem, n = ensemble_curve(p)
    assert est.value == crossing.half_crossing(GRID, mean)
    np.testing.assert_array_equal(n, np.isfinite(p[0]).sum(axis=1))
    np.testing.assert_allclose(sem, 0.0, atol=1e-12)


def test_bootstrap_error_matches_the_scatter_over_independent_data_sets():
    """The resampled crossings of one data set spread as the crossings of independent
    repetitions of the experiment do."""
    rng = np.random.default_rng(2)
    thresholds, n_samples, noise = [2.25, 2.25], 30, 0.3
    repeated = [
        ensemble_crossing(GRID, noisy_members(thresholds, n_samples, noise, rng), rng, 1).value
        for _ in range(300)
    ]
    truth = np.std(repeated, ddof=1)
    errors = [
        ensemble_crossing(GRID, noisy_members(thresholds, n_samples, noise, rng), rng, 200)
        for _ in range(10)
    ]
    assert np.median([e.bootstrap_error for e in errors]) == pytest.approx(truth, rel=0.25)
    e = errors[0]
    assert e.error == pytest.approx(math.hypot(e.bootstrap_error, e.ensemble_error))
    assert e.failed_resamples == 0


def test_a_rising_ensemble_gives_the_mirror_of_the_falling_one():
    rng = np.random.default_rng(4)
    p = noisy_members([2.1, 2.3, 2.2], 24, 0.2, rng)
    falling = ensemble_crossing(GRID, p, np.random.default_rng(5), 30)
    # the same experiment on the grid reversed in sign: P rises
    mirrored = ensemble_crossing(-GRID[::-1], p[:, ::-1], np.random.default_rng(5), 30, True)
    assert mirrored.value == pytest.approx(-falling.value, abs=1e-12)
    np.testing.assert_allclose(mirrored.per_member, -falling.per_member, atol=1e-12)
    # P of the other phase, 1 - P, rises through 1/2 where P falls, resample by resample
    other = ensemble_crossing(GRID, 1.0 - p, np.random.default_rng(5), 30, rising=True)
    assert other.value == pytest.approx(falling.value, abs=1e-12)
    np.testing.assert_allclose(other.bootstrap, falling.bootstrap, atol=1e-12)
    np.testing.assert_allclose(other.per_member, falling.per_member, atol=1e-12)


def test_errors_of_missing_crossings():
    assert math.isnan(bootstrap_error(np.array([np.nan, 2.0])))
    assert bootstrap_error(np.array([1.0, np.nan, 3.0])) == pytest.approx(math.sqrt(2.0))
    assert ensemble_error([2.0, np.nan]) == 0.0  # fewer than two members cross
    assert ensemble_error([1.0, np.nan, 3.0]) == pytest.approx(1.0)
    p = np.full((2, len(GRID), 5), 0.9)  # never crosses
    est = ensemble_crossing(GRID, p, np.random.default_rng(0), 4)
    assert math.isnan(est.value) and est.failed_resamples == 4
    assert math.isnan(est.bootstrap_error) and est.ensemble_error == 0.0
