"""Counter-free 64-bit generators for the numba kernels: splitmix64 seeding, xoshiro256**.

Each Markov chain (a Wolff chain, or a Metropolis temperature whose 64 replicas use the 64
independent bits of every word) owns one xoshiro256** state of four uint64 words, seeded by
expanding a :func:`physlens.seeding.derive_seed` value with splitmix64 (Vigna's recommended
seeding). Results therefore do not depend on how ``prange`` schedules the chains.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


def splitmix64_words(seed: int, n: int = 4) -> np.ndarray:
    """The first `n` outputs of splitmix64 started at `seed` (plain Python, exact 64-bit)."""
    out = np.empty(n, dtype=np.uint64)
    x = int(seed) & _MASK64
    for i in range(n):
        x = (x + _GOLDEN) & _MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        out[i] = z ^ (z >> 31)
    if not out.any():  # xoshiro's one forbidden state; splitmix64 never yields it in practice
        out[0] = 1
    return out


def xoshiro_states(seeds) -> np.ndarray:
    """Array (len(seeds), 4) uint64 of xoshiro256** states, one per 64-bit seed."""
    return (
        np.stack([splitmix64_words(s) for s in seeds])
        if len(seeds)
        else np.empty((0, 4), np.uint64)
    )


def probability_threshold(p: float) -> np.uint64:
    """floor(p * 2^64): a uniform 64-bit word r satisfies r < threshold with probability p
    (to 2^-64). p = 1 is clipped to 1 - 2^-64."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability {p!r} must lie in [0, 1]")
    return np.uint64(min(int(p * 2.0**64), _MASK64))


@njit(inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(inline="always")
def xoshiro_step(s0, s1, s2, s3):
    """One xoshiro256** step on a state held in local variables: (output, new state...)."""
    result = _rotl(s1 * uint64(5), 7) * uint64(9)
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@njit(cache=True)
def next_u64(state):
    """xoshiro256** step on ``state`` (uint64[4], updated in place); returns 64 random bits."""
    result, state[0], state[1], state[2], state[3] = xoshiro_step(
        state[0], state[1], state[2], state[3]
    )
    return result


@njit(cache=True)
def next_double(state):
    """Uniform double in [0, 1) from the top 53 bits."""
    return float(next_u64(state) >> uint64(11)) * (1.0 / 9007199254740992.0)


def probability_bits(p: float) -> np.ndarray:
    """Binary expansion of p in [0, 1] as 64 words, most significant first: all-ones or zero.

    Word k is all ones where bit k+1 after the binary point of p is 1. A double p < 1 is
    a multiple of 2^-1074, so the first 64 bits represent it to better than 2^-64; p == 1
    (T = inf) is handled by the caller, never here.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"probability {p!r} must lie in [0, 1)")
    fixed = int(p * 2.0**64)  # exact: scaling by a power of two, then truncation
    bits = [(fixed >> (63 - k)) & 1 for k in range(64)]
    return np.array([_MASK64 if b else 0 for b in bits], dtype=np.uint64)
