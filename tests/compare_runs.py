"""Compare two workflow runs: every HDF5 array and every headline record.

Used by the SLURM test (local run against SLURM run) and from the command line to show that
a refactoring changed no number:

    python tests/compare_runs.py RUN_A RUN_B [--fields value uncertainty status]

RUN_A and RUN_B are working directories of the workflow (with results/ inside). Every
variable and coordinate of every results/**/*.h5 must have the same dtype, shape and bytes
(apart from wall-clock `seconds`), and every record of results/summary.json the same fields.
Exit status 0 when both runs agree, 1 otherwise; the differences are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import xarray as xr

# History variables that record wall-clock time: the only arrays a rerun may change.
WALL_CLOCK_VARIABLES = {"seconds"}
NUMBER_FIELDS = ("value", "uncertainty", "status")


def same_arrays(a: xr.Dataset, b: xr.Dataset) -> list[str]:
    """Names of variables/coordinates whose dtype, shape or bytes differ."""
    differ = []
    for name in sorted(set(a.variables) | set(b.variables)):
        if name not in a.variables or name not in b.variables:
            differ.append(f"{name} (missing in one)")
            continue
        x, y = a[name].values, b[name].values
        if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
            differ.append(name)
    return differ


def compare_hdf5(run_a: Path, run_b: Path) -> tuple[int, list[str]]:
    """(number of files compared, differences) over every results/**/*.h5 of either run."""
    rel = sorted(
        {p.relative_to(run) for run in (run_a, run_b) for p in (run / "results").rglob("*.h5")}
    )
    problems = []
    for r in rel:
        a, b = run_a / r, run_b / r
        if not (a.exists() and b.exists()):
            problems.append(f"{r}: missing in {'A' if not a.exists() else 'B'}")
            continue
        with (
            xr.open_dataset(a, engine="h5netcdf") as da,
            xr.open_dataset(b, engine="h5netcdf") as db,
        ):
            differ = [n for n in same_arrays(da, db) if n not in WALL_CLOCK_VARIABLES]
        if differ:
            problems.append(f"{r}: {differ}")
    return len(rel), problems


def compare_summaries(run_a: Path, run_b: Path, fields=NUMBER_FIELDS) -> tuple[int, list[str]]:
    """(number of records compared, differences) of results/summary.json in both runs."""
    recs = [
        {
            r["name"]: r
            for r in json.loads((run / "results" / "summary.json").read_text())["records"]
        }
        for run in (run_a, run_b)
    ]
    problems = [f"{n}: only in A" for n in sorted(set(recs[0]) - set(recs[1]))]
    problems += [f"{n}: only in B" for n in sorted(set(recs[1]) - set(recs[0]))]
    for name in sorted(set(recs[0]) & set(recs[1])):
        for f in fields:
            if recs[0][name].get(f) != recs[1][name].get(f):
                problems.append(f"{name}.{f}: {recs[0][name].get(f)!r} != {recs[1][name].get(f)!r}")
    return len(set(recs[0]) | set(recs[1])), problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_a", type=Path)
    parser.add_argument("run_b", type=Path)
    parser.add_argument("--fields", nargs="+", default=list(NUMBER_FIELDS))
    args = parser.parse_args(argv)
    n_files, h5 = compare_hdf5(args.run_a, args.run_b)
    n_recs, summ = compare_summaries(args.run_a, args.run_b, args.fields)
    print(f"HDF5: {n_files} files compared, {len(h5)} differ")
    print(*h5, sep="\n") if h5 else None
    print(f"summary.json: {n_recs} records compared on {args.fields}, {len(summ)} differences")
    print(*summ, sep="\n") if summ else None
    return 0 if not (h5 or summ) else 1


if __name__ == "__main__":
    sys.exit(main())
