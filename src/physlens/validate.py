"""Content checks of the data files, run where a file is loaded: a damaged or non-finite
value stops the job with the file and the variable named, before anything is trained on it
or judged against an exact result.

The HDF5 layer refuses truncated files, and chunks whose Fletcher-32 checksum (written with
every Ising data array, physlens.io.CHECKSUMMED) does not match, naming the variable; these
checks catch what it cannot: values written through HDF5 (which updates the checksum), NaN
or infinity, spins other than +-1, and energies or magnetisations that disagree with the
stored spins.
"""

from __future__ import annotations

import numpy as np

from physlens.io import DataFileError, unreadable

ISING_DIMS = {
    "spins": ("temperature", "sample", "y", "x"),
    "energy": ("temperature", "sample"),
    "magnetization": ("temperature", "sample"),
}
# Stored E/N and M/N are float64 sums of integers over N sites; this allows for accumulation
# order while catching any real change (a single flipped bond moves E/N by 2/N).
CONSISTENCY_ATOL = 1e-6


def _where(mask: np.ndarray, dims) -> str:
    """The first flagged position, as dim=index pairs, and how many there are."""
    first = np.argwhere(mask)[0]
    at = ", ".join(f"{d}={i}" for d, i in zip(dims, first))
    return f"{int(mask.sum())} value(s), first at {at}"


def non_finite_error(name: str, values: np.ndarray, dims) -> str | None:
    bad = ~np.isfinite(np.asarray(values, float))
    return f"{name} is not finite (NaN or inf): {_where(bad, dims)}" if bad.any() else None


def ising_energy_from_spins(spins: np.ndarray) -> np.ndarray:
    """E/N = -(1/N) sum over nearest-neighbour bonds of s_i s_j on the periodic lattice."""
    s = spins.astype(np.int32)
    bonds = s * np.roll(s, 1, axis=-1) + s * np.roll(s, 1, axis=-2)
    return -bonds.sum(axis=(-2, -1)) / (s.shape[-1] * s.shape[-2])


def ising_errors(ds) -> list[str]:
    """What is wrong with an Ising data set (results/ising/L{L}.h5 layout); [] when nothing."""
    errors = []
    for name, dims in ISING_DIMS.items():
        if name in ds.variables and ds[name].dims != dims:
            errors.append(f"{name} has dims {ds[name].dims}, expected {dims}")
    if errors:
        return errors
    # A lazily opened file is read here first: a chunk failing its checksum names its variable.
    for name, variable in ds.variables.items():
        if name == "spins":  # read one temperature at a time below
            continue
        try:
            variable.load()
        except (OSError, ValueError, RuntimeError) as exc:
            return [unreadable(name, exc)]
    if "temperature" in ds.coords:
        t = ds["temperature"].values
        if not (np.isfinite(t).all() and (t > 0).all()):
            errors.append(f"temperature must be finite and > 0, got {t.tolist()}")
    for name in ("energy", "magnetization"):
        if name in ds.variables:
            err = non_finite_error(name, ds[name].values, ISING_DIMS[name])
            errors += [err] if err else []
    if errors:
        return errors
    if "magnetization" in ds.variables:
        big = np.abs(ds["magnetization"].values) > 1 + 1e-12
        if big.any():
            errors.append(
                f"magnetization per site outside [-1, 1]: {_where(big, ISING_DIMS['magnetization'])}"
            )
    if "spins" not in ds.variables:
        return errors
    if ds.sizes["y"] != ds.sizes["x"]:
        errors.append(f"spins are {ds.sizes['y']}x{ds.sizes['x']}, expected a square lattice")
        return errors
    for i in range(ds.sizes["temperature"]):  # one temperature at a time bounds the memory
        try:
            s = np.asarray(ds["spins"][i].values)
        except (OSError, ValueError, RuntimeError) as exc:
            errors.append(unreadable("spins", exc))
            break
        bad = (s != 1) & (s != -1)
        if bad.any():
            found = np.unique(s[bad])[:5].tolist()
            errors.append(
                f"spins must be -1 or +1, found {found}: "
                f"{_where(bad, ('sample', 'y', 'x'))} at temperature index {i}"
            )
            break
        for name, from_spins in (
            ("energy", ising_energy_from_spins(s)),
            ("magnetization", s.mean(axis=(-2, -1))),
        ):
            if name not in ds.variables:
                continue
            off = np.abs(ds[name][i].values - from_spins) > CONSISTENCY_ATOL
            if off.any():
                errors.append(
                    f"{name} disagrees with the stored spins: {_where(off, ('sample',))} "
                    f"at temperature index {i}"
                )
        if errors:
            break
    return errors


def validate_ising(ds, path):
    """Return `ds` if it is sound Ising data, else raise DataFileError naming file and variable."""
    errors = ising_errors(ds)
    if errors:
        raise DataFileError(f"{path}: " + "; ".join(errors))
    return ds


def su2_errors(ds) -> list[str]:
    """What is wrong with an SU(2) data set (results/su2/configs.h5 layout)."""
    errors = []
    for name in ("plaquette", "polyakov_loop", "abs_polyakov_loop"):
        if name in ds.variables:
            err = non_finite_error(name, ds[name].values, ds[name].dims)
            errors += [err] if err else []
    if "links" in ds.variables:
        q = np.asarray(ds["links"].values)
        norm = np.abs(np.sum(q * q, axis=-1, dtype=np.float64) - 1.0)
        bad = ~(norm <= 1e-4)  # NaN counts as bad
        if bad.any():
            errors.append(
                f"links must be finite unit quaternions: {_where(bad, ds['links'].dims[:-1])}"
            )
    return errors


def validate_su2(ds, path):
    """Return `ds` if its links and observables are sound, else raise DataFileError."""
    errors = su2_errors(ds)
    if errors:
        raise DataFileError(f"{path}: " + "; ".join(errors))
    return ds
