"""SU(2) algebra, lattice geometry and gauge invariance, against explicit 2x2 matrices."""

import numpy as np
import pytest

from physlens.su2 import kernels
from physlens.su2.lattice import MU_AXIS, make_lattice
from physlens.su2.observables import average_plaquette, gauge_transform, polyakov_loop
from physlens.su2.quaternion import dagger, multiply, qmul, qmul_dag, random_su2, to_matrix


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(2017)


def test_quaternion_product_is_the_su2_matrix_product(rng):
    a, b = random_su2(rng, (50,)), random_su2(rng, (50,))
    expected = to_matrix(a) @ to_matrix(b)
    assert np.allclose(to_matrix(multiply(a, b)), expected, atol=1e-14)
    assert np.allclose(to_matrix(dagger(a)), np.conj(np.swapaxes(to_matrix(a), -1, -2)), atol=1e-15)
    for i in range(5):  # the numba versions used in the kernels
        assert np.allclose(qmul(tuple(a[i]), tuple(b[i])), multiply(a[i], b[i]), atol=1e-15)
        assert np.allclose(
            qmul_dag(tuple(a[i]), tuple(b[i])), multiply(a[i], dagger(b[i])), atol=1e-15
        )


def test_quaternions_represent_su2(rng):
    m = to_matrix(random_su2(rng, (20,)))
    assert np.allclose(m @ np.conj(np.swapaxes(m, -1, -2)), np.eye(2), atol=1e-14)
    assert np.allclose(np.linalg.det(m), 1.0, atol=1e-14)


def test_neighbour_tables_are_periodic_and_inverse():
    lat = make_lattice(4, 2)
    sites = np.arange(lat.volume)
    coords = np.stack(np.unravel_index(sites, lat.shape), axis=1)  # (t, z, y, x)
    for mu, axis in enumerate(MU_AXIS):
        assert np.array_equal(lat.bwd[lat.fwd[:, mu], mu], sites)
        step = np.zeros(4, dtype=int)
        step[axis] = 1
        expected = np.ravel_multi_index(tuple(((coords + step) % lat.shape).T), lat.shape)
        assert np.array_equal(lat.fwd[:, mu], expected)
    # checkerboard: every neighbour has the other parity, so a (mu, parity) batch is independent
    parity = coords.sum(axis=1) % 2
    assert np.all(parity[lat.fwd] != parity[:, None])
    assert sorted(np.concatenate(lat.parity_sites)) == list(sites)


@pytest.mark.parametrize("n_s, n_t", [(3, 2), (4, 3), (0, 2)])
def test_odd_extents_are_rejected(n_s, n_t):
    with pytest.raises(ValueError, match="even"):
        make_lattice(n_s, n_t)


def _plaquette_by_matrices(links, t, z, y, x, mu, nu):
    """1/2 Re tr U_mu(x) U_nu(x+mu) U_mu(x+nu)^+ U_nu(x)^+ from 2x2 complex matrices."""
    shape = links.shape[:4]

    def site_plus(c, d):
        c = list(c)
        c[MU_AXIS[d]] = (c[MU_AXIS[d]] + 1) % shape[MU_AXIS[d]]
        return tuple(c)

    x0 = (t, z, y, x)
    m = to_matrix(links)
    u = (
        m[x0][mu]
        @ m[site_plus(x0, mu)][nu]
        @ m[site_plus(x0, nu)][mu].conj().T
        @ m[x0][nu].conj().T
    )
    return 0.5 * np.trace(u).real


def test_plaquette_and_polyakov_kernels_match_matrix_products(rng):
    lat = make_lattice(4, 2)
    links = random_su2(rng, (*lat.shape, 4))
    per_site = kernels.site_plaquettes(links.reshape(-1, 4, 4), lat.fwd).reshape(lat.shape)
    for site in [(0, 0, 0, 0), (1, 3, 2, 3), (1, 0, 3, 1)]:
        expected = sum(
            _plaquette_by_matrices(links, *site, mu, nu)
            for mu in range(4)
            for nu in range(mu + 1, 4)
        )
        assert per_site[site] == pytest.approx(expected, abs=1e-13)
    m = to_matrix(links[..., 0, :])  # time links
    lines = 0.5 * np.trace(m[0] @ m[1], axis1=-2, axis2=-1).real
    assert polyakov_loop(links, lat) == pytest.approx(lines.mean(), abs=1e-14)


def test_gauge_transformation_leaves_plaquettes_and_polyakov_lines_unchanged(rng):
    lat = make_lattice(4, 2)
    links = random_su2(rng, (*lat.shape, 4))
    g = random_su2(rng, lat.shape)
    moved = gauge_transform(links, g)
    assert np.abs(moved - links).max() > 0.1  # the transformation is not trivial
    flat, flat_moved = links.reshape(-1, 4, 4), moved.reshape(-1, 4, 4)
    np.testing.assert_allclose(
        kernels.site_plaquettes(flat_moved, lat.fwd),
        kernels.site_plaquettes(flat, lat.fwd),
        atol=1e-13,
    )
    np.testing.assert_allclose(
        kernels.polyakov_lines(flat_moved, lat.n_t),
        kernels.polyakov_lines(flat, lat.n_t),
        atol=1e-14,
    )
    assert average_plaquette(moved, lat) == pytest.approx(average_plaquette(links, lat), abs=1e-14)


def test_staple_gives_the_local_action(rng):
    """sum_p 1/2 tr U_p = const + (U_mu(s) A)_0: changing one link changes it by ((U' - U) A)_0."""
    lat = make_lattice(4, 4)
    links = random_su2(rng, (*lat.shape, 4))
    flat = links.reshape(-1, 4, 4)
    for s, mu in [(0, 0), (17, 1), (lat.volume - 1, 2), (130, 3)]:
        a = np.array(kernels.staple(flat, lat.fwd, lat.bwd, s, mu))
        before = kernels.site_plaquettes(flat, lat.fwd).sum()
        old, new = flat[s, mu].copy(), random_su2(rng)
        flat[s, mu] = new
        after = kernels.site_plaquettes(flat, lat.fwd).sum()
        assert after - before == pytest.approx(multiply(new, a)[0] - multiply(old, a)[0], abs=1e-12)
