"""SciNet's data generators against independent truth: the damped oscillator against a numerical
integration of its equation of motion, the planetary angles against Kepler's circular-orbit
results (third law, oppositions, synodic period, retrograde rate)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from physlens.scinet import systems as S

PERIODS = {"earth": 365.256, "mars": 686.98}


@pytest.mark.parametrize(("kappa", "b"), [(5.0, 0.5), (7.3, 0.8), (10.0, 1.0)])
def test_damped_oscillator_solves_its_equation_of_motion(kappa, b):
    t = np.linspace(0, 10, 201)
    omega = S.damped_frequency(kappa, b)
    # x(0) = 1, x'(0) = -b/2: the initial state of exp(-b t/2) cos(omega t)
    sol = solve_ivp(
        lambda _, y: [y[1], -b * y[1] - kappa * y[0]],
        (0, 10),
        [1.0, -b / 2],
        t_eval=t,
        rtol=1e-11,
        atol=1e-12,
    )
    np.testing.assert_allclose(S.damped_oscillator(t, kappa, b), sol.y[0], atol=1e-8)
    assert omega == pytest.approx(np.sqrt(kappa - b**2 / 4))


def test_undamped_limit_and_overdamped_error():
    t = np.linspace(0, 3, 50)
    np.testing.assert_allclose(S.damped_oscillator(t, 4.0, 0.0), np.cos(2 * t), atol=1e-14)
    with pytest.raises(ValueError, match="underdamped"):
        S.damped_frequency(1.0, 3.0)


def pendulum_cfg(**kw):
    cfg = {
        "n_samples": 40,
        "n_questions": 3,
        "n_obs": 50,
        "t_obs_max": 5.0,
        "t_question_max": 10.0,
        "kappa": [5.0, 10.0],
        "b": [0.5, 1.0],
    }
    return {**cfg, **kw}


def test_pendulum_dataset_holds_exact_answers_and_is_seeded():
    split = {"val_fraction": 0.2, "test_fraction": 0.2}
    ds = S.pendulum_dataset(pendulum_cfg(), split, np.random.default_rng(3), seed=3)
    again = S.pendulum_dataset(pendulum_cfg(), split, np.random.default_rng(3), seed=3)
    assert ds.identical(again)
    assert ds["time"].values[[0, -1]].tolist() == [0.0, 5.0] and ds.sizes["time"] == 50
    k, b = ds["kappa"].values, ds["b"].values
    assert (k >= 5).all() and (k <= 10).all() and (b >= 0.5).all() and (b <= 1).all()
    i = 7
    np.testing.assert_allclose(ds["observation"].values[i, 0], 1.0)  # x(0) = A0 = 1
    t_q = ds["question"].values[i]
    np.testing.assert_allclose(ds["answer"].values[i], S.damped_oscillator(t_q, k[i], b[i]))
    assert sorted(np.unique(ds["split"].values)) == [0, 1, 2]
    assert np.sum(ds["split"].values == 2) == 8


def test_sun_seen_from_earth_is_opposite_earth_seen_from_sun():
    gen = np.random.default_rng(0)
    phi_e, phi_m = gen.uniform(-np.pi, np.pi, (2, 100))
    th_sun, _ = S.geocentric_angles(phi_e, phi_m, 1.0, 1.5)
    np.testing.assert_allclose(np.cos(th_sun - phi_e), -1.0, atol=1e-12)


def test_kepler_radius_of_mars():
    # Mars's semi-major axis 1.52366 AU (astronomical tables) from T^2 ∝ r^3 and the periods
    assert S.kepler_radius(PERIODS["mars"], PERIODS["earth"]) == pytest.approx(1.52366, abs=2e-4)
    assert S.kepler_radius(PERIODS["earth"], PERIODS["earth"]) == 1.0


def geocentric_track(days: np.ndarray, phi_e0=0.3, phi_m0=1.1):
    r_m = S.kepler_radius(PERIODS["mars"], PERIODS["earth"])
    phi_e = S.orbit_angles(days, phi_e0, PERIODS["earth"])
    phi_m = S.orbit_angles(days, phi_m0, PERIODS["mars"])
    return phi_e, phi_m, *S.geocentric_angles(phi_e, phi_m, 1.0, r_m), r_m


def test_oppositions_recur_with_the_synodic_period_and_mars_is_retrograde_there():
    days = np.arange(0.0, 4000.0, 0.05)
    phi_e, phi_m, th_sun, th_mars, r_m = geocentric_track(days)
    # opposition: Mars opposite the Sun in the sky, and on the Sun-Earth line in heliocentric terms
    elong = S.wrap_angle(th_mars - th_sun)
    opp = np.flatnonzero((np.abs(elong[:-1]) > 3) & (np.sign(elong[:-1]) != np.sign(elong[1:])))
    synodic = 1.0 / (1.0 / PERIODS["earth"] - 1.0 / PERIODS["mars"])
    assert len(opp) >= 4
    np.testing.assert_allclose(np.diff(days[opp]), synodic, atol=0.2)
    i = opp[1]
    assert abs(S.wrap_angle(phi_e[i] - phi_m[i])) < 1e-3
    assert abs(S.wrap_angle(th_mars[i] - phi_m[i])) < 1e-3
    # apparent angular velocity at opposition: (r_M w_M - r_E w_E) / (r_M - r_E) < 0 (retrograde)
    w_e, w_m = (2 * np.pi / PERIODS[p] for p in ("earth", "mars"))
    expected = (r_m * w_m - w_e) / (r_m - 1.0)
    rate = S.wrap_angle(th_mars[i + 1] - th_mars[i - 1]) / (days[i + 1] - days[i - 1])
    assert expected < 0
    assert rate == pytest.approx(expected, rel=1e-3)
    # far from opposition (at conjunction) Mars moves prograde
    conj = np.argmin(np.abs(elong))
    assert S.wrap_angle(th_mars[conj + 1] - th_mars[conj - 1]) > 0


def test_heliocentric_dataset_angles_and_increments():
    cfg = {"n_samples": 30, "n_steps": 12, "step_days": 7, "periods_days": PERIODS}
    split = {"val_fraction": 0.2, "test_fraction": 0.2}
    ds = S.heliocentric_dataset(cfg, split, np.random.default_rng(5), seed=5)
    inc = S.true_increments(ds.attrs)
    assert inc["earth"] == pytest.approx(2 * np.pi * 7 / 365.256)
    assert inc["earth"] / inc["mars"] == pytest.approx(686.98 / 365.256)
    for p in S.PLANETS:
        steps = S.wrap_angle(np.diff(ds[f"phi_{p}"].values, axis=1))
        np.testing.assert_allclose(steps, inc[p], atol=1e-12)
    obs = ds["observation"].values
    np.testing.assert_allclose(
        np.arctan2(obs[..., 1], obs[..., 0]), ds["theta_sun"].values, atol=1e-12
    )
    np.testing.assert_allclose(np.hypot(obs[..., 2], obs[..., 3]), 1.0)
    np.testing.assert_allclose(
        np.cos(ds["theta_sun"].values - ds["phi_earth"].values), -1.0, atol=1e-12
    )


def test_default_periods_are_the_referenced_sidereal_periods():
    """The config's default periods (which the increments are judged against) are the
    published sidereal periods (resources/references.yaml)."""
    from physlens.config import validate_sections
    from physlens.references import reference

    periods = validate_sections({"scinet": {}})["scinet"]["heliocentric"]["periods_days"]
    ratio = reference("sidereal_period_ratio_mars_earth").value
    assert periods["mars"] / periods["earth"] == pytest.approx(ratio, abs=1e-5)


@pytest.mark.parametrize(
    ("block", "named"),
    [
        ({"heliocentric": {"periods_days": {"earth": 687.0, "mars": 365.0}}}, "periods_days"),
        ({"pendulum": {"kappa": [0.5, 10.0], "b": [0.5, 2.0]}}, "overdamped"),
        ({"pendulum": {"b": [1.0, 0.5]}}, "scinet.pendulum.b"),
        ({"val_fraction": 0.5, "test_fraction": 0.5}, "no training samples"),
    ],
)
def test_inconsistent_scinet_keys_are_refused_at_start_up(block, named):
    from physlens.config import ConfigError, validate_sections

    with pytest.raises(ConfigError, match=named):
        validate_sections({"scinet": block})
    assert validate_sections({"scinet": {}})  # the defaults are consistent
