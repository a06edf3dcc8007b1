"""Provenance attributes attached to every artifact: which code, config and seed made it."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from functools import lru_cache
from pathlib import Path

from physlens import __version__


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit of the source tree (with '-dirty' when modified)."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return f"{__version__}+g{out}" if out else __version__


def base_attrs(seed: int | None = None, *, timestamp: bool = False, **extra) -> dict:
    """Attributes common to every HDF5/JSON artifact; values are netCDF-safe scalars/strings.

    No creation time by default: the same config must give byte-identical data files.
    """
    attrs = {
        "physlens_version": code_version(),
        "python_version": platform.python_version(),
    }
    if timestamp:
        attrs["created_utc"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    if seed is not None:
        attrs["seed"] = int(seed)
    attrs.update(extra)
    return attrs


# Packages whose versions decide the numbers; recorded with every report.
KEY_PACKAGES = (
    "numpy",
    "scipy",
    "numba",
    "llvmlite",
    "h5py",
    "h5netcdf",
    "xarray",
    "pandas",
    "scikit-learn",
    "umap-learn",
    "torch",
    "captum",
    "sympy",
    "pyoperon",
    "pysr",
    "matplotlib",
    "seaborn",
    "snakemake",
    "snakemake-executor-plugin-slurm",
)


def environment_rows() -> list[tuple[str, str]]:
    """(item, value) rows: code version, Python, platform, package versions, compute device."""
    from importlib.metadata import PackageNotFoundError, version

    rows = [
        ("physlens", code_version()),
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("cpu_count", str(__import__("os").cpu_count())),
    ]
    for name in KEY_PACKAGES:
        try:
            rows.append((name, version(name)))
        except PackageNotFoundError:
            rows.append((name, "not installed"))
    try:
        import torch

        cuda = torch.cuda.is_available()
        rows.append(("torch_device", torch.cuda.get_device_name(0) if cuda else "cpu"))
        rows.append(("torch_cuda", str(torch.version.cuda) if cuda else "none"))
    except ImportError:
        rows.append(("torch_device", "torch not installed"))
    return rows
