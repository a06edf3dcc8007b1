"""Thread limits for the numba kernels, shared by every Monte Carlo stage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba


@contextmanager
def numba_threads(threads: int) -> Iterator[int]:
    """Run the block with numba's thread count set to `threads` (clipped to what numba was
    started with, at least 1), restoring the previous count afterwards; yields the count."""
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield numba.get_num_threads()
    finally:
        numba.set_num_threads(previous)
