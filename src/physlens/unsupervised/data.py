"""Ising data for the unsupervised stage: loading one lattice size, Z2 symmetrisation, and a
seeded per-temperature train/validation split (labels are never used for training)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from physlens.io import DataFileError
from physlens.supervised.data import load_ising


def load_lattices(path, L: int) -> xr.Dataset:
    """results/ising/L{L}.h5 in memory, checked to hold L x L lattices."""
    ds = load_ising(path)
    if ds.sizes["y"] != L or ds.sizes["x"] != L:
        raise DataFileError(
            f"{path}: lattices are {ds.sizes['y']}x{ds.sizes['x']}, unsupervised.L = {L}"
        )
    return ds


def balanced_flip_signs(
    n_temperatures: int, n_samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Signs (T, S) of +-1 with exactly floor(S/2) flips at every temperature, chosen at random."""
    signs = np.ones((n_temperatures, n_samples), dtype=np.int8)
    for t in range(n_temperatures):
        signs[t, rng.choice(n_samples, n_samples // 2, replace=False)] = -1
    return signs


def symmetrize(ds: xr.Dataset, rng: np.random.Generator) -> xr.Dataset:
    """Flip s -> -s for a random half of the samples at each temperature (M flips with it,
    the energy is invariant), so both ordered states are equally represented."""
    signs = balanced_flip_signs(ds.sizes["temperature"], ds.sizes["sample"], rng)
    out = ds.copy()
    out["spins"] = ds["spins"] * xr.DataArray(signs, dims=("temperature", "sample"))
    out["spins"] = out["spins"].astype(np.int8)
    out["magnetization"] = ds["magnetization"] * signs
    out.attrs = {**ds.attrs, "symmetrized": 1}
    return out


def validation_mask(
    n_temperatures: int, n_samples: int, val_fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """Boolean (T, S): round(val_fraction * S) random samples per temperature are held out,
    so training and validation see the same temperatures."""
    n_val = int(round(val_fraction * n_samples))
    if n_val < 1 or n_val >= n_samples:
        raise ValueError(
            f"unsupervised.val_fraction = {val_fraction} leaves {n_val} of {n_samples} samples per "
            "temperature for validation; need at least one for each of training and validation"
        )
    mask = np.zeros((n_temperatures, n_samples), dtype=bool)
    for t in range(n_temperatures):
        mask[t, rng.choice(n_samples, n_val, replace=False)] = True
    return mask


def flat_spins(ds: xr.Dataset) -> np.ndarray:
    """All configurations (T*S, L, L) as float32, temperature-major."""
    s = ds["spins"].values
    return s.reshape(-1, *s.shape[2:]).astype(np.float32)
