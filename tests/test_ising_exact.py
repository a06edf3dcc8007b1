"""Exact Ising results checked against independent facts: enumeration, Onsager, expansions."""

import numpy as np
import pytest

from physlens.ising import exact
from physlens.ising.exact import TC_EXACT


def _enumerated(T, rows, cols=None):
    """(ln Z, <E>/N) of a small torus by brute force."""
    values, counts = exact.enumerate_torus(rows, cols)
    n = rows * (rows if cols is None else cols)
    logw = np.log(counts) - values / T
    log_z = np.logaddexp.reduce(logw)
    return log_z, float((np.exp(logw - log_z) * values).sum() / n)


def test_enumeration_counts_every_state_and_knows_the_ground_state():
    values, counts = exact.enumerate_torus(4)
    assert counts.sum() == 2**16
    assert values.min() == -32 and counts[0] == 2  # two ordered states, 2N bonds
    assert values.max() == 32 and counts[-1] == 2  # two Neel states (L even)
    assert -28 not in values  # one flipped spin costs 8: no state at E0 + 4
    np.testing.assert_array_equal(counts, counts[::-1])  # E -> -E symmetry of the bipartite torus


def test_energy_distribution_is_normalised_and_tends_to_ground_state():
    e, p = exact.exact_energy_distribution(0.2, 4)
    assert p.sum() == pytest.approx(1.0)
    assert p[np.argmin(e)] > 0.999999


@pytest.mark.parametrize("T", [0.8, 1.5, 2.0, TC_EXACT, 2.6, 4.0, 50.0])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (4, 5)])
def test_kaufman_matches_enumeration(T, shape):
    log_z, energy = _enumerated(T, *shape)
    assert exact.kaufman_log_z(T, *shape) == pytest.approx(log_z, rel=1e-12)
    assert exact.kaufman_energy(T, *shape) == pytest.approx(energy, abs=1e-11)


@pytest.mark.parametrize("T", [1.2, 2.0, TC_EXACT, 2.5, 3.5])
def test_kaufman_energy_is_the_derivative_of_its_log_z(T):
    L, h = 24, 1e-5
    beta = 1 / T
    dlogz = (exact.kaufman_log_z(1 / (beta + h), L) - exact.kaufman_log_z(1 / (beta - h), L)) / (
        2 * h
    )
    assert exact.kaufman_energy(T, L) == pytest.approx(-dlogz / L**2, abs=1e-7)


@pytest.mark.parametrize("T", [1.0, 1.8, 2.0, 2.6, 3.0, 5.0])
def test_kaufman_approaches_onsager_away_from_tc(T):
    # correlation length is a few sites here: finite-size corrections are exponentially small
    assert exact.kaufman_energy(T, 128) == pytest.approx(exact.onsager_energy(T), abs=1e-9)


def test_finite_lattice_energy_at_tc_differs_from_infinite():
    # at Tc the energy converges as 1/L (Ferdinand & Fisher 1969): L * (u_L - u_inf) -> const
    d = [L * (exact.kaufman_energy(TC_EXACT, L) - (-np.sqrt(2))) for L in (32, 64, 128)]
    assert d[0] < 0 and abs(d[2] - d[1]) < 0.02 * abs(d[1])


def test_onsager_energy_at_tc_is_minus_sqrt2():
    assert exact.onsager_energy(TC_EXACT) == pytest.approx(-np.sqrt(2), abs=1e-12)
    # continuous across Tc (the specific heat diverges, the energy does not jump)
    assert exact.onsager_energy(TC_EXACT * (1 + 1e-9)) == pytest.approx(-np.sqrt(2), abs=1e-6)


@pytest.mark.parametrize("T", [1.0, 2.0, 2.2, 2.4, 3.0])
def test_onsager_energy_is_derivative_of_the_double_integral(T):
    """u = -d(-beta f)/d beta, with -beta f from direct quadrature of Onsager's integral."""
    h = 1e-4
    beta = 1 / T
    plus = exact.onsager_free_energy(1 / (beta + h))
    minus = exact.onsager_free_energy(1 / (beta - h))
    assert exact.onsager_energy(T) == pytest.approx(-(plus - minus) / (2 * h), abs=1e-6)


def test_onsager_energy_limits():
    # low-T expansion in x = e^-4b: one flipped spin breaks 4 bonds (x^2 per site), two
    # neighbouring flipped spins break 6 (2 orientations: 2 x^3), so -b f = 2b + x^2 + 2x^3
    # + O(x^4) and u = -2 + 8x^2 + 24x^3 + O(x^4)
    T = 0.6
    x = np.exp(-4 / T)
    assert exact.onsager_energy(T) == pytest.approx(
        -2 + 8 * x**2 + 24 * x**3, rel=0, abs=200 * x**4
    )
    # high-T expansion in t = tanh b: Z ~ cosh(b)^2N (1 + N t^4 + ...) (smallest closed loop:
    # one plaquette), so u = -2t - 4t^3 + O(t^5)
    t = np.tanh(1 / 40.0)
    assert exact.onsager_energy(40.0) == pytest.approx(-2 * t - 4 * t**3, rel=0, abs=50 * t**5)


def test_spontaneous_magnetisation():
    assert exact.spontaneous_magnetization(TC_EXACT + 1e-3) == 0.0
    assert exact.spontaneous_magnetization(5.0) == 0.0
    # low-temperature series (Domb): m = 1 - 2x^2 - 8x^3 - 34x^4, x = e^-4b
    T = 0.8
    x = np.exp(-4 / T)
    assert exact.spontaneous_magnetization(T) == pytest.approx(
        1 - 2 * x**2 - 8 * x**3 - 34 * x**4, abs=200 * x**5
    )
    # beta = 1/8: log m against log(Tc - T) has slope 1/8 close to Tc
    t = np.array([1e-7, 1e-6])
    m = exact.spontaneous_magnetization(TC_EXACT - t)
    assert np.diff(np.log(m))[0] / np.diff(np.log(t))[0] == pytest.approx(0.125, rel=1e-3)
    # vectorised and monotone decreasing below Tc
    grid = np.linspace(0.5, 2.26, 50)
    assert np.all(np.diff(exact.spontaneous_magnetization(grid)) < 0)
