"""Multi-spin-coded checkerboard Metropolis for the 2D Ising model (J = 1, periodic).

A lattice is an (L, L) uint64 array: bit b of every word is replica b, so one temperature
carries 64 independent Markov chains (bit 1 = spin -1, bit 0 = spin +1). For a spin word s
and neighbour words n1..n4, d_i = s ^ n_i marks anti-aligned pairs; with k anti-aligned
neighbours the flip costs dE = 8 - 4k, so lanes with k >= 2 always flip, k == 1 flips with
p4 = exp(-4 beta) and k == 0 with p8 = exp(-8 beta). The acceptance mask compares a
bit-sliced uniform (fresh random words, one bit per replica) with each replica's threshold,
most significant bit first, for at most 64 bits: exact to 2^-64, and no random bit is shared
between replicas or between words.

Even L (the vectorised path): inside a call the lattice is split by sublattice (colour c,
row y, word i holds site x = 2i + ((y + c) & 1)), each row padded with a ghost word either
side, so the four neighbours of consecutive words are consecutive words. A row is processed
in chunks of `lanes_for(L)` <= STREAMS words; word j of a chunk draws from xoshiro256**
stream j, so the lane loops are independent uint64 loops that LLVM turns into AVX2/AVX-512
vectors. A chunk's comparison runs until every bit of the chunk is decided, in blocks of
steps (extra draws after a bit is decided are discarded, which keeps the law exact).
Odd L has no 2-colouring on the torus; it keeps a scalar sequential sweep (stream 0 only).
Either way a "sweep" is one Metropolis attempt per site.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from physlens.ising.rng import next_u64, xoshiro_step

N_COUNTER_BITS = 32  # bit-sliced counters hold up to 2^32 - 1 anti-aligned bonds per lane
STREAMS = 32  # xoshiro256** streams per temperature: the widest chunk, in words
FIRST_BLOCK = 8  # comparison steps before the first "all decided?" test (~11 are needed)
BLOCK = 4  # steps per later test; 64 - FIRST_BLOCK must be a multiple
# rows of the per-chunk work array, STREAMS words each
_ST, _EQ1, _EQ0, _UND, _ACC, _FLIP, _ROWS = 0, 4, 5, 6, 7, 8, 9


@njit(cache=True)
def lanes_for(L):
    """Words per chunk at even L: the half-row rounded up to 8, at most STREAMS."""
    return min(STREAMS, -(-(L // 2) // 8) * 8)


@njit(inline="always")
def _step(s0, s1, s2, s3, und, acc, eq1, eq0, t4, t8):
    """One xoshiro256** draw r and one bit of the comparisons U < p of the replicas of a word."""
    r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
    threshold = (t4 & eq1) | (t8 & eq0)
    acc |= und & threshold & ~r  # uniform bit 0 < threshold bit 1: U < p
    und &= ~(threshold ^ r)  # equal bits: not decided yet
    return s0, s1, s2, s3, und, acc


@njit(inline="always")
def _compare_steps(work, w, p4bits, p8bits, k, n_steps):
    """Steps k .. k + n_steps - 1 for the w lanes; returns the OR of the undecided masks.

    n_steps is a constant at every call site, so the step loop unrolls and the lane loop
    keeps each lane's state in registers for the whole block.
    """
    any_undecided = uint64(0)
    for j in range(w):
        s0 = work[j]
        s1 = work[STREAMS + j]
        s2 = work[2 * STREAMS + j]
        s3 = work[3 * STREAMS + j]
        eq1 = work[_EQ1 * STREAMS + j]
        eq0 = work[_EQ0 * STREAMS + j]
        und = work[_UND * STREAMS + j]
        acc = work[_ACC * STREAMS + j]
        for q in range(n_steps):
            s0, s1, s2, s3, und, acc = _step(
                s0, s1, s2, s3, und, acc, eq1, eq0, p4bits[k + q], p8bits[k + q]
            )
        work[j] = s0
        work[STREAMS + j] = s1
        work[2 * STREAMS + j] = s2
        work[3 * STREAMS + j] = s3
        work[_UND * STREAMS + j] = und
        work[_ACC * STREAMS + j] = acc
        any_undecided |= und
    return any_undecided


@njit(cache=True, boundscheck=False)
def accept_chunk(work, w, p4bits, p8bits):
    """work[_ACC] = replicas of the w words accepted: eq1 lanes with p4, eq0 lanes with p8."""
    any_undecided = uint64(0)
    for j in range(w):
        und = work[_EQ1 * STREAMS + j] | work[_EQ0 * STREAMS + j]
        work[_UND * STREAMS + j] = und
        work[_ACC * STREAMS + j] = uint64(0)
        any_undecided |= und
    if any_undecided != uint64(0):
        any_undecided = _compare_steps(work, w, p4bits, p8bits, 0, FIRST_BLOCK)
    k = FIRST_BLOCK
    while any_undecided != uint64(0) and k < 64:
        any_undecided = _compare_steps(work, w, p4bits, p8bits, k, BLOCK)
        k += BLOCK


@njit(cache=True, boundscheck=False)
def classify_chunk(sub, s_at, h_at, v_at, up_at, down_at, n_valid, w, work):
    """Flip (dE <= 0), eq1 (one anti-aligned neighbour) and eq0 (none) masks of the w words
    at sub[s_at:]; neighbours at v_at (same column), h_at (the other column), up_at, down_at.
    Lanes from n_valid on (row padding) get empty masks."""
    for j in range(w):
        s = sub[s_at + j]
        d1 = s ^ sub[v_at + j]
        d2 = s ^ sub[h_at + j]
        d3 = s ^ sub[up_at + j]
        d4 = s ^ sub[down_at + j]
        x1 = d1 ^ d2
        c1 = d1 & d2
        x2 = d3 ^ d4
        c2 = d3 & d4
        valid = uint64(0) - uint64(j < n_valid)
        work[_FLIP * STREAMS + j] = (c1 | c2 | (x1 & x2)) & valid  # k >= 2
        work[_EQ1 * STREAMS + j] = (x1 ^ x2) & ~(c1 | c2) & valid
        work[_EQ0 * STREAMS + j] = ~(d1 | d2 | d3 | d4) & valid


@njit(cache=True, boundscheck=False)
def apply_chunk(sub, s_at, w, work):
    for j in range(w):
        sub[s_at + j] ^= work[_FLIP * STREAMS + j] | work[_ACC * STREAMS + j]


@njit(cache=True, boundscheck=False)
def split_lattice(lat, sub, row_stride, to_split):
    """Copy between the (L, L) lattice and the sublattice rows of `sub` (either direction)."""
    L = lat.shape[0]
    for c in range(2):
        for y in range(L):
            base = (c * L + y) * row_stride + 1
            for i in range(L // 2):
                x = 2 * i + ((y + c) & 1)
                if to_split:
                    sub[base + i] = lat[y, x]
                else:
                    lat[y, x] = sub[base + i]


@njit(cache=True, boundscheck=False)
def _fill_ghosts(sub, c, L, H, row_stride):
    """Ghost words of colour c: left = last word of the row, right = first."""
    for y in range(L):
        r = (c * L + y) * row_stride
        sub[r] = sub[r + H]
        sub[r + H + 1] = sub[r + 1]


@njit(cache=True, boundscheck=False)
def _split_sweeps(sub, L, w, row_stride, work, p4bits, p8bits, n_sweeps):
    H = L // 2
    for _ in range(n_sweeps):
        for c in range(2):
            o = 1 - c
            _fill_ghosts(sub, o, L, H, row_stride)
            for y in range(L):
                yu = y - 1 if y > 0 else L - 1
                yd = y + 1 if y < L - 1 else 0
                # x = 2i + ((y + c) & 1): the other column is word i - 1 or i + 1
                shift = -1 if ((y + c) & 1) == 0 else 1
                for i0 in range(0, H, w):
                    s_at = uint64((c * L + y) * row_stride + 1 + i0)
                    v_at = uint64((o * L + y) * row_stride + 1 + i0)
                    h_at = uint64((o * L + y) * row_stride + 1 + i0 + shift)
                    up_at = uint64((o * L + yu) * row_stride + 1 + i0)
                    down_at = uint64((o * L + yd) * row_stride + 1 + i0)
                    classify_chunk(sub, s_at, h_at, v_at, up_at, down_at, H - i0, w, work)
                    accept_chunk(work, w, p4bits, p8bits)
                    apply_chunk(sub, s_at, w, work)


@njit(cache=True)
def _acceptance_mask(state, eq1, eq0, p4bits, p8bits):
    """Odd L: lanes of eq1 set with probability p4, lanes of eq0 with p8, from one stream."""
    accepted = uint64(0)
    undecided = eq1 | eq0
    k = 0
    while undecided != uint64(0) and k < 64:
        r = next_u64(state)
        threshold = (p4bits[k] & eq1) | (p8bits[k] & eq0)
        accepted |= undecided & threshold & ~r
        undecided &= ~(threshold ^ r)
        k += 1
    return accepted


@njit(cache=True)
def _sequential_sweeps(lat, state, p4bits, p8bits, n_sweeps):
    """Odd L: sites in sublattice order, one at a time (same-colour neighbours exist)."""
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
                    flip = c1 | c2 | (x1 & x2)
                    eq1 = (x1 ^ x2) & ~(c1 | c2)
                    eq0 = ~(d1 | d2 | d3 | d4)
                    if (eq1 | eq0) != uint64(0):
                        flip |= _acceptance_mask(state, eq1, eq0, p4bits, p8bits)
                    lat[y, x] = s ^ flip


@njit(cache=True)
def metropolis_sweeps(lat, states, p4bits, p8bits, n_sweeps):
    """`n_sweeps` sweeps of the 64 replicas packed in `lat` (in place); states: (4, STREAMS)
    xoshiro256** words, row r = word r of every stream (advanced in place)."""
    L = lat.shape[0]
    if L % 2:
        state = np.ascontiguousarray(states[:, 0])
        _sequential_sweeps(lat, state, p4bits, p8bits, n_sweeps)
        states[:, 0] = state
        return
    w = lanes_for(L)
    row_stride = -(-(L // 2) // w) * w + 2  # ghost word each side, padding to whole chunks
    sub = np.zeros(2 * L * row_stride, dtype=np.uint64)
    split_lattice(lat, sub, row_stride, True)
    work = np.zeros(_ROWS * STREAMS, dtype=np.uint64)
    work[: 4 * STREAMS] = states.ravel()
    _split_sweeps(sub, L, w, row_stride, work, p4bits, p8bits, n_sweeps)
    states[:] = work[: 4 * STREAMS].reshape(4, STREAMS)
    split_lattice(lat, sub, row_stride, False)


@njit(cache=True)
def acceptance_masks(states, eq1, eq0, p4bits, p8bits):
    """Accepted replicas of len(eq1) <= STREAMS words (word j from stream j), as the sweep
    draws them: eq1 replicas with probability p4, eq0 replicas with p8; states advance."""
    w = len(eq1)
    work = np.zeros(_ROWS * STREAMS, dtype=np.uint64)
    work[: 4 * STREAMS] = states.ravel()
    work[_EQ1 * STREAMS : _EQ1 * STREAMS + w] = eq1
    work[_EQ0 * STREAMS : _EQ0 * STREAMS + w] = eq0
    accept_chunk(work, w, p4bits, p8bits)
    states[:] = work[: 4 * STREAMS].reshape(4, STREAMS)
    return work[_ACC * STREAMS : _ACC * STREAMS + w].copy()


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
