"""A data set physlens does not simulate: the 2D three-state Potts model,
H = -J sum_<ij> delta(s_i, s_j) (J = 1, periodic L x L lattice), sampled by checkerboard
heat-bath sweeps of many independent chains at once, written in the format of
docs/userdata.md.

Each site's state s in {0, 1, 2} is stored as the unit vector (cos 2 pi s / 3, sin 2 pi s / 3)
on a `channel` axis, so that a network (and an observable) sees the Z3 symmetry as a
rotation. Besides the configurations the file holds the temperature and the energy per
site E/N, computed here from the states (a precomputed observable).

Run as a Snakemake script (the example's rule potts_data) or from the command line:
``python potts_data.py out.h5``.
"""

import sys

import numpy as np
import xarray as xr

Q = 3


def heat_bath_sweep(s: np.ndarray, beta: float, rng: np.random.Generator, masks) -> np.ndarray:
    """One sweep of chains s (chains, L, L): each checkerboard sublattice is redrawn from its
    conditional distribution P(s_i = a) ~ exp(beta * number of neighbours in state a)."""
    for mask in masks:
        neighbours = (np.roll(s, 1, 1), np.roll(s, -1, 1), np.roll(s, 1, 2), np.roll(s, -1, 2))
        counts = np.stack([sum(n == a for n in neighbours) for a in range(Q)], axis=-1)
        cdf = np.cumsum(np.exp(beta * counts), axis=-1)
        u = rng.random(s.shape)[..., None] * cdf[..., -1:]
        s = np.where(mask, (u > cdf).sum(-1).astype(s.dtype), s)
    return s


def energy_per_site(s: np.ndarray) -> np.ndarray:
    """E/N = -(1/N) sum over nearest-neighbour bonds of delta(s_i, s_j)."""
    same = (s == np.roll(s, 1, -1)).sum((-2, -1)) + (s == np.roll(s, 1, -2)).sum((-2, -1))
    return -same / (s.shape[-1] * s.shape[-2])


def sample_potts(L: int, temperatures, samples: int, sweeps: int, seed: int) -> xr.Dataset:
    """`samples` independent chains per temperature, each started at random and kept after
    `sweeps` sweeps."""
    if L % 2:
        raise ValueError(f"the checkerboard update needs an even L, got {L}")
    rng = np.random.default_rng(seed)
    ii, jj = np.indices((L, L))
    masks = [(ii + jj) % 2 == p for p in (0, 1)]
    states, temps = [], []
    for T in temperatures:
        s = rng.integers(0, Q, size=(samples, L, L)).astype(np.int8)
        for _ in range(sweeps):
            s = heat_bath_sweep(s, 1.0 / T, rng, masks)
        states.append(s)
        temps.append(np.full(samples, T))
    s = np.concatenate(states)
    angle = 2 * np.pi * s / Q
    return xr.Dataset(
        {
            "configurations": (
                ("sample", "channel", "y", "x"),
                np.stack([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32),
                {"long_name": "Potts state s as (cos 2 pi s/3, sin 2 pi s/3)"},
            ),
            "temperature": ("sample", np.concatenate(temps), {"units": "J"}),
            "energy": ("sample", energy_per_site(s), {"long_name": "energy per site E/N"}),
        },
        attrs={"model": "2D 3-state Potts, heat bath", "L": L, "sweeps": sweeps, "seed": seed},
    )


def write(path, L=8, temperatures=None, samples=160, sweeps=300, seed=1) -> None:
    temperatures = np.linspace(0.7, 1.3, 9) if temperatures is None else temperatures
    sample_potts(L, temperatures, samples, sweeps, seed).to_netcdf(path, engine="h5netcdf")


if __name__ == "__main__":
    if "snakemake" in globals():
        p = snakemake.params  # noqa: F821 - set by Snakemake's script directive
        write(snakemake.output[0], p.L, p.temperatures, p.samples, p.sweeps, p.seed)  # noqa: F821
    else:
        write(sys.argv[1])
