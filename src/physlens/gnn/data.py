"""Training data from a simulation file: node features, targets, splits by simulation.

Node features are [position (dim), velocity (dim), mass, (charge for the charge law)]; the
target is the true acceleration divided by one scale per law (the median |a| of the training
split), so one L1 weight means the same for every law. Simulations whose energy drifts more
than ``max_energy_drift`` (close passes through the softened core, where the force flips
direction and a fixed-step integrator loses energy) are left out of every split; the count
is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from physlens.seeding import rng
from physlens.slices import split_sizes

SPLITS = ("train", "val", "test")


def node_parameter_names(law: str) -> list[str]:
    return ["m", "q"] if law == "charge" else ["m"]


def node_features(ds: xr.Dataset) -> tuple[np.ndarray, list[str]]:
    """(S, T, n, F) node features and their names, from a simulation Dataset."""
    dims = [str(d) for d in ds["dim"].values]
    X, V = ds["position"].values, ds["velocity"].values
    params = node_parameter_names(ds.attrs["law"])
    per_node = {"m": ds["mass"].values, "q": ds["charge"].values}
    T = X.shape[1]
    cols = [X, V] + [np.repeat(per_node[p][:, None, :, None], T, axis=1) for p in params]
    names = [f"x_{d}" for d in dims] + [f"v_{d}" for d in dims] + params
    return np.concatenate(cols, axis=-1), names


def split_simulations(
    n_sims: int, val_fraction: float, test_fraction: float, seed: int, law: str
) -> np.ndarray:
    """0 train / 1 val / 2 test per simulation (seeded; every split gets at least one)."""
    if n_sims < 3:
        raise ValueError(f"gnn.n_simulations = {n_sims}: at least 3 are needed (train/val/test)")
    order = rng(seed, "gnn", law, "split").permutation(n_sims)
    n_val, n_test = split_sizes(n_sims, val_fraction, test_fraction)
    split = np.zeros(n_sims, int)
    split[order[:n_val]] = 1
    split[order[n_val : n_val + n_test]] = 2
    return split


@dataclass
class GraphData:
    """Snapshots of one split: nodes (N, n, F), accelerations (N, n, dim), their origin."""

    nodes: np.ndarray
    acceleration: np.ndarray
    simulation: np.ndarray
    feature_names: list[str]


def graph_data(ds: xr.Dataset, cfg: dict, seed: int) -> tuple[dict[str, GraphData], dict]:
    """The three splits of one simulation file as snapshot arrays, plus bookkeeping."""
    law = ds.attrs["law"]
    feats, names = node_features(ds)
    acc = ds["acceleration"].values
    S, T = feats.shape[:2]
    split = split_simulations(S, cfg["val_fraction"], cfg["test_fraction"], seed, law)
    good = ds["energy_drift"].values <= cfg["max_energy_drift"]
    out = {}
    for k, name in enumerate(SPLITS):
        sims = np.flatnonzero((split == k) & good)
        if len(sims) == 0:
            raise ValueError(
                f"gnn {law}: no {name} simulation conserves energy to gnn.max_energy_drift = "
                f"{cfg['max_energy_drift']}; lower gnn.dt.{law} or raise n_simulations"
            )
        out[name] = GraphData(
            feats[sims].reshape(-1, *feats.shape[2:]),
            acc[sims].reshape(-1, *acc.shape[2:]),
            np.repeat(sims, T),
            names,
        )
    info = {
        "n_simulations": int(S),
        "n_dropped_energy_drift": int((~good).sum()),
        **{f"n_{name}_snapshots": int(len(out[name].nodes)) for name in SPLITS},
    }
    return out, info


def acceleration_scale(acc: np.ndarray) -> float:
    """One scale per law: the median |a| component of the training split."""
    return float(max(np.median(np.abs(acc)), 1e-12))
