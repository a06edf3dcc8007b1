"""Lazy public names for package __init__ files: `import physlens.ising` stays cheap (no
numba, torch or matplotlib) until a name is used, so light environments (the plot rules
run without torch) can import any package."""

from __future__ import annotations

import importlib


def lazy_exports(package: str, names: dict[str, str]):
    """(__getattr__, __dir__) for a package whose public `names` live in submodules:
    {name: "module.path"} (absolute, or relative to `package` with a leading dot)."""

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(names[name], package)
        return getattr(module, name)

    def __dir__():
        return sorted(names)

    return __getattr__, __dir__
