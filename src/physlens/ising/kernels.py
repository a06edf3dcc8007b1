"""Multi-spin-coded checkerboard Metropolis for the 2D Ising model (J = 1, periodic).

A lattice is an (L, L) uint64 array: bit b of every word is replica b, so one temperature
carries 64 independent Markov chains (bit 1 = spin -1, bit 0 = spin +1). For a spin word s
and neighbour words n1..n4, d_i = s ^ n_i marks anti-aligned pairs; with k anti-aligned
neighbours the flip costs dE = 8 - 4k, so lanes with k >= 2 always flip, k == 1 flips with
p4 = exp(-4 beta) and k == 0 with p8 = exp(-8 beta). The acceptance mask compares a
bit-sliced uniform (fresh random words, one bit per lane) with each lane's threshold, most
significant bit first: exact to 2^-64, and no random bit is shared between replicas.

Sites are visited sublattice by sublattice ((x + y) even, then odd); for odd L the two sets
still partition the lattice, so a "sweep" is one Metropolis attempt per site for every L.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from physlens.ising.rng import next_u64

N_COUNTER_BITS = 32  # bit-sliced counters hold up to 2^32 - 1 anti-aligned bonds per lane


@njit(cache=True)
def _acceptance_mask(state, eq1, eq0, p4bits, p8bits):
    """Lanes of eq1 set with probability p4, lanes of eq0 with p8, each from its own bits."""
    accepted = uint64(0)
    undecided = eq1 | eq0
    k = 0
    while undecided != uint64(0) and k < 64:
        r = next_u64(state)
        threshold = (p4bits[k] & eq1) | (p8bits[k] & eq0)
        accepted |= undecided & threshold & ~r  # uniform bit 0 < threshold bit 1: U < p
        undecided &= ~(threshold ^ r)  # equal bits: not decided yet
        k += 1
    return accepted


@njit(cache=True)
def metropolis_sweeps(lat, state, p4bits, p8bits, n_sweeps):
    """`n_sweeps` checkerboard sweeps of the 64 replicas packed in `lat` (in place)."""
    L = lat.shape[0]
    for _ in range(n_sweeps):
        for parity in range(2):
            for y in range(L):
                yu = y - 1 if y > 0 else L - 1
                yd = y + 1 if y < L - 1 else 0
                for x in range((y + parity) & 1, L, 2):
                    xl = x - 1 if x > 0 else L - 1
                    xr = x + 1 if x < L - 1 else 0
                    s = lat[y, x]
                    d1 = s ^ lat[y, xl]
                    d2 = s ^ lat[y, xr]
                    d3 = s ^ lat[yu, x]
                    d4 = s ^ lat[yd, x]
                    x1 = d1 ^ d2
                    c1 = d1 & d2
                    x2 = d3 ^ d4
                    c2 = d3 & d4
                    flip = c1 | c2 | (x1 & x2)  # k >= 2: dE <= 0
                    eq1 = (x1 ^ x2) & ~(c1 | c2)
                    eq0 = ~(d1 | d2 | d3 | d4)
                    if (eq1 | eq0) != uint64(0):
                        flip |= _acceptance_mask(state, eq1, eq0, p4bits, p8bits)
                    lat[y, x] = s ^ flip


@njit(cache=True)
def _add_to_counter(counter, word):
    """Bit-sliced increment: add bit b of `word` to lane b's binary counter."""
    carry = word
    j = 0
    while carry != uint64(0):
        t = counter[j] & carry
        counter[j] ^= carry
        carry = t
        j += 1


@njit(cache=True)
def measure_replicas(lat, energy, magnetization):
    """Per-site energy E/N and magnetisation M/N of each of the 64 replicas (written in place)."""
    L = lat.shape[0]
    n = L * L
    anti = np.zeros(N_COUNTER_BITS, dtype=np.uint64)  # anti-aligned bonds per lane
    down = np.zeros(N_COUNTER_BITS, dtype=np.uint64)  # spins -1 per lane
    for y in range(L):
        yd = y + 1 if y < L - 1 else 0
        for x in range(L):
            xr = x + 1 if x < L - 1 else 0
            s = lat[y, x]
            _add_to_counter(anti, s ^ lat[y, xr])
            _add_to_counter(anti, s ^ lat[yd, x])
            _add_to_counter(down, s)
    for b in range(64):
        a = 0
        d = 0
        for j in range(N_COUNTER_BITS):
            a += int((anti[j] >> uint64(b)) & uint64(1)) << j
            d += int((down[j] >> uint64(b)) & uint64(1)) << j
        energy[b] = (2.0 * a - 2.0 * n) / n  # each bond: -1 aligned, +1 anti-aligned
        magnetization[b] = (n - 2.0 * d) / n


@njit(cache=True)
def unpack_replica(lat, lane, out):
    """Spins of replica `lane` as int8 +-1 into `out` (L, L)."""
    L = lat.shape[0]
    for y in range(L):
        for x in range(L):
            out[y, x] = 1 - 2 * np.int8((lat[y, x] >> uint64(lane)) & uint64(1))


@njit(cache=True, parallel=True)
def metropolis_run(lats, states, p4bits, p8bits, n_sweeps):
    """Advance temperature t by n_sweeps[t] sweeps; temperatures in parallel."""
    for t in prange(lats.shape[0]):
        metropolis_sweeps(lats[t], states[t], p4bits[t], p8bits[t], n_sweeps[t])


@njit(cache=True, parallel=True)
def metropolis_series(lats, states, p4bits, p8bits, energy, abs_m):
    """One sweep then one measurement, energy.shape[2] times; fills (T, 64, n) series."""
    for t in prange(lats.shape[0]):
        e = np.empty(64)
        m = np.empty(64)
        for i in range(energy.shape[2]):
            metropolis_sweeps(lats[t], states[t], p4bits[t], p8bits[t], 1)
            measure_replicas(lats[t], e, m)
            energy[t, :, i] = e
            abs_m[t, :, i] = np.abs(m)


@njit(cache=True, parallel=True)
def metropolis_samples(lats, states, p4bits, p8bits, thinning, spins, energy, magnetization, chain):
    """Fill spins (T, S, L, L): rounds of thinning[t] sweeps, then one sample per replica.

    Sample r*64 + b is replica b after round r (the last round may use fewer replicas).
    """
    n_samples = spins.shape[1]
    for t in prange(lats.shape[0]):
        e = np.empty(64)
        m = np.empty(64)
        for start in range(0, n_samples, 64):
            metropolis_sweeps(lats[t], states[t], p4bits[t], p8bits[t], thinning[t])
            measure_replicas(lats[t], e, m)
            for b in range(min(64, n_samples - start)):
                unpack_replica(lats[t], b, spins[t, start + b])
                energy[t, start + b] = e[b]
                magnetization[t, start + b] = m[b]
                chain[t, start + b] = b
