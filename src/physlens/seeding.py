"""Seed derivation: every random stream is a child of the config's master seed.

Streams are keyed by stable labels (stage, lattice size, temperature index, ...), so adding
a temperature or a size never changes the streams of the others.
"""

from __future__ import annotations

import zlib

import numpy as np


def _key_int(key) -> int:
    if isinstance(key, (int, np.integer)):
        if key < 0:
            raise ValueError(f"seed key {key} must be non-negative")
        return int(key)
    return zlib.crc32(str(key).encode())  # stable across runs, unlike hash()


def derive_seed(master: int, *keys) -> int:
    """A 64-bit seed for the stream labelled by `keys` under `master`."""
    seq = np.random.SeedSequence(int(master), spawn_key=tuple(_key_int(k) for k in keys))
    return int(seq.generate_state(1, dtype=np.uint64)[0])


def rng(master: int, *keys) -> np.random.Generator:
    """A NumPy Generator for the stream labelled by `keys`."""
    return np.random.default_rng(derive_seed(master, *keys))
