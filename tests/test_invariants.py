"""Pair generators for siamese nets: exact physics, invariants, balance, determinism."""

import numpy as np
import pytest

from physlens.invariants import DATASETS, make_pairs
from physlens.invariants import physics as ph

RNG = np.random.default_rng(12345)


def test_kepler_state_has_the_orbits_energy_and_angular_momentum():
    a, e = RNG.uniform(0.5, 2.0, 50), RNG.uniform(0.0, 0.9, 50)
    omega, M = RNG.uniform(0, 2 * np.pi, 50), RNG.uniform(0, 2 * np.pi, 50)
    x, y, vx, vy = ph.kepler_state(a, e, omega, M).T
    np.testing.assert_allclose(ph.kepler_energy(x, y, vx, vy), -1 / (2 * a), rtol=1e-12)
    np.testing.assert_allclose(
        ph.angular_momentum(x, y, vx, vy), np.sqrt(a * (1 - e**2)), rtol=1e-12
    )


def test_analytic_orbit_agrees_with_symplectic_integration():
    """Advance the mean anomaly by n*t analytically and integrate the same time with leapfrog."""
    a, e, omega, M0 = 1.3, 0.6, 0.4, 0.2
    t, steps = 2.0, 20000
    start = ph.kepler_state(a, e, omega, M0)
    traj = ph.leapfrog(start, t / steps, steps)
    end = ph.kepler_state(a, e, omega, M0 + np.sqrt(1 / a**3) * t)
    np.testing.assert_allclose(traj[-1], end, atol=1e-6)
    L = ph.angular_momentum(*traj.T)
    assert np.ptp(L) < 1e-12  # exact for a central force in velocity Verlet
    E = ph.kepler_energy(*traj.T)
    assert np.ptp(E) < 1e-5  # bounded O(dt^2) energy error


def test_field_boost_along_x_matches_the_textbook_components():
    E, B, v = np.array([0.3, -1.2, 0.7]), np.array([1.1, 0.4, -0.5]), 0.6
    g = 1 / np.sqrt(1 - v**2)
    Ep, Bp = ph.boost_fields(E, B, np.array([v, 0.0, 0.0]))
    np.testing.assert_allclose(Ep, [E[0], g * (E[1] - v * B[2]), g * (E[2] + v * B[1])], rtol=1e-14)
    np.testing.assert_allclose(Bp, [B[0], g * (B[1] + v * E[2]), g * (B[2] - v * E[1])], rtol=1e-14)


def test_field_invariants_hold_to_machine_precision_and_boosts_invert():
    E, B = RNG.standard_normal((1000, 3)), RNG.standard_normal((1000, 3))
    beta = ph.random_velocity(RNG, 1000, 0.95)
    Ep, Bp = ph.boost_fields(E, B, beta)
    np.testing.assert_allclose(np.sum(Ep * Bp, 1), np.sum(E * B, 1), atol=1e-12 * 50)
    np.testing.assert_allclose(np.sum(Ep**2 - Bp**2, 1), np.sum(E**2 - B**2, 1), atol=1e-12 * 50)
    Eb, Bb = ph.boost_fields(Ep, Bp, -beta)
    np.testing.assert_allclose(Eb, E, atol=1e-10)
    np.testing.assert_allclose(Bb, B, atol=1e-10)
    with pytest.raises(ValueError, match="below c"):
        ph.boost_fields(E[:1], B[:1], np.array([[1.0, 0.0, 0.0]]))


def test_four_vector_boost():
    p, v = np.array([1.5, 0.2, -0.3, 0.9]), 0.7
    g = 1 / np.sqrt(1 - v**2)
    q = ph.boost_four_vector(p, np.array([v, 0, 0]))
    np.testing.assert_allclose(
        q, [g * (p[0] - v * p[1]), g * (p[1] - v * p[0]), p[2], p[3]], rtol=1e-14
    )
    P = RNG.standard_normal((500, 4))
    Q = ph.boost_four_vector(P, ph.random_velocity(RNG, 500, 0.9))
    norm = lambda u: u[:, 0] ** 2 - np.sum(u[:, 1:] ** 2, 1)  # noqa: E731
    np.testing.assert_allclose(norm(Q), norm(P), atol=1e-11)


def test_random_rotations_are_proper_and_orthogonal():
    R = ph.random_rotation(RNG, 200)
    np.testing.assert_allclose(
        np.einsum("nij,nkj->nik", R, R), np.broadcast_to(np.eye(3), R.shape), atol=1e-12
    )
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_pairs_are_balanced_and_positives_share_the_invariant(name):
    ds = make_pairs(name, 400, seed=3)
    assert ds.label.sum() == 200
    assert ds.attrs["max_invariant_violation"] < 1e-9
    inv = ds.invariant.values
    pos, neg = ds.label.values == 1, ds.label.values == 0
    scale = np.abs(inv).mean()
    assert np.max(np.abs(inv[pos, 0] - inv[pos, 1])) < 1e-9 * scale
    assert np.median(np.abs(inv[neg, 0] - inv[neg, 1])) > 0.05 * scale
    assert (ds.group.values[neg, 0] != ds.group.values[neg, 1]).all()
    # positives and negatives are made of exactly the same points, so only pairing differs
    for member in (0, 1):
        np.testing.assert_array_equal(
            np.sort(ds.x.values[pos, member], axis=0), np.sort(ds.x.values[neg, member], axis=0)
        )


def test_split_never_shares_a_group_between_train_and_test():
    ds = make_pairs("central_potential", 2000, seed=1, test_fraction=0.25)
    train = set(ds.group.values[ds.split.values == 0].ravel())
    test = set(ds.group.values[ds.split.values == 1].ravel())
    assert not train & test
    assert 0.15 < ds.split.mean() < 0.5


def test_same_seed_same_pairs_and_other_seed_differs():
    a = make_pairs("em_fields", 200, seed=9)
    b = make_pairs("em_fields", 200, seed=9)
    c = make_pairs("em_fields", 200, seed=10)
    assert np.array_equal(a.x.values, b.x.values)
    assert not np.array_equal(a.x.values, c.x.values)


def test_bad_requests_are_named():
    with pytest.raises(KeyError, match="unknown pair dataset 'kepler'"):
        make_pairs("kepler", 100, seed=0)
    with pytest.raises(KeyError, match="beta"):
        make_pairs("em_fields", 100, seed=0, params={"beta": 0.5})
    with pytest.raises(ValueError, match="even number"):
        make_pairs("em_fields", 7, seed=0)
