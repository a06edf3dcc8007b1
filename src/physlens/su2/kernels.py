"""numba kernels for the SU(2) heat bath, overrelaxation and the gauge observables.

Links live in a flat view ``links[site, mu, component]`` of the (N_t, N_s, N_s, N_s, 4, 4)
array (see :mod:`physlens.su2`); neighbours come from the tables of
:func:`physlens.su2.lattice.make_lattice`. A sweep visits the links in 8 batches
(direction mu, site parity): the staple of U_mu(x) involves only links in other directions
or U_mu at sites of the other parity, so the links of one batch are independent and are
updated in a ``prange``. Every site owns its own xoshiro256** state, so the random numbers a
link sees, and hence the result, do not depend on how the threads are scheduled. The serial
entry points release the GIL, so independent chains (one per beta) can also run in threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from physlens.ising.rng import next_double
from physlens.su2.quaternion import qdag_mul, qload, qmul, qmul_dag, qstore_normalised

# Below this beta*k the Kennedy-Pendleton acceptance drops (it is designed for large
# beta*k), so Creutz's sampler, efficient there, is used. Both are exact.
KP_MIN_ALPHA = 2.0


@njit(cache=True)
def sample_a0_creutz(alpha, state):
    """a0 with density ~ sqrt(1 - a0^2) exp(alpha a0): exponential proposal, sqrt acceptance."""
    while True:
        v = 1.0 - next_double(state)  # (0, 1]
        if alpha < 1e-12:
            x = 2.0 * v - 1.0
        else:
            # inverse CDF of exp(alpha x) on [-1, 1], written with log1p/expm1 for small alpha
            x = 1.0 + np.log1p(np.expm1(-2.0 * alpha) * v) / alpha
        if next_double(state) ** 2 <= 1.0 - x * x:
            return x


@njit(cache=True)
def sample_a0_kp(alpha, state):
    """a0 with density ~ sqrt(1 - a0^2) exp(alpha a0): Kennedy & Pendleton (1985)."""
    while True:
        r1 = 1.0 - next_double(state)
        r2 = next_double(state)
        r3 = 1.0 - next_double(state)
        c = np.cos(2.0 * np.pi * r2)
        lam2 = -(np.log(r1) + c * c * np.log(r3)) / (2.0 * alpha)
        r4 = next_double(state)
        if r4 * r4 <= 1.0 - lam2:
            return 1.0 - 2.0 * lam2


@njit(cache=True)
def sample_a0(alpha, state):
    """Exact sample of a0 for the SU(2) single-link heat bath at beta*k = alpha."""
    if alpha >= KP_MIN_ALPHA:
        return sample_a0_kp(alpha, state)
    return sample_a0_creutz(alpha, state)


@njit(cache=True)
def staple(links, fwd, bwd, s, mu):
    """Sum A of the six staples of U_mu(s): the local action is -(beta/2) Re tr(U_mu(s) A)."""
    a0 = a1 = a2 = a3 = 0.0
    sp = fwd[s, mu]
    for nu in range(4):
        if nu == mu:
            continue
        # upper staple: U_nu(x+mu) U_mu(x+nu)^+ U_nu(x)^+
        b = qload(links, sp, nu)
        c = qload(links, fwd[s, nu], mu)
        d = qload(links, s, nu)
        t = qmul_dag(b, c)
        t = qmul_dag(t, d)
        a0 += t[0]
        a1 += t[1]
        a2 += t[2]
        a3 += t[3]
        # lower staple: U_nu(x+mu-nu)^+ U_mu(x-nu)^+ U_nu(x-nu)
        sm = bwd[s, nu]
        b = qload(links, bwd[sp, nu], nu)
        c = qload(links, sm, mu)
        d = qload(links, sm, nu)
        t = qmul(c, b)  # (U_nu(x+mu-nu)^+ U_mu(x-nu)^+) = (U_mu(x-nu) U_nu(x+mu-nu))^+
        t = qdag_mul(t, d)
        a0 += t[0]
        a1 += t[1]
        a2 += t[2]
        a3 += t[3]
    return a0, a1, a2, a3


@njit(cache=True)
def heatbath_link(links, fwd, bwd, s, mu, beta, state):
    """Replace U_mu(s) by a draw from exp((beta/2) Re tr(U A)) dU (Haar measure dU)."""
    a0, a1, a2, a3 = staple(links, fwd, bwd, s, mu)
    k = np.sqrt(a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3)
    if k > 1e-300:
        v0, v1, v2, v3 = a0 / k, a1 / k, a2 / k, a3 / k
    else:  # vanishing staple: the conditional distribution is Haar
        v0, v1, v2, v3 = 1.0, 0.0, 0.0, 0.0
    # W = U V is distributed as sqrt(1 - w0^2) exp(beta k w0) dw0 times a uniform direction
    w0 = sample_a0(beta * k, state)
    r = np.sqrt(max(0.0, 1.0 - w0 * w0))
    cos_t = 2.0 * next_double(state) - 1.0
    sin_t = np.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    phi = 2.0 * np.pi * next_double(state)
    w = (w0, r * sin_t * np.cos(phi), r * sin_t * np.sin(phi), r * cos_t)
    u = qmul_dag(w, (v0, v1, v2, v3))  # U = W V^+
    qstore_normalised(links, s, mu, u)


@njit(cache=True)
def overrelax_link(links, fwd, bwd, s, mu):
    """U -> V^+ U^+ V^+ with V = A/|A|: keeps Re tr(U A), hence the action, unchanged."""
    a0, a1, a2, a3 = staple(links, fwd, bwd, s, mu)
    k = np.sqrt(a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3)
    if k <= 1e-300:
        return
    vd = (a0 / k, -a1 / k, -a2 / k, -a3 / k)
    u = qload(links, s, mu)
    t = qmul_dag(vd, u)  # V^+ U^+
    t = qmul(t, vd)
    qstore_normalised(links, s, mu, t)


@njit(parallel=True, cache=True)
def heatbath_sweep(links, fwd, bwd, parity_sites, beta, states):
    """One heat-bath update of every link, batches in parallel; states[s] is site s's RNG."""
    for mu in range(4):
        for p in range(2):
            sites = parity_sites[p]
            for i in prange(sites.shape[0]):
                heatbath_link(links, fwd, bwd, sites[i], mu, beta, states[sites[i]])


@njit(cache=True)
def heatbath_sweep_serial(links, fwd, bwd, parity_sites, beta, states):
    """:func:`heatbath_sweep` on one thread (same order, same result): no fork/join cost,
    faster on small lattices."""
    for mu in range(4):
        for p in range(2):
            sites = parity_sites[p]
            for i in range(sites.shape[0]):
                heatbath_link(links, fwd, bwd, sites[i], mu, beta, states[sites[i]])


@njit(parallel=True, cache=True)
def overrelax_sweep(links, fwd, bwd, parity_sites):
    """One overrelaxation update of every link (deterministic, microcanonical), in parallel."""
    for mu in range(4):
        for p in range(2):
            sites = parity_sites[p]
            for i in prange(sites.shape[0]):
                overrelax_link(links, fwd, bwd, sites[i], mu)


@njit(cache=True)
def overrelax_sweep_serial(links, fwd, bwd, parity_sites):
    """:func:`overrelax_sweep` on one thread."""
    for mu in range(4):
        for p in range(2):
            sites = parity_sites[p]
            for i in range(sites.shape[0]):
                overrelax_link(links, fwd, bwd, sites[i], mu)


@njit(cache=True, nogil=True)
def site_plaquettes(links, fwd):
    """Per site, the sum over mu < nu of 1/2 tr U_mu,nu(x). (Measurements cost ~1/10 of a
    compound sweep, so they stay serial: no fork/join, and sums in a fixed order.)"""
    n = links.shape[0]
    out = np.empty(n)
    for s in range(n):
        acc = 0.0
        for mu in range(4):
            for nu in range(mu + 1, 4):
                t = qmul(qload(links, s, mu), qload(links, fwd[s, mu], nu))
                t = qmul_dag(t, qload(links, fwd[s, nu], mu))
                t = qmul_dag(t, qload(links, s, nu))
                acc += t[0]
        out[s] = acc
    return out


@njit(cache=True, nogil=True)
def polyakov_lines(links, n_t):
    """1/2 tr of the product of the time links U_0 along each time line; sites are ordered
    with t slowest, so spatial site j has the time line j, j + V_s, ..., j + (N_t - 1) V_s."""
    vs = links.shape[0] // n_t
    out = np.empty(vs)
    for j in range(vs):
        p = qload(links, j, 0)
        for t in range(1, n_t):
            p = qmul(p, qload(links, j + t * vs, 0))
        out[j] = p[0]
    return out


@njit(cache=True, nogil=True)
def link_norm_deviation(links):
    """max | |q| - 1 | over all links."""
    n = links.shape[0]
    dev = np.empty(n)
    for s in range(n):
        m = 0.0
        for mu in range(4):
            q = qload(links, s, mu)
            m = max(m, abs(np.sqrt(q[0] ** 2 + q[1] ** 2 + q[2] ** 2 + q[3] ** 2) - 1.0))
        dev[s] = m
    return dev.max()


@njit(cache=True, nogil=True)
def update_sweeps_serial(links, fwd, bwd, parity_sites, beta, n_overrelax, n_sweeps, states):
    """`n_sweeps` compound sweeps, each one heat-bath sweep then `n_overrelax` overrelaxation
    sweeps (overrelaxation moves far along the constant-action surface at no RNG cost)."""
    for _ in range(n_sweeps):
        heatbath_sweep_serial(links, fwd, bwd, parity_sites, beta, states)
        for _ in range(n_overrelax):
            overrelax_sweep_serial(links, fwd, bwd, parity_sites)


def update_sweeps(links, fwd, bwd, parity_sites, beta, n_overrelax, n_sweeps, states, parallel):
    """Compound sweeps with the serial or the prange kernels (same result either way).

    The parallel kernels are called from Python, not from another jitted function: a cached
    jitted caller of a parallel function can crash when it is loaded before numba's threading
    layer has started.
    """
    if not parallel:
        update_sweeps_serial(links, fwd, bwd, parity_sites, beta, n_overrelax, n_sweeps, states)
        return
    for _ in range(n_sweeps):
        heatbath_sweep(links, fwd, bwd, parity_sites, beta, states)
        for _ in range(n_overrelax):
            overrelax_sweep(links, fwd, bwd, parity_sites)
