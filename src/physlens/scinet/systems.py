"""The SciNet systems (Iten et al. 2020): exact solutions and seeded data sets.

* Damped pendulum: m x'' + b x' + kappa x = 0 with x(0) = A0 cos(delta0) and the underdamped
  solution x(t) = A0 exp(-b t / 2m) cos(omega t + delta0), omega = sqrt(kappa/m - b^2/4m^2).
  The observation is x at `n_obs` equally spaced times on [0, t_obs_max]; a question is a
  time t' in [0, t_question_max], its answer x(t').
* Heliocentric solar system: Earth and Mars on circular, coplanar orbits about the Sun with
  constant angular velocities 2 pi / T; the orbit radii follow from Kepler's third law
  (r ∝ T^(2/3), 1 AU for Earth). The observations are the angles of the Sun and of Mars as
  seen from Earth against the fixed stars (geocentric), taken every `step_days` days.

Everything here is numpy and deterministic given a Generator; the data sets are xarray
Datasets with the true parameters stored beside the observations.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from physlens.provenance import base_attrs
from physlens.slices import split_sizes

SPLITS = {"train": 0, "val": 1, "test": 2}
PENDULUM_PARAMETERS = ("kappa", "b")
PLANETS = ("earth", "mars")
OBS_CHANNELS = ("cos_theta_sun", "sin_theta_sun", "cos_theta_mars", "sin_theta_mars")


# --- damped pendulum ---------------------------------------------------------------------------


def damped_frequency(kappa, b, m: float = 1.0):
    """Angular frequency of the underdamped oscillator; an error where it is not underdamped."""
    w2 = np.asarray(kappa, float) / m - (np.asarray(b, float) / (2 * m)) ** 2
    if np.any(w2 <= 0):
        raise ValueError("kappa/m must exceed (b/2m)^2 (underdamped oscillator)")
    return np.sqrt(w2)


def damped_oscillator(t, kappa, b, amplitude=1.0, phase=0.0, m: float = 1.0) -> np.ndarray:
    """x(t) = A0 exp(-b t / 2m) cos(omega t + delta0); broadcasts over all arguments."""
    t = np.asarray(t, float)
    omega = damped_frequency(kappa, b, m)
    return amplitude * np.exp(-np.asarray(b, float) * t / (2 * m)) * np.cos(omega * t + phase)


def split_labels(n: int, val_fraction: float, test_fraction: float, gen) -> np.ndarray:
    """Random split labels (0 train, 1 val, 2 test) with the requested shares (at least one each)."""
    n_val, n_test = split_sizes(n, val_fraction, test_fraction)
    if n_val + n_test >= n:
        raise ValueError(
            f"{n} samples cannot be split into train, val ({n_val}) and test ({n_test})"
        )
    labels = np.zeros(n, np.int8)
    order = gen.permutation(n)
    labels[order[:n_val]] = SPLITS["val"]
    labels[order[n_val : n_val + n_test]] = SPLITS["test"]
    return labels


def pendulum_dataset(cfg: dict, split_cfg: dict, gen: np.random.Generator, seed=None) -> xr.Dataset:
    """`n_samples` observed time series, each with `n_questions` (t', x(t')) pairs."""
    n, nq = int(cfg["n_samples"]), int(cfg["n_questions"])
    kappa = gen.uniform(*cfg["kappa"], n)
    b = gen.uniform(*cfg["b"], n)
    t_obs = np.linspace(0.0, cfg["t_obs_max"], int(cfg["n_obs"]))
    t_q = gen.uniform(0.0, cfg["t_question_max"], (n, nq))
    obs = damped_oscillator(t_obs[None, :], kappa[:, None], b[:, None])
    ans = damped_oscillator(t_q, kappa[:, None], b[:, None])
    split = split_labels(n, split_cfg["val_fraction"], split_cfg["test_fraction"], gen)
    return xr.Dataset(
        {
            "observation": (("sample", "time"), obs, {"long_name": "x(t)", "units": "m"}),
            "question": (("sample", "question"), t_q, {"long_name": "t'", "units": "s"}),
            "answer": (("sample", "question"), ans, {"long_name": "x(t')", "units": "m"}),
            "kappa": ("sample", kappa, {"long_name": "spring constant", "units": "kg/s^2"}),
            "b": ("sample", b, {"long_name": "damping factor", "units": "kg/s"}),
            "split": ("sample", split, {"meaning": "0 train, 1 validation, 2 test"}),
        },
        coords={"time": t_obs},
        attrs=base_attrs(
            seed,
            system="pendulum",
            parameters=",".join(PENDULUM_PARAMETERS),
            equation="m x'' + b x' + kappa x = 0, m = 1 kg, x(0) = 1 m, x(t) = exp(-b t/2) cos(omega t)",
        ),
    )


# --- heliocentric solar system --------------------------------------------------------------------


def kepler_radius(period_days, reference_period_days: float, reference_radius: float = 1.0):
    """Circular-orbit radius from Kepler's third law, r^3 / T^2 the same for every planet."""
    return reference_radius * (np.asarray(period_days, float) / reference_period_days) ** (2 / 3)


def orbit_angles(days, start_angle, period_days) -> np.ndarray:
    """Heliocentric angle phi(t) = phi0 + 2 pi t / T of a circular orbit (not wrapped)."""
    return np.asarray(start_angle, float) + 2 * np.pi * np.asarray(days, float) / period_days


def wrap_angle(a) -> np.ndarray:
    """Angles mapped to (-pi, pi]."""
    return np.angle(np.exp(1j * np.asarray(a, float)))


def geocentric_angles(phi_earth, phi_mars, r_earth: float, r_mars: float):
    """Angles (theta_sun, theta_mars) of the Sun and of Mars seen from Earth, in (-pi, pi]."""
    xe, ye = r_earth * np.cos(phi_earth), r_earth * np.sin(phi_earth)
    xm, ym = r_mars * np.cos(phi_mars), r_mars * np.sin(phi_mars)
    return np.arctan2(-ye, -xe), np.arctan2(ym - ye, xm - xe)


def heliocentric_dataset(
    cfg: dict, split_cfg: dict, gen: np.random.Generator, seed=None
) -> xr.Dataset:
    """`n_samples` series of `n_steps` weekly (step_days) geocentric observations."""
    n, steps = int(cfg["n_samples"]), int(cfg["n_steps"])
    periods = {p: float(cfg["periods_days"][p]) for p in PLANETS}
    radii = {p: float(kepler_radius(periods[p], periods["earth"])) for p in PLANETS}
    days = cfg["step_days"] * np.arange(steps)
    start = {p: gen.uniform(-np.pi, np.pi, n) for p in PLANETS}
    phi = {p: orbit_angles(days[None, :], start[p][:, None], periods[p]) for p in PLANETS}
    th_sun, th_mars = geocentric_angles(phi["earth"], phi["mars"], radii["earth"], radii["mars"])
    obs = np.stack([np.cos(th_sun), np.sin(th_sun), np.cos(th_mars), np.sin(th_mars)], axis=-1)
    split = split_labels(n, split_cfg["val_fraction"], split_cfg["test_fraction"], gen)
    rad = {"units": "rad"}
    return xr.Dataset(
        {
            "observation": (("sample", "step", "channel"), obs),
            "theta_sun": (("sample", "step"), th_sun, {**rad, "long_name": "Sun seen from Earth"}),
            "theta_mars": (
                ("sample", "step"),
                th_mars,
                {**rad, "long_name": "Mars seen from Earth"},
            ),
            "phi_earth": (
                ("sample", "step"),
                wrap_angle(phi["earth"]),
                {**rad, "long_name": "heliocentric angle of Earth"},
            ),
            "phi_mars": (
                ("sample", "step"),
                wrap_angle(phi["mars"]),
                {**rad, "long_name": "heliocentric angle of Mars"},
            ),
            "split": ("sample", split, {"meaning": "0 train, 1 validation, 2 test"}),
        },
        coords={"step": np.arange(steps), "day": ("step", days), "channel": list(OBS_CHANNELS)},
        attrs=base_attrs(
            seed,
            system="heliocentric",
            parameters=",".join(f"phi_{p}" for p in PLANETS),
            period_earth_days=periods["earth"],
            period_mars_days=periods["mars"],
            radius_earth_au=radii["earth"],
            radius_mars_au=radii["mars"],
            step_days=float(cfg["step_days"]),
        ),
    )


def true_increments(attrs: dict) -> dict[str, float]:
    """Heliocentric angular increments per observation step, 2 pi step / T (rad)."""
    return {
        p: 2 * np.pi * float(attrs["step_days"]) / float(attrs[f"period_{p}_days"]) for p in PLANETS
    }


SYSTEMS = {"pendulum": pendulum_dataset, "heliocentric": heliocentric_dataset}
