"""Candidate observables: the physical quantities a network's neurons are compared with.

A registry keyed by *system* (``"ising"``, later ``"su2"``, ...) and observable name. Each
entry maps a batch of configurations to one number per configuration, ``(n, ...) -> (n,)``,
and carries a description and a unit. Later stages add their own systems and observables
with :func:`register_system` and :func:`register_observable`; the probing and symbolic code
only ever asks for ``compute_observables(configs, names, system)``.

Ising conventions (J = 1, periodic boundaries, N = L*L sites, 2N nearest-neighbour bonds):
energy per site E/N = -(1/N) sum_<ij> s_i s_j, so E/N = -2 * nn_correlation and
domain_wall_density = (1 - nn_correlation) / 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Observable",
    "register_system",
    "register_observable",
    "get_observable",
    "list_observables",
    "list_systems",
    "compute_observables",
    "local_bond_energy",
]


@dataclass(frozen=True)
class Observable:
    name: str
    system: str
    function: Callable[[np.ndarray], np.ndarray]
    description: str
    unit: str

    def __call__(self, configs: np.ndarray) -> np.ndarray:
        return self.function(configs)


@dataclass(frozen=True)
class System:
    name: str
    input_kind: str
    validate: Callable[[np.ndarray], np.ndarray]


_SYSTEMS: dict[str, System] = {}
_OBSERVABLES: dict[str, dict[str, Observable]] = {}


def register_system(name: str, input_kind: str, validate: Callable[[np.ndarray], np.ndarray]):
    """Declare a system: `validate` checks (and may normalise) a batch of configurations."""
    _SYSTEMS[name] = System(name, input_kind, validate)
    _OBSERVABLES.setdefault(name, {})


def register_observable(
    name: str,
    system: str = "ising",
    description: str = "",
    unit: str = "1",
    replace: bool = False,
):
    """Decorator registering ``function(configs) -> (n,)`` as observable `name` of `system`.

    `replace` lets a user's observable module, loaded again in the same process, take the
    place of its earlier registration."""
    if system not in _SYSTEMS:
        raise KeyError(f"unknown system {system!r}: register it first (known: {list_systems()})")

    def decorate(function):
        if name in _OBSERVABLES[system] and not replace:
            raise ValueError(f"observable {name!r} is already registered for system {system!r}")
        _OBSERVABLES[system][name] = Observable(name, system, function, description, unit)
        return function

    return decorate


def list_systems() -> list[str]:
    return sorted(_SYSTEMS)


def list_observables(system: str = "ising") -> list[str]:
    """Registered observable names of `system`, in registration order."""
    if system not in _OBSERVABLES:
        raise KeyError(f"unknown system {system!r} (known: {list_systems()})")
    return list(_OBSERVABLES[system])


def get_observable(name: str, system: str = "ising") -> Observable:
    known = list_observables(system)
    if name not in known:
        raise KeyError(
            f"unknown observable {name!r} for system {system!r} (known: {', '.join(known)})"
        )
    return _OBSERVABLES[system][name]


def compute_observables(
    configs: np.ndarray, names: Iterable[str] | None = None, system: str = "ising"
):
    """An xarray Dataset with one variable per observable, along dimension ``sample``.

    `names` defaults to every observable registered for `system`. Each variable carries its
    description and unit as attributes, so the file explains itself.
    """
    import xarray as xr

    if system not in _SYSTEMS:
        raise KeyError(f"unknown system {system!r} (known: {list_systems()})")
    names = list_observables(system) if names is None else list(names)
    observables = [get_observable(n, system) for n in names]  # fail before any work
    configs = _SYSTEMS[system].validate(np.asarray(configs))
    data = {}
    for obs in observables:
        values = np.asarray(obs(configs), dtype=np.float64)
        if values.shape != (len(configs),):
            raise ValueError(
                f"observable {obs.name!r} returned shape {values.shape}, expected ({len(configs)},)"
            )
        data[obs.name] = ("sample", values, {"description": obs.description, "units": obs.unit})
    return xr.Dataset(data, attrs={"system": system, "input_kind": _SYSTEMS[system].input_kind})


# --- Ising model: configurations (n, L, L) of +-1 spins --------------------------------------


def _validate_ising(configs: np.ndarray) -> np.ndarray:
    if configs.ndim == 2:  # a single configuration
        configs = configs[None]
    if configs.ndim != 3 or configs.shape[1] < 2 or configs.shape[2] < 2:
        raise ValueError(
            f"Ising configurations must have shape (n, L, L) with L >= 2, got {configs.shape}"
        )
    if not np.isin(configs, (-1, 1)).all():
        bad = np.unique(configs[~np.isin(configs, (-1, 1))])[:5]
        raise ValueError(f"Ising spins must be -1 or +1; found values {bad.tolist()}")
    # int8 keeps 10^4 x 28 x 28 batches at 8 MB; products of +-1 stay in range
    return configs.astype(np.int8, copy=False)


register_system("ising", "spins (n, L, L), values -1/+1, periodic square lattice", _validate_ising)


# Every observable is an integer sum divided once by an integer, so values that are equal as
# rationals are equal as floats (ties matter to the rank statistics of the probing stage).


def _n_sites(s: np.ndarray) -> int:
    return s.shape[1] * s.shape[2]


def _spin_sum(s: np.ndarray) -> np.ndarray:
    return s.sum(axis=(1, 2), dtype=np.int64)


def _bond_sum(s: np.ndarray, *shifts: tuple[int, int]) -> np.ndarray:
    """sum_i s_i * s_{i + shift} over sites i (periodic), summed over `shifts`; int64 (n,)."""
    return sum(
        (s * np.roll(s, shift, axis=(1, 2))).sum(axis=(1, 2), dtype=np.int64) for shift in shifts
    )


_NN = ((1, 0), (0, 1))
_NNN = ((1, 1), (1, -1))


@register_observable("magnetization", description="magnetisation per site M/N", unit="1")
def magnetization(s):
    return _spin_sum(s) / _n_sites(s)


@register_observable("abs_magnetization", description="absolute magnetisation per site |M|/N")
def abs_magnetization(s):
    return np.abs(_spin_sum(s)) / _n_sites(s)


@register_observable("magnetization_squared", description="squared magnetisation per site (M/N)^2")
def magnetization_squared(s):
    return _spin_sum(s) ** 2 / _n_sites(s) ** 2


@register_observable(
    "nn_correlation",
    description="nearest-neighbour correlation <s_i s_j>, mean over the 2N bonds",
)
def nn_correlation(s):
    return _bond_sum(s, *_NN) / (2 * _n_sites(s))


@register_observable(
    "energy",
    description="energy per site E/N = -(1/N) sum_<ij> s_i s_j (J = 1, periodic)",
    unit="J",
)
def energy(s):
    return -_bond_sum(s, *_NN) / _n_sites(s)


@register_observable(
    "nnn_correlation",
    description="diagonal next-nearest-neighbour correlation, mean over the 2N diagonal pairs",
)
def nnn_correlation(s):
    return _bond_sum(s, *_NNN) / (2 * _n_sites(s))


@register_observable(
    "domain_wall_density",
    description="fraction of nearest-neighbour bonds that are anti-aligned",
)
def domain_wall_density(s):
    # anti-aligned bonds = (2N - sum of bond products) / 2
    return (2 * _n_sites(s) - _bond_sum(s, *_NN)) / (4 * _n_sites(s))


# Observables that are exact affine functions of the energy on any configuration.
ENERGY_GROUP = ("energy", "nn_correlation", "domain_wall_density")


# --- per-site quantities (not registered: one value per site, not per configuration) ---

_SHIFT_AXIS = {"x": -1, "y": -2}


def local_bond_energy(configs, directions: Sequence[str] = ("x", "y")) -> np.ndarray:
    """Bond energy per site, e_i = -1/2 s_i sum_{d in directions} (s_{i+d} + s_{i-d}), J = 1.

    Real-valued configurations are allowed (expected spins of a site-factorised distribution,
    relevance comparisons); the mean over sites is the energy per site of those bonds.

    Each periodic nearest-neighbour bond along the chosen directions is shared half and half
    by its two sites, so sum_i e_i is the total energy of those bonds. For a 1x2 (horizontal)
    kernel use directions=("x",): e_i in {-1, 0, 1} counts the domain walls at site i
    (e_i + 1 = number of anti-aligned horizontal bonds touching i).
    """
    s = np.asarray(configs, dtype=float)
    if s.ndim < 2:
        raise ValueError(f"configs must have shape (..., L_y, L_x), got {s.shape}")
    e = np.zeros_like(s)
    for d in directions:
        if d not in _SHIFT_AXIS:
            raise ValueError(f"bond direction {d!r}: use 'x' or 'y'")
        ax = _SHIFT_AXIS[d]
        e -= 0.5 * s * (np.roll(s, -1, axis=ax) + np.roll(s, 1, axis=ax))
    return e
