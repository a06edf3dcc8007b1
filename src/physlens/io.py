"""Atomic writes and checked reads: a killed job never leaves a file that looks complete."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class DataFileError(RuntimeError):
    """A data file is missing, truncated or not in the expected layout."""


# HDF5 dataset options of data arrays written variable by variable (h5netcdf
# create_variable): a Fletcher-32 checksum of every stored chunk, which HDF5 verifies on
# each read, so a changed byte is refused instead of read as a different number. The
# checksum depends on the data only, so the same data still give the same file bytes.
CHECKSUMMED = {"fletcher32": True}


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    The rename is atomic on POSIX file systems, so readers see either the old file or the
    complete new one. On error the temporary file is removed and `path` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    # mkstemp creates 0600; give the result the permissions a plain open() would have
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Temporary files that :func:`atomic_path` leaves beside `path` (or, for a directory,
    anywhere inside it) when its process is killed before the rename."""
    path = Path(path)
    found = list(path.parent.glob(f".{glob_escape(path.name)}.*tmp"))
    if path.is_dir():
        found += [p for p in path.rglob(".*tmp") if p.is_file()]
    return sorted(p for p in found if p.is_file())


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def remove_stale_temporaries(paths) -> list[Path]:
    """Remove the stale temporaries of a job's own outputs (run when the job starts: no other
    job writes them, and the killed process that made them is gone)."""
    removed = []
    for path in [paths] if isinstance(paths, (str, os.PathLike)) else paths:
        for tmp in stale_temporaries(path):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write_json(path: str | os.PathLike, obj) -> None:
    """Write JSON atomically, pretty-printed and key-sorted so diffs stay readable."""
    with atomic_path(path, suffix=".json.tmp") as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def read_json(path: str | os.PathLike):
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: not valid JSON ({exc})") from exc


def sha256sum(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Checksum recorded with every model so that stale data is detected."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def open_dataset(path: str | os.PathLike, required: tuple[str, ...] = ()):
    """Open a physlens HDF5 dataset with xarray, failing with a message that names the file.

    `required` lists variables that must be present; a missing one is reported by name.
    """
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: data file not found")
    try:
        ds = xr.open_dataset(path, engine="h5netcdf")
    except Exception as exc:  # h5py raises several types for damaged files
        # opening reads the coordinates: name the one that failed, if one did
        bad = _first_unreadable_dataset(path)
        why = (
            unreadable(bad, exc)
            if bad
            else f"cannot be read as HDF5/netCDF4 (truncated or corrupted?): {exc}"
        )
        raise DataFileError(f"{path}: {why}") from exc
    missing = [name for name in required if name not in ds.variables]
    if missing:
        ds.close()
        raise DataFileError(f"{path}: missing variable(s) {', '.join(missing)}")
    return ds


def load_dataset(path: str | os.PathLike, required: tuple[str, ...] = (), dims: dict | None = None):
    """Read a dataset fully into memory, checking variables and their dims by name.

    `dims` maps a variable name to its expected dims; damage inside the data blocks (which
    opening alone does not reveal) is reported with the file name too.
    """
    ds = open_dataset(path, required=required)
    try:
        for name, expected in (dims or {}).items():
            if ds[name].dims != tuple(expected):
                raise DataFileError(
                    f"{path}: {name} has dims {ds[name].dims}, expected {tuple(expected)}"
                )
        for name, variable in ds.variables.items():  # one at a time, to name the damaged one
            try:
                variable.load()
            except (OSError, ValueError, RuntimeError) as exc:
                raise DataFileError(f"{path}: {unreadable(name, exc)}") from exc
    finally:
        ds.close()
    return ds


def _first_unreadable_dataset(path) -> str | None:
    """The first dataset of the HDF5 file `path` whose data cannot be read, or None (also
    when the file itself cannot be opened)."""
    import h5py

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            try:
                obj[()]
            except (OSError, ValueError, RuntimeError):
                return name
        return None

    try:
        with h5py.File(path, "r") as f:
            return f.visititems(visit)
    except Exception:  # a diagnostic only: the caller reports the original error either way
        return None


def unreadable(name: str, exc: BaseException) -> str:
    """Why variable `name` could not be read (a chunk failed its checksum, or the file ends early)."""
    return f"{name} cannot be read (checksum mismatch, truncated or corrupted): {exc}"


def to_netcdf_atomic(ds, path: str | os.PathLike, encoding: dict | None = None) -> None:
    """Write an xarray Dataset as netCDF4/HDF5 (h5netcdf engine) atomically."""
    with atomic_path(path, suffix=".h5.tmp") as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding or {})
