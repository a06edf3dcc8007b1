"""Geometry of the periodic N_s^3 x N_t lattice: flat site index, neighbours, parities.

Site (t, z, y, x) has flat index ((t N_s + z) N_s + y) N_s + x, so ``links.reshape(V, 4, 4)``
of the (N_t, N_s, N_s, N_s, 4, 4) array is a view. Direction mu = 0 is time (array axis 0),
mu = 1, 2, 3 are x, y, z (array axes 3, 2, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MU_AXIS = (0, 3, 2, 1)  # array axis of (t, z, y, x) along which direction mu points
MU_NAMES = ("t", "x", "y", "z")


@dataclass(frozen=True)
class Lattice:
    n_s: int
    n_t: int
    fwd: np.ndarray  # (V, 4) int64: flat index of x + mu
    bwd: np.ndarray  # (V, 4) int64: flat index of x - mu
    parity_sites: np.ndarray  # (2, V/2) int64: sites with (t+x+y+z) even, odd

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (self.n_t, self.n_s, self.n_s, self.n_s)

    @property
    def volume(self) -> int:
        return self.n_t * self.n_s**3


def make_lattice(n_s: int, n_t: int) -> Lattice:
    """Neighbour tables and checkerboard for even extents (odd ones break the checkerboard
    across the periodic boundary, so links of one batch would no longer be independent)."""
    for name, n in (("n_s", n_s), ("n_t", n_t)):
        if int(n) != n or n < 2 or n % 2:
            raise ValueError(f"su2.{name} = {n!r}: lattice extents must be even integers >= 2")
    shape = (int(n_t), int(n_s), int(n_s), int(n_s))
    index = np.arange(np.prod(shape), dtype=np.int64).reshape(shape)
    fwd = np.stack([np.roll(index, -1, axis=a).ravel() for a in MU_AXIS], axis=1)
    bwd = np.stack([np.roll(index, 1, axis=a).ravel() for a in MU_AXIS], axis=1)
    parity = np.indices(shape).sum(axis=0).ravel() % 2
    parity_sites = np.stack([np.flatnonzero(parity == p) for p in (0, 1)])
    return Lattice(int(n_s), int(n_t), fwd, bwd, parity_sites)


def cold_start(lat: Lattice) -> np.ndarray:
    """All links the identity, shape (N_t, N_s, N_s, N_s, 4, 4)."""
    links = np.zeros((*lat.shape, 4, 4))
    links[..., 0] = 1.0
    return links
