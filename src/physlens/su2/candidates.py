"""SU(2) candidate observables for the interpretation code, and the Z2 centre transformation.

Registers the system ``"su2"`` in :mod:`physlens.observables` (importing this module is
enough). Configurations are link arrays (n, N_t, N_s, N_s, N_s, 4, 4) as in
:mod:`physlens.su2`. Candidates: the Polyakov loop P, |P|, P^2 (an exact monotone function
of |P|, so probing ties them), the average plaquette, and one gauge-*variant* decoy, the
mean of 1/2 tr U_0 over time links (a network reading raw links could latch onto it; a
gauge-invariant answer must not).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from physlens.observables import register_observable, register_system
from physlens.su2.lattice import MU_AXIS, make_lattice
from physlens.su2.observables import average_plaquette, polyakov_loop
from physlens.su2.quaternion import dagger, multiply, random_su2

SYSTEM = "su2"
TIME = 0  # mu index of the time direction


@lru_cache(maxsize=8)
def _lattice(n_s: int, n_t: int):
    return make_lattice(n_s, n_t)


def _validate_links(links: np.ndarray) -> np.ndarray:
    if links.ndim == 6:  # one configuration
        links = links[None]
    shape = links.shape
    if links.ndim != 7 or shape[-2:] != (4, 4) or not (shape[2] == shape[3] == shape[4]):
        raise ValueError(
            f"SU(2) configurations must have shape (n, N_t, N_s, N_s, N_s, 4, 4), got {shape}"
        )
    norm = np.abs(np.sum(links.astype(np.float64) ** 2, axis=-1) - 1.0)
    if norm.max(initial=0.0) > 1e-4:
        raise ValueError(
            f"SU(2) links must be unit quaternions; max | |q|^2 - 1 | = {norm.max():.3g}"
        )
    return links


def _per_config(function, links: np.ndarray) -> np.ndarray:
    lat = _lattice(links.shape[2], links.shape[1])
    return np.array([function(u, lat) for u in links], dtype=np.float64)


register_system(
    SYSTEM, "links (n, N_t, N_s, N_s, N_s, 4, 4), unit quaternions, periodic", _validate_links
)


@register_observable(
    "polyakov_loop",
    system=SYSTEM,
    description="Polyakov loop P = N_s^-3 sum_x 1/2 tr prod_t U_0(x, t)",
)
def polyakov(links):
    return _per_config(polyakov_loop, links)


@register_observable(
    "abs_polyakov_loop",
    system=SYSTEM,
    description="|P|, modulus of the Polyakov loop (order parameter)",
)
def abs_polyakov(links):
    return np.abs(polyakov(links))


@register_observable("polyakov_loop_squared", system=SYSTEM, description="P^2 (monotone in |P|)")
def polyakov_squared(links):
    return polyakov(links) ** 2


@register_observable("plaquette", system=SYSTEM, description="average plaquette <1/2 Re tr U_p>")
def plaquette(links):
    return _per_config(average_plaquette, links)


@register_observable(
    "time_link_trace",
    system=SYSTEM,
    description="gauge-variant decoy: mean 1/2 tr U_0(x) over time links",
)
def time_link_trace(links):
    return np.asarray(links[..., TIME, 0], dtype=np.float64).reshape(len(links), -1).mean(axis=1)


# --- Z2 centre symmetry ----------------------------------------------------------------------


def center_flip(links: np.ndarray, t_slice) -> np.ndarray:
    """Multiply every time link U_0(t_slice, x) by the centre element -1 (a copy).

    The action is unchanged (each plaquette holds either no such link or one and its
    conjugate), the plaquette is unchanged and P -> -P exactly: every Polyakov line holds
    one flipped link. Works on one configuration (N_t, ..., 4, 4) with an int `t_slice`, or
    on a batch (n, N_t, ..., 4, 4) with one slice per configuration (-1: leave unflipped).
    """
    out = np.array(links, copy=True)
    if out.ndim == 6:
        out[int(t_slice), ..., TIME, :] *= -1
        return out
    slices = np.broadcast_to(np.asarray(t_slice, dtype=np.int64), (len(out),))
    rows = np.flatnonzero(slices >= 0)
    out[rows, slices[rows], ..., TIME, :] *= -1
    return out


def random_center_slices(n: int, n_t: int, rng: np.random.Generator) -> np.ndarray:
    """Per configuration: -1 (no flip) with probability 1/2, else a uniformly chosen slice."""
    flip = rng.random(n) < 0.5
    return np.where(flip, rng.integers(0, n_t, n), -1)


# --- gauge symmetry ----------------------------------------------------------------------------


def random_gauge_transform(links: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """U_mu(x) -> g(x) U_mu(x) g(x + mu)^+ with Haar-random g(x), independently per
    configuration of a batch (n, N_t, N_s, N_s, N_s, 4, 4); float32 in, float32 out.

    Every gauge-invariant observable (P, plaquette) is unchanged; the raw link components are
    scrambled. The Monte Carlo never fixes a gauge, so this draws another configuration of
    the same physical content, which is why it is a valid training augmentation.
    """
    links = np.asarray(links)
    g = random_su2(rng, links.shape[:5])
    out = np.empty(links.shape, dtype=np.float64)
    for mu, axis in enumerate(MU_AXIS):
        g_next = np.roll(g, -1, axis=axis + 1)  # + 1: the batch axis comes first
        out[..., mu, :] = multiply(
            multiply(g, links[..., mu, :].astype(np.float64)), dagger(g_next)
        )
    return out.astype(links.dtype, copy=False)
