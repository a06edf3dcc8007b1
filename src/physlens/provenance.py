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
        attrs["created_utc"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    if seed is not None:
        attrs["seed"] = int(seed)
    attrs.update(extra)
    return attrs
