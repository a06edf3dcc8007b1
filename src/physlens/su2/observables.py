"""Gauge-invariant observables of SU(2) link configurations, and gauge transformations.

All functions take the (N_t, N_s, N_s, N_s, 4, 4) link array of :mod:`physlens.su2`.
"""

from __future__ import annotations

import numpy as np

from physlens.su2.kernels import polyakov_lines, site_plaquettes
from physlens.su2.lattice import MU_AXIS, Lattice
from physlens.su2.quaternion import dagger, multiply


def _flat(links: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(links, dtype=np.float64).reshape(-1, 4, 4)


def average_plaquette(links: np.ndarray, lat: Lattice) -> float:
    """<1/2 Re tr U_p> over the 6 V plaquettes (1 at beta = inf, 0 at beta = 0)."""
    return float(np.sum(site_plaquettes(_flat(links), lat.fwd)) / (6 * lat.volume))


def polyakov_loop(links: np.ndarray, lat: Lattice) -> float:
    """P = (1/N_s^3) sum_x 1/2 tr prod_t U_0(x, t); real for SU(2), 0 under exact centre symmetry."""
    return float(np.sum(polyakov_lines(_flat(links), lat.n_t)) / lat.n_s**3)


def gauge_transform(links: np.ndarray, g: np.ndarray) -> np.ndarray:
    """U_mu(x) -> g(x) U_mu(x) g(x + mu)^+ for site matrices g[t, z, y, x, 4]."""
    out = np.empty_like(links, dtype=np.float64)
    for mu, axis in enumerate(MU_AXIS):
        g_next = np.roll(g, -1, axis=axis)
        out[..., mu, :] = multiply(multiply(g, links[..., mu, :]), dagger(g_next))
    return out
