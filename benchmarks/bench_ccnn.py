"""Wall time of the CCNN correlator maps (Newton's recursion: max_order convolutions) against
the brute-force tuple sum they are defined by (every n-subset of window cells, n = 1..4).

Baseline, measured in the same run on the same configurations and filters:
physlens.ccnn.correlators.brute_force_maps (NumPy, one product per subset and site). Printed
per window: median wall time of each over --repeats runs, their ratio, the number of
subset products the brute force forms, and the largest relative difference of the maps
(float64 on both sides). The recursion's cost grows linearly in the window size, the tuple
sum's as C(|W|, 4).

    .venv/bin/python benchmarks/bench_ccnn.py [--repeats 5] [--batch 64] [--L 16]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from math import comb

import numpy as np
import torch

from physlens.ccnn.correlators import brute_force_maps, correlator_maps
from physlens.seeding import rng

WINDOWS = [(2, 2), (3, 3), (4, 4), (5, 5)]
MAX_ORDER = 4
N_FILTERS = 4


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--L", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    gen = rng(2026, "bench_ccnn")
    spins = np.where(gen.random((args.batch, args.L, args.L)) < 0.5, -1.0, 1.0)
    print(
        f"# CCNN correlator maps -- {platform.processor() or platform.machine()}, "
        f"{time.strftime('%Y-%m-%d')}, torch threads={args.threads}, batch={args.batch}, "
        f"L={args.L}, filters={N_FILTERS}, orders 1..{MAX_ORDER}, repeats={args.repeats}"
    )
    print(
        f"{'window':>7s} {'recursive s':>12s} {'tuple sum s':>12s} {'ratio':>8s} "
        f"{'subsets':>8s} {'max rel diff':>13s}"
    )
    for h, w in WINDOWS:
        filters = gen.normal(size=(N_FILTERS, h, w))
        x, f = torch.as_tensor(spins), torch.as_tensor(filters)
        correlator_maps(x, f, MAX_ORDER)  # warm-up: torch's first call allocates
        t_rec, rec = timed(lambda: correlator_maps(x, f, MAX_ORDER), args.repeats)
        # the tuple sum is slow: fewer repeats for the large windows
        t_bf, bf = timed(
            lambda: brute_force_maps(spins, filters, MAX_ORDER),
            max(1, args.repeats // (h * w // 4)),
        )
        diff = float(np.abs(rec.numpy() - bf).max() / np.abs(bf).max())
        n_sub = sum(comb(h * w, n) for n in range(1, MAX_ORDER + 1))
        print(f"{h}x{w:<5d} {t_rec:12.4f} {t_bf:12.4f} {t_bf / t_rec:8.1f} {n_sub:8d} {diff:13.2e}")


if __name__ == "__main__":
    main()
