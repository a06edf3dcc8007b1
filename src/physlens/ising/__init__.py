"""2D Ising Monte Carlo: numba kernels, sampling to HDF5, exact results, checks."""

from physlens._lazy import lazy_exports

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "sample": ".api",
    "simulate_to_file": ".sampling",
    "kaufman_energy": ".exact",
    "onsager_energy": ".exact",
    "spontaneous_magnetization": ".exact",
    "TC_EXACT": ".exact",
    "observables_table": ".checks",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
