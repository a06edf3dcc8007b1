"""Throw-away Ising data for the supervised tests, in the layout of results/ising/L{L}.h5.

Plain NumPy checkerboard Metropolis, vectorised over temperatures and independent replicas
(one stored sample per replica, so samples are independent by construction). Used only
when physlens.ising.sampling.simulate_to_file is not available.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from physlens.io import to_netcdf_atomic


def _sweep(spins, beta, rng, parity):
    """One checkerboard sweep over all replicas; beta has shape (T, 1, 1, 1)."""
    for p in parity:
        nn = (
            np.roll(spins, 1, -1)
            + np.roll(spins, -1, -1)
            + np.roll(spins, 1, -2)
            + np.roll(spins, -1, -2)
        )
        dE = 2.0 * spins * nn
        accept = rng.random(spins.shape) < np.exp(-beta * dE)
        spins[...] = np.where(accept & p, -spins, spins)


def metropolis_samples(L, temperatures, n_samples, seed, sweeps=400):
    """Spins (T, sample, L, L) int8; replicas start half ordered, half random."""
    rng = np.random.default_rng(seed)
    temps = np.asarray(temperatures, float)
    spins = rng.choice(np.array([-1.0, 1.0]), size=(len(temps), n_samples, L, L))
    cold = temps < 2.269
    spins[cold, : n_samples // 2] = np.where(
        rng.random((cold.sum(), n_samples // 2, 1, 1)) < 0.5, -1.0, 1.0
    )
    yy, xx = np.indices((L, L))
    even = (yy + xx) % 2 == 0
    beta = (1.0 / temps)[:, None, None, None]
    for _ in range(sweeps):
        _sweep(spins, beta, rng, (even, ~even))
    return spins.astype(np.int8)


def ising_dataset(spins, temperatures, L, seed):
    s = spins.astype(np.float64)
    n = L * L
    bonds = s * np.roll(s, 1, -1) + s * np.roll(s, 1, -2)
    energy = -bonds.sum(axis=(-2, -1)) / n
    magnetization = s.sum(axis=(-2, -1)) / n
    return xr.Dataset(
        {
            "spins": (("temperature", "sample", "y", "x"), spins),
            "energy": (("temperature", "sample"), energy),
            "magnetization": (("temperature", "sample"), magnetization),
        },
        coords={"temperature": np.asarray(temperatures, float)},
        attrs={
            "L": int(L),
            "seed": int(seed),
            "algorithm": "test fixture: numpy checkerboard Metropolis",
        },
    )


def write_fixture(path, L, temperatures, n_samples, seed, sweeps=400) -> Path:
    spins = metropolis_samples(L, temperatures, n_samples, seed, sweeps)
    to_netcdf_atomic(ising_dataset(spins, temperatures, L, seed), path)
    return Path(path)


if (
    __name__ == "__main__"
):  # bigger data for manual checks: python tests/_ising_fixture.py OUTDIR L...
    import sys

    from physlens.config import load_config, temperature_grid

    out, sizes = Path(sys.argv[1]), [int(a) for a in sys.argv[2:]]
    cfg = load_config("config/config.yaml")
    temps = temperature_grid(cfg["ising"])
    for L in sizes:
        write_fixture(
            out / f"L{L}.h5",
            L,
            temps,
            cfg["ising"]["samples_per_temperature"],
            1000 + L,
            sweeps=max(400, L * L),
        )
        print("wrote", L, flush=True)


def ising_params(config_path="config/test.yaml", **overrides) -> dict:
    """The Ising rule's params (config ising block without sizes/checks, plus the seed)."""
    from physlens.config import REPO_ROOT, load_config

    cfg = load_config(REPO_ROOT / config_path)
    params = {
        "seed": cfg["seed"],
        **{k: v for k, v in cfg["ising"].items() if k not in ("checks", "sizes")},
    }
    params.update(overrides)
    return params


def make_ising_files(root, sizes, params: dict) -> dict[int, Path]:
    """results/ising/L{L}.h5-style files under `root`, from the project's Monte Carlo when
    it is available, else from the NumPy Metropolis above (same layout)."""
    from physlens.config import temperature_grid

    root = Path(root)
    out = {}
    for L in sizes:
        path = root / f"L{L}.h5"
        if not path.exists():
            try:
                from physlens.ising.sampling import simulate_to_file
            except ImportError:
                write_fixture(
                    path,
                    L,
                    temperature_grid(params),
                    params["samples_per_temperature"],
                    params["seed"] + L,
                )
            else:
                simulate_to_file(params, L, path, threads=1, progress=False)
        out[L] = path
    return out
