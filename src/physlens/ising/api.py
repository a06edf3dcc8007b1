"""Ising Monte Carlo from Python, without Snakemake: one call per lattice size."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import xarray as xr

from physlens.io import load_dataset
from physlens.validate import validate_ising


def sample(
    L: int,
    temperatures: Sequence[float] | dict,
    samples_per_temperature: int,
    seed: int = 0,
    path: str | Path | None = None,
    threads: int = 1,
    **options,
) -> xr.Dataset:
    """Decorrelated L x L configurations at each temperature, as an in-memory Dataset.

    `temperatures`: a list of values, or a grid {"coarse": {"start", "stop", "num"}, ...}
    as in the config's ising.temperatures. `options`: other keys of the config's `ising`
    block (algorithm, wolff_chains, pilot_sweeps, equilibration, thinning_multiple), with
    the schema's defaults. The result has the layout of results/ising/L{L}.h5 (spins,
    energy and magnetization per site, tau_int, thinning); with `path` the file is kept.
    """
    from physlens.ising.sampling import simulate_to_file

    grid = temperatures if isinstance(temperatures, dict) else {"values": list(temperatures)}
    params = {
        "seed": seed,
        "temperatures": grid,
        "samples_per_temperature": samples_per_temperature,
        **options,
    }
    if path is not None:
        simulate_to_file(params, L, path, threads=threads, progress=False)
        return validate_ising(load_dataset(path), path)
    with tempfile.TemporaryDirectory(prefix="physlens-ising-") as tmp:
        out = Path(tmp) / f"L{L}.h5"
        simulate_to_file(params, L, out, threads=threads, progress=False)
        return validate_ising(load_dataset(out), out)


sample_ising = sample  # the name physlens exports at the top level
