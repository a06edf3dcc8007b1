"""Wolff single-cluster updates for the 2D Ising model (J = 1, periodic), one chain per lattice.

A "sweep-equivalent" is a fixed number of clusters, round(L*L / <cluster size>), so that it
flips L*L spins on average and autocorrelation times compare with Metropolis sweeps. The
mean cluster size is measured during burn-in. The number must not depend on the current
run (e.g. "clusters until L*L spins flipped"): a state-dependent stopping time selects the
states after unusually large clusters, which are more ordered, and biases every average.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from physlens.ising.rng import xoshiro_step


@njit(cache=True)
def wolff_cluster(lat, state, threshold, stack_y, stack_x):
    """Grow and flip one cluster from a random seed site; returns its size.

    Spins are flipped when added, so a site enters the stack at most once (stacks of L*L);
    each bond to a still-unflipped parallel neighbour is activated when a random word is
    below `threshold` = floor(p_add 2^64), p_add = 1 - e^(-2 beta). The RNG state lives in
    registers for the whole cluster (written back at the end).
    """
    L = lat.shape[0]
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
    i = int(float(r >> uint64(11)) * (1.0 / 9007199254740992.0) * L * L)
    y, x = i // L, i % L
    s = lat[y, x]
    lat[y, x] = -s
    stack_y[0], stack_x[0] = y, x
    top = 1
    size = 1
    while top > 0:
        top -= 1
        y, x = stack_y[top], stack_x[top]
        for k in range(4):
            if k == 0:
                ny, nx = y, (x + 1 if x < L - 1 else 0)
            elif k == 1:
                ny, nx = y, (x - 1 if x > 0 else L - 1)
            elif k == 2:
                ny, nx = (y + 1 if y < L - 1 else 0), x
            else:
                ny, nx = (y - 1 if y > 0 else L - 1), x
            if lat[ny, nx] == s:
                # branch-free accept (the coin is unpredictable): always write the stack
                # slot, advance only on acceptance; the slot exists because (ny, nx) is not
                # yet in the cluster, so fewer than L*L sites are pending
                r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
                add = 1 if r < threshold else 0
                lat[ny, nx] = -s if add else s
                stack_y[top], stack_x[top] = ny, nx
                top += add
                size += add
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return size


@njit(cache=True)
def wolff_clusters(lat, state, threshold, n_clusters):
    """`n_clusters` single-cluster updates; returns the number of spins flipped."""
    n = lat.shape[0] * lat.shape[1]
    stack_y, stack_x = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    flipped = 0
    for _ in range(n_clusters):
        flipped += wolff_cluster(lat, state, threshold, stack_y, stack_x)
    return flipped


@njit(cache=True)
def wolff_burn_in(lat, state, threshold, n_sweeps):
    """Clusters until n_sweeps * L * L spins have flipped; returns (clusters, flipped).

    For burn-in only (state-dependent stopping is harmless when nothing is measured); the
    counts give the mean cluster size that fixes the sweep-equivalent afterwards.
    """
    n = lat.shape[0] * lat.shape[1]
    stack_y, stack_x = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    target = n_sweeps * n
    clusters = 0
    flipped = 0
    while flipped < target:
        flipped += wolff_cluster(lat, state, threshold, stack_y, stack_x)
        clusters += 1
    return clusters, flipped


@njit(cache=True)
def lattice_observables(lat):
    """(E/N, M/N) of an int8 +-1 lattice; E = -sum over bonds s_i s_j (right and down bonds)."""
    L = lat.shape[0]
    bonds = 0
    mag = 0
    for y in range(L):
        yd = y + 1 if y < L - 1 else 0
        for x in range(L):
            xr = x + 1 if x < L - 1 else 0
            s = np.int64(lat[y, x])
            bonds += s * (lat[y, xr] + lat[yd, x])
            mag += s
    n = L * L
    return -bonds / n, mag / n


@njit(cache=True, parallel=True)
def wolff_run_burn_in(lats, states, threshold, n_sweeps, clusters, flipped):
    """Burn-in of chain c for n_sweeps[c] sweeps' worth of flips; counts into clusters/flipped."""
    for c in prange(lats.shape[0]):
        clusters[c], flipped[c] = wolff_burn_in(lats[c], states[c], threshold[c], n_sweeps[c])


@njit(cache=True, parallel=True)
def wolff_run(lats, states, threshold, per_sweep, n_sweeps):
    """Advance chain c by n_sweeps[c] sweep-equivalents of per_sweep[c] clusters each."""
    for c in prange(lats.shape[0]):
        wolff_clusters(lats[c], states[c], threshold[c], per_sweep[c] * n_sweeps[c])


@njit(cache=True, parallel=True)
def wolff_series(lats, states, threshold, per_sweep, energy, abs_m):
    """One sweep-equivalent then one measurement, energy.shape[1] times; fills (C, n)."""
    for c in prange(lats.shape[0]):
        for i in range(energy.shape[1]):
            wolff_clusters(lats[c], states[c], threshold[c], per_sweep[c])
            e, m = lattice_observables(lats[c])
            energy[c, i] = e
            abs_m[c, i] = abs(m)


@njit(cache=True, parallel=True)
def wolff_samples(lats, states, threshold, per_sweep, thinning, spins, energy, magnetization):
    """Fill spins (C, R, L, L): before each of R samples, thinning[c] sweep-equivalents."""
    for c in prange(lats.shape[0]):
        for r in range(spins.shape[1]):
            wolff_clusters(lats[c], states[c], threshold[c], per_sweep[c] * thinning[c])
            spins[c, r] = lats[c]
            e, m = lattice_observables(lats[c])
            energy[c, r] = e
            magnetization[c, r] = m
