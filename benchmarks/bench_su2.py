"""Link updates per second of the SU(2) heat-bath and overrelaxation kernels.

Baselines measured in the same run:
* a plain NumPy per-link loop (staple from quaternion products, Creutz/KP draw with NumPy's
  generator), on a few hundred links: what the kernels replace;
* the numba kernels on one thread (serial sweep, no prange) for the parallel ratios, both of
  the prange kernels (one lattice, checkerboard batches split over threads) and of independent
  chains run in threads (one beta per thread, serial kernels: what simulate_to_file does on
  small lattices).

The load average is printed: other jobs on the cores distort the parallel figures most.

Run: .venv/bin/python benchmarks/bench_su2.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from physlens.ising.rng import xoshiro_states
from physlens.su2 import kernels
from physlens.su2.lattice import make_lattice
from physlens.su2.quaternion import dagger, multiply, random_su2


def numpy_heatbath_link(links, lat, s, mu, beta, gen):
    """Reference per-link heat bath in plain NumPy (same algorithm as the kernel)."""
    a = np.zeros(4)
    for nu in range(4):
        if nu == mu:
            continue
        sp, sn = lat.fwd[s, mu], lat.fwd[s, nu]
        a += multiply(multiply(links[sp, nu], dagger(links[sn, mu])), dagger(links[s, nu]))
        sm = lat.bwd[s, nu]
        a += multiply(dagger(multiply(links[sm, mu], links[lat.bwd[sp, nu], nu])), links[sm, nu])
    k = np.linalg.norm(a)
    alpha = beta * k
    while True:  # Creutz (adequate at any alpha for a baseline)
        x = 1.0 + np.log1p(np.expm1(-2 * alpha) * (1 - gen.random())) / alpha
        if gen.random() ** 2 <= 1 - x * x:
            break
    r, c, phi = np.sqrt(1 - x * x), 2 * gen.random() - 1, 2 * np.pi * gen.random()
    sin_t = np.sqrt(1 - c * c)
    w = np.array([x, r * sin_t * np.cos(phi), r * sin_t * np.sin(phi), r * c])
    links[s, mu] = multiply(w, dagger(a / k))


def rate(fn, n_links, min_time=1.0):
    """Link updates per second of fn() (which updates n_links links), best of 3 blocks."""
    fn()  # compile / warm up
    reps = 1
    while True:
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        dt = time.perf_counter() - t
        if dt > min_time / 3:
            break
        reps *= 2
    best = dt
    for _ in range(2):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, time.perf_counter() - t)
    return n_links * reps / best


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller lattices, shorter timing")
    args = parser.parse_args(argv)
    min_time = 0.3 if args.quick else 1.0
    sizes = [(6, 2), (8, 8)] if args.quick else [(6, 2), (8, 8), (16, 8)]
    threads = numba.config.NUMBA_NUM_THREADS
    beta = 2.3
    print(
        f"# SU(2) kernels, {platform.processor() or platform.machine()}, numba {numba.__version__}, "
        f"{threads} numba threads; load average {os.getloadavg()}; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}"
    )

    lat = make_lattice(4, 4)
    links = random_su2(np.random.default_rng(0), (lat.volume, 4))
    gen = np.random.default_rng(1)
    n_np = 256
    t = time.perf_counter()
    for i in range(n_np):
        numpy_heatbath_link(links, lat, i % lat.volume, i % 4, beta, gen)
    numpy_rate = n_np / (time.perf_counter() - t)
    print(f"numpy per-link heat bath (baseline): {numpy_rate:12.0f} links/s")

    header = f"{'lattice':>10} {'update':>12} {'1 thread':>14} {f'{threads} threads':>14} {'parallel x':>10} {'vs numpy x':>10}"
    print(header)
    for n_s, n_t in sizes:
        lat = make_lattice(n_s, n_t)
        flat = random_su2(np.random.default_rng(2), (lat.volume, 4))
        states = xoshiro_states(list(range(lat.volume)))
        n_links = 4 * lat.volume
        args_ = (flat, lat.fwd, lat.bwd, lat.parity_sites)
        rates = {}
        for name, serial, parallel in (
            (
                "heat bath",
                lambda: kernels.heatbath_sweep_serial(*args_, beta, states),
                lambda: kernels.heatbath_sweep(*args_, beta, states),
            ),
            (
                "overrelax",
                lambda: kernels.overrelax_sweep_serial(*args_),
                lambda: kernels.overrelax_sweep(*args_),
            ),
        ):
            numba.set_num_threads(threads)
            r_serial = rate(serial, n_links, min_time)
            r_par = rate(parallel, n_links, min_time)
            rates[name] = (r_serial, r_par)
            print(
                f"{f'{n_s}^3x{n_t}':>10} {name:>12} {r_serial:14.3e} {r_par:14.3e} "
                f"{r_par / r_serial:10.2f} {max(r_serial, r_par) / numpy_rate:10.0f}"
            )
    print(f"threading layer: {numba.threading_layer()}")

    # independent chains in threads, compound sweeps (1 heat bath + 3 overrelaxation)
    print(
        f"{'lattice':>10} {'chains':>12} {'1 chain':>14} {f'{threads} chains':>14} {'parallel x':>10}"
    )
    for n_s, n_t in sizes[:2]:
        lat = make_lattice(n_s, n_t)
        chains = [
            (
                random_su2(np.random.default_rng(10 + c), (lat.volume, 4)),
                xoshiro_states([100 * c + s for s in range(lat.volume)]),
            )
            for c in range(threads)
        ]
        n_sweeps = max(1, 20000 // lat.volume)
        n_links = 4 * 4 * lat.volume * n_sweeps  # link updates per chain and call

        def one(c):
            flat, states = chains[c]
            kernels.update_sweeps_serial(
                flat, lat.fwd, lat.bwd, lat.parity_sites, beta, 3, n_sweeps, states
            )

        with ThreadPoolExecutor(max_workers=threads) as pool:
            r1 = rate(lambda: one(0), n_links, min_time)
            rn = rate(lambda: list(pool.map(one, range(threads))), threads * n_links, min_time)
        print(f"{f'{n_s}^3x{n_t}':>10} {'compound':>12} {r1:14.3e} {rn:14.3e} {rn / r1:10.2f}")
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
