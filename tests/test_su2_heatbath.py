"""Heat bath and overrelaxation: exact single-link distribution, action conservation, SU(2)."""

import numpy as np
import pytest
from scipy import special, stats

from physlens.ising.rng import xoshiro_states
from physlens.su2 import kernels
from physlens.su2.lattice import make_lattice
from physlens.su2.quaternion import dagger, multiply, random_su2


def exact_a0_cdf(alpha: float):
    """CDF of a0 with density ~ sqrt(1 - a0^2) exp(alpha a0) on [-1, 1] (tabulated)."""
    x = np.linspace(-1.0, 1.0, 400001)
    pdf = np.sqrt(1.0 - x * x) * np.exp(alpha * (x - 1.0))  # scaled by exp(-alpha): no overflow
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(x))])
    # normalisation: integral = pi I1(alpha) / alpha (times exp(-alpha)); pi/2 at alpha = 0
    norm = np.pi / 2 if alpha == 0 else np.pi * special.ive(1, alpha) / alpha
    assert cdf[-1] == pytest.approx(norm, rel=1e-6)  # the table is accurate
    return lambda a: np.interp(a, x, cdf / cdf[-1])


@pytest.mark.parametrize("alpha", [0.0, 0.4, 1.9, 2.1, 6.0, 25.0])
def test_a0_sampler_matches_exact_density(alpha):
    """Creutz branch below KP_MIN_ALPHA = 2, Kennedy-Pendleton above; KS test, 20000 draws."""
    state = xoshiro_states([12345 + int(alpha * 10)])[0]
    draws = np.array([kernels.sample_a0(alpha, state) for _ in range(20000)])
    assert np.all(np.abs(draws) <= 1.0)
    result = stats.kstest(draws, exact_a0_cdf(alpha))
    assert result.pvalue > 1e-3, result
    # and the mean against the exact <a0> = I2(alpha) / I1(alpha) (= 0 at alpha = 0)
    mean = 0.0 if alpha == 0 else special.ive(2, alpha) / special.ive(1, alpha)
    assert abs(draws.mean() - mean) < 5 * draws.std() / np.sqrt(len(draws))


@pytest.mark.parametrize("alpha_target", [0.8, 5.0])
def test_heatbath_link_samples_the_conditional_distribution(alpha_target):
    """Repeated heat-bath updates of one link in a fixed staple A = k V: W = U V must have
    w0 ~ sqrt(1 - w0^2) exp(beta k w0) and an isotropic vector part."""
    rng = np.random.default_rng(7)
    lat = make_lattice(4, 2)
    links = random_su2(rng, (*lat.shape, 4))
    flat = links.reshape(-1, 4, 4)
    s, mu = 37, 2
    a = np.array(kernels.staple(flat, lat.fwd, lat.bwd, s, mu))
    k = np.linalg.norm(a)
    beta = alpha_target / k
    v = a / k
    state = xoshiro_states([99])[0]
    n = 20000
    u = np.empty((n, 4))
    for i in range(n):
        kernels.heatbath_link(flat, lat.fwd, lat.bwd, s, mu, beta, state)
        u[i] = flat[s, mu]
    # the update touched only this link, so the staple is still A
    assert np.allclose(kernels.staple(flat, lat.fwd, lat.bwd, s, mu), a, atol=1e-14)
    w = multiply(u, v)
    assert stats.kstest(w[:, 0], exact_a0_cdf(beta * k)).pvalue > 1e-3
    # isotropy: each vector component has mean 0 and variance (1 - <w0^2>) / 3
    var = (1.0 - np.mean(w[:, 0] ** 2)) / 3
    for c in (1, 2, 3):
        assert abs(w[:, c].mean()) < 5 * np.sqrt(var / n)
        assert np.mean(w[:, c] ** 2) == pytest.approx(var, rel=0.05)


def test_overrelaxation_keeps_the_action_and_is_an_involution():
    rng = np.random.default_rng(3)
    lat = make_lattice(4, 2)
    links = random_su2(rng, (*lat.shape, 4))
    flat = links.reshape(-1, 4, 4)
    before = kernels.site_plaquettes(flat, lat.fwd).sum()
    u0 = flat[5, 1].copy()
    kernels.overrelax_link(flat, lat.fwd, lat.bwd, 5, 1)
    assert np.abs(flat[5, 1] - u0).max() > 1e-3  # the link moved...
    assert kernels.site_plaquettes(flat, lat.fwd).sum() == pytest.approx(
        before, abs=1e-12
    )  # ...on S = const
    kernels.overrelax_link(flat, lat.fwd, lat.bwd, 5, 1)
    np.testing.assert_allclose(flat[5, 1], u0, atol=1e-14)  # reflection twice is the identity
    original = flat.copy()
    kernels.overrelax_sweep(flat, lat.fwd, lat.bwd, lat.parity_sites)
    assert np.abs(flat - original).max() > 0.1
    assert kernels.site_plaquettes(flat, lat.fwd).sum() == pytest.approx(before, abs=1e-10)


def test_links_stay_in_su2_after_many_sweeps():
    lat = make_lattice(4, 2)
    links = random_su2(np.random.default_rng(5), (*lat.shape, 4))
    flat = links.reshape(-1, 4, 4)
    states = xoshiro_states(list(range(lat.volume)))
    kernels.update_sweeps(flat, lat.fwd, lat.bwd, lat.parity_sites, 2.2, 4, 300, states, False)
    assert kernels.link_norm_deviation(flat) < 1e-12
    # a unit quaternion is a matrix in SU(2): U U^+ = 1 via the quaternion product
    np.testing.assert_allclose(
        multiply(flat, dagger(flat)), np.broadcast_to([1.0, 0, 0, 0], flat.shape), atol=1e-12
    )
