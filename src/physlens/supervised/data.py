"""Ising data for supervised training: loading, phase labels, seeded train/val/test splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from physlens.io import load_dataset
from physlens.validate import validate_ising

REQUIRED = ("spins", "energy", "magnetization")
ORDERED, DISORDERED, UNLABELLED = 1, 0, -1


def load_ising(path) -> xr.Dataset:
    """Read results/ising/L{L}.h5 into memory; bad layout is reported with the file name."""
    ds = load_dataset(path, required=REQUIRED, dims={"spins": ("temperature", "sample", "y", "x")})
    return validate_ising(ds, path)


def phase_labels(temperatures, ordered_max: float, disordered_min: float) -> np.ndarray:
    """1 (ordered) for T <= ordered_max, 0 (disordered) for T >= disordered_min, -1 between."""
    if not ordered_max < disordered_min:
        raise ValueError(
            f"supervised.windows: ordered_max = {ordered_max} must be below disordered_min = {disordered_min}"
        )
    t = np.asarray(temperatures, float)
    return np.where(
        t <= ordered_max, ORDERED, np.where(t >= disordered_min, DISORDERED, UNLABELLED)
    )


@dataclass
class Split:
    """Index pairs (temperature index, sample index) of each part."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def _balance(t_idx, s_idx, labels, rng):
    """Drop random samples of the larger class so that both classes are equally frequent
    (then the constant predictor's loss is exactly ln 2)."""
    y = labels[t_idx]
    keep = []
    n = min((y == ORDERED).sum(), (y == DISORDERED).sum())
    for cls in (ORDERED, DISORDERED):
        members = np.flatnonzero(y == cls)
        keep.append(np.sort(rng.choice(members, size=n, replace=False)))
    keep = np.sort(np.concatenate(keep))
    return t_idx[keep], s_idx[keep]


def split_phase_data(
    labels: np.ndarray,
    n_samples: int,
    val_fraction: float,
    test_fraction: float,
    rng: np.random.Generator,
) -> Split:
    """Split the samples of labelled temperatures into train/val/test (classes balanced in
    train and val); every sample of an unlabelled temperature goes to test."""
    n_test = int(round(test_fraction * n_samples))
    n_val = int(round(val_fraction * n_samples))
    if n_samples - n_test - n_val < 1 or n_val < 1:
        raise ValueError(
            f"{n_samples} samples per temperature cannot be split with val_fraction = "
            f"{val_fraction} and test_fraction = {test_fraction}"
        )
    parts = {"train": ([], []), "val": ([], []), "test": ([], [])}
    for ti, lab in enumerate(labels):
        perm = rng.permutation(n_samples)
        chunks = (
            {"test": perm}
            if lab == UNLABELLED
            else {
                "test": perm[:n_test],
                "val": perm[n_test : n_test + n_val],
                "train": perm[n_test + n_val :],
            }
        )
        for part, s in chunks.items():
            parts[part][0].append(np.full(len(s), ti))
            parts[part][1].append(np.sort(s))
    out = {
        k: (np.concatenate(a).astype(int), np.concatenate(b).astype(int))
        for k, (a, b) in parts.items()
    }
    if not (labels == ORDERED).any() or not (labels == DISORDERED).any():
        raise ValueError(
            "supervised.windows leave no ordered or no disordered temperature in the grid"
        )
    out["train"] = _balance(*out["train"], labels, rng)
    out["val"] = _balance(*out["val"], labels, rng)
    return Split(**out)


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
