"""Spin lattices and observables that say what a decision neuron wants: the observables of
maximisers and top-k examples (magnetisation, energy, bond energies per direction), the
bond-extreme reference lattices, and the bond energy a maximiser should reach by the net's
own weights."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from physlens.observables import local_bond_energy

if TYPE_CHECKING:
    import xarray as xr


OUTPUTS = {"ordered": 1.0, "disordered": -1.0}  # sign of the decision logit that is maximised
# Observables of maximisers and top-k examples (energy per site; bond energies per direction).
UNIT_OBSERVABLES = (
    "magnetization",
    "abs_magnetization",
    "energy",
    "bond_energy_x",
    "bond_energy_y",
)


def bond_energy(configs, direction: str) -> np.ndarray:
    """Energy per site of the bonds along one direction, -(1/N) sum_i s_i s_{i+d} (J = 1,
    periodic), in [-1, 1]: -1 all aligned, +1 all anti-aligned; E/N is the sum over x and y."""
    return local_bond_energy(configs, (direction,)).mean(axis=(-2, -1))


def unit_observables(configs) -> np.ndarray:
    """(n, len(UNIT_OBSERVABLES)) observables of spin configurations (n, L, L)."""
    s = np.asarray(configs, float)
    ex, ey = bond_energy(s, "x"), bond_energy(s, "y")
    m = s.mean(axis=(-2, -1))
    return np.stack([m, np.abs(m), ex + ey, ex, ey], axis=-1)


def reference_lattices(L: int) -> dict[str, np.ndarray]:
    """Bond-extreme lattices: aligned up and down, staggered along x (every x bond broken),
    along y, and the checkerboard (every bond broken)."""
    iy, ix = np.indices((L, L))
    return {
        "uniform": np.ones((L, L)),
        "uniform_down": -np.ones((L, L)),
        "stagger_x": (-1.0) ** ix,
        "stagger_y": (-1.0) ** iy,
        "checkerboard": (-1.0) ** (ix + iy),
    }


def kernel_directions(md) -> tuple[str, ...]:
    """Bond directions a probing net's receptive field spans (1x2: x); () for a 1x1 field,
    both for any other model."""
    k = md.kernel()
    if k is None:
        return ("x", "y")
    return tuple(d for d, size in (("x", k[1]), ("y", k[0])) if size > 1)


def staggered_reference(directions: Sequence[str]) -> str:
    """The reference lattice whose bonds along `directions` are all broken (and the others aligned)."""
    return "checkerboard" if len(directions) == 2 else f"stagger_{directions[0]}"


def expected_bond_energy(ds: xr.Dataset, directions: Sequence[str], sign: float) -> float:
    """The bond energy per site along `directions` that maximising sign * logit should reach,
    by the net's own weights: -1 when its best aligned lattice (up or down) beats the lattice
    staggered along those directions, +1 otherwise."""
    ref = sign * ds.reference_activation
    aligned = max(float(ref.sel(reference="uniform")), float(ref.sel(reference="uniform_down")))
    return -1.0 if aligned >= float(ref.sel(reference=staggered_reference(directions))) else 1.0
