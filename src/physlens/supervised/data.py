"""Ising data for supervised training: loading, phase labels, Z2 signs, spin arrays.

The labels and the train/val/test split are those of every phase classifier
(:mod:`physlens.phase.labels`); here the ordered phase (low temperatures) is class 1.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from physlens.io import load_dataset
from physlens.phase.labels import UNLABELLED, window_labels
from physlens.validate import validate_ising

REQUIRED = ("spins", "energy", "magnetization")
ORDERED, DISORDERED = 1, 0
__all__ = [
    "DISORDERED",
    "ORDERED",
    "UNLABELLED",
    "load_ising",
    "phase_labels",
    "spins_array",
    "z2_signs",
]


def load_ising(path) -> xr.Dataset:
    """Read results/ising/L{L}.h5 into memory; bad layout is reported with the file name."""
    ds = load_dataset(path, required=REQUIRED, dims={"spins": ("temperature", "sample", "y", "x")})
    return validate_ising(ds, path)


def phase_labels(temperatures, ordered_max: float, disordered_min: float) -> np.ndarray:
    """1 (ordered) for T <= ordered_max, 0 (disordered) for T >= disordered_min, -1 between."""
    return window_labels(
        temperatures,
        ordered_max,
        disordered_min,
        low_label=ORDERED,
        high_label=DISORDERED,
        names=("ordered_max", "disordered_min"),
        where="supervised.windows",
    )


def z2_signs(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A random global sign (+1/-1) per (temperature, sample).

    Multiplying each configuration by one makes the data Z2 symmetric: Monte Carlo chains
    started from all spins +1 keep M > 0 in the ordered phase, and a network could then
    read the phase from the sign of M, which is not a property of the phase.
    """
    return np.where(rng.random(shape) < 0.5, -1, 1).astype(np.int8)


def spins_array(
    ds: xr.Dataset, idx: tuple[np.ndarray, np.ndarray], signs: np.ndarray | None = None
) -> np.ndarray:
    """Configurations (n, L, L) as float32 for the given index pairs, optionally sign-flipped."""
    x = ds["spins"].values[idx[0], idx[1]].astype(np.float32)
    if signs is not None:
        x *= signs[idx[0], idx[1]][:, None, None]
    return x
