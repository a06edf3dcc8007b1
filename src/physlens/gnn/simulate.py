"""Many short N-body simulations per force law, written as labelled HDF5.

Seeds: derive_seed(config seed, "gnn", <law>, ...), so adding a law never changes another's
data. Initial conditions as in the paper's code: positions and velocities standard normal;
masses log-normal (always positive) and charges +-1 with equal probability, drawn for every
law (only the charge law uses the charges).
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from physlens.gnn.forces import LAW_CODES, check_law, energy, momentum
from physlens.gnn.kernels import verlet_batch
from physlens.io import open_dataset
from physlens.provenance import base_attrs
from physlens.seeding import rng

log = logging.getLogger(__name__)
STAGE = "gnn"
AXES = ("x", "y", "z")
SIM_VARIABLES = ("position", "velocity", "acceleration", "mass", "charge")


def initial_conditions(n_sims: int, n: int, dim: int, log_mass_sigma: float, gen):
    """(x0, v0, m, q): (S, n, dim) standard normal states, log-normal masses, charges +-1."""
    x0 = gen.standard_normal((n_sims, n, dim))
    v0 = gen.standard_normal((n_sims, n, dim))
    m = np.exp(log_mass_sigma * gen.standard_normal((n_sims, n)))
    q = np.where(gen.random((n_sims, n)) < 0.5, -1.0, 1.0)
    return x0, v0, m, q


def run(law: str, x0, v0, m, q, eps: float, dt: float, n_store: int, stride: int):
    """Positions, velocities, accelerations (S, n_store, n, dim) from the numba kernel."""
    return verlet_batch(
        np.ascontiguousarray(x0, float),
        np.ascontiguousarray(v0, float),
        np.ascontiguousarray(m, float),
        np.ascontiguousarray(q, float),
        LAW_CODES[check_law(law)],
        float(eps),
        float(dt),
        int(n_store),
        int(stride),
    )


def relative_energy_drift(E: np.ndarray) -> np.ndarray:
    """max_t |E(t) - E(0)| / mean_t |E| per simulation (E: (S, T))."""
    return np.max(np.abs(E - E[:, :1]), axis=1) / np.maximum(np.mean(np.abs(E), axis=1), 1e-12)


def simulate(law: str, cfg: dict, seed: int) -> xr.Dataset:
    """The simulations of one force law as configured in `cfg` (the `gnn` block)."""
    dim, n = int(cfg["dim"]), int(cfg["n_particles"])
    dt, stride, n_store = float(cfg["dt"][law]), int(cfg["stride"][law]), int(cfg["n_stored"])
    eps = float(cfg["softening"])
    x0, v0, m, q = initial_conditions(
        int(cfg["n_simulations"]), n, dim, float(cfg["log_mass_sigma"]), rng(seed, STAGE, law, "ic")
    )
    X, V, A = run(law, x0, v0, m, q, eps, dt, n_store, stride)
    E = energy(law, X, V, m[:, None], q[:, None], eps)
    P = momentum(V, m[:, None])
    drift = relative_energy_drift(E)
    lab = ("simulation", "time", "particle", "dim")
    ds = xr.Dataset(
        {
            "position": (lab, X, {"units": "length"}),
            "velocity": (lab, V, {"units": "length / time"}),
            "acceleration": (lab, A, {"long_name": "true acceleration sum_j F_ij / m_i"}),
            "mass": (("simulation", "particle"), m),
            "charge": (("simulation", "particle"), q),
            "energy": (("simulation", "time"), E, {"long_name": "kinetic + pair potential"}),
            "momentum": (("simulation", "time", "dim"), P),
            "energy_drift": ("simulation", drift, {"long_name": "max |E(t) - E(0)| / mean |E|"}),
        },
        coords={
            "simulation": np.arange(X.shape[0]),
            "time": np.arange(n_store) * dt * stride,
            "particle": np.arange(n),
            "dim": list(AXES[:dim]),
        },
        attrs=base_attrs(
            seed,
            stage=STAGE,
            law=law,
            dt=dt,
            stride=stride,
            softening=eps,
            integrator="velocity Verlet (numba)",
            median_energy_drift=float(np.median(drift)),
        ),
    )
    return ds


def load_simulations(path) -> xr.Dataset:
    return open_dataset(path, required=SIM_VARIABLES).load()
