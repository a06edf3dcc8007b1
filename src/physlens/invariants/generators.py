"""Seeded generators of siamese pair datasets, one registry entry per physical system.

A *group* is a set of points sharing every invariant of the system (one Kepler orbit, one
field configuration seen from many frames, one 4-vector seen from many frames). Positive
pairs are two points of one group; negative pairs take the second member from another
pair (the positive set permuted), so both classes have the same marginal distribution and
only the invariant tells them apart. Groups never straddle the train/test split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
import xarray as xr

from physlens.invariants import physics
from physlens.provenance import base_attrs
from physlens.seeding import rng as make_rng


@dataclass(frozen=True)
class PairDataset:
    """A registered system: its features, its invariants (sympy strings) and a group sampler."""

    name: str
    features: tuple[str, ...]
    invariants: tuple[str, ...]  # the first is the one the paper's network found
    sample_groups: Callable[[np.random.Generator, int, int, dict], np.ndarray]
    defaults: dict = field(default_factory=dict)
    description: str = ""

    def invariant_values(self, points: np.ndarray, which: int = 0) -> np.ndarray:
        """Evaluate an invariant on points (..., n_features)."""
        symbols = sp.symbols(self.features)
        fn = sp.lambdify(symbols, sp.sympify(self.invariants[which]), "numpy")
        return fn(*np.moveaxis(points, -1, 0))


def _kepler_groups(rng, n_groups, per_group, p):
    """Bound Kepler orbits, points uniform in time: energies uniform in p['energy_range']."""
    energy = rng.uniform(*p["energy_range"], n_groups)
    a = -1.0 / (2.0 * energy)
    e = rng.uniform(*p["eccentricity_range"], n_groups)
    omega = rng.uniform(0.0, 2 * np.pi, n_groups)
    M = rng.uniform(0.0, 2 * np.pi, (n_groups, per_group))
    pts = physics.kepler_state(a[:, None], e[:, None], omega[:, None], M)
    retro = rng.random(n_groups) < p["retrograde_fraction"]
    pts[retro] *= np.array([1.0, -1.0, 1.0, -1.0])  # mirror y: same orbit shape, L_z -> -L_z
    return pts


def _field_groups(rng, n_groups, per_group, p):
    """Random (E, B) with unit-normal components, each seen from per_group random frames."""
    base = rng.standard_normal((n_groups, 6))
    n = n_groups * per_group
    E = np.repeat(base[:, :3], per_group, axis=0)
    B = np.repeat(base[:, 3:], per_group, axis=0)
    if p["rotate"]:
        R = physics.random_rotation(rng, n)
        E, B = np.einsum("nij,nj->ni", R, E), np.einsum("nij,nj->ni", R, B)
    E, B = physics.boost_fields(E, B, physics.random_velocity(rng, n, p["beta_max"]))
    return np.concatenate([E, B], axis=1).reshape(n_groups, per_group, 6)


def _four_vector_groups(rng, n_groups, per_group, p):
    """Random 4-vectors (unit-normal components), each seen from per_group boosted frames."""
    base = rng.standard_normal((n_groups, 4))
    n = n_groups * per_group
    vec = np.repeat(base, per_group, axis=0)
    if p["rotate"]:
        R = physics.random_rotation(rng, n)
        vec = np.concatenate([vec[:, :1], np.einsum("nij,nj->ni", R, vec[:, 1:])], axis=1)
    vec = physics.boost_four_vector(vec, physics.random_velocity(rng, n, p["beta_max"]))
    return vec.reshape(n_groups, per_group, 4)


def _oscillator_groups(rng, n_groups, per_group, p):
    """1D harmonic oscillator (m = omega = 1) orbits, points uniform in phase."""
    amplitude = rng.uniform(*p["amplitude_range"], n_groups)
    phase = rng.uniform(0.0, 2 * np.pi, (n_groups, per_group))
    a = amplitude[:, None]
    return np.stack([a * np.cos(phase), -a * np.sin(phase)], axis=-1)


DATASETS: dict[str, PairDataset] = {
    d.name: d
    for d in (
        PairDataset(
            "central_potential",
            ("x", "y", "v_x", "v_y"),
            ("x*v_y - y*v_x", "(v_x**2 + v_y**2)/2 - 1/sqrt(x**2 + y**2)"),
            _kepler_groups,
            {
                "energy_range": [-1.0, -0.3],
                "eccentricity_range": [0.0, 0.7],
                "retrograde_fraction": 0.5,
            },
            "Bound Kepler orbits in V = -1/r: same orbit <=> same L_z, energy and orientation.",
        ),
        PairDataset(
            "em_fields",
            ("E_x", "E_y", "E_z", "B_x", "B_y", "B_z"),
            ("E_x*B_x + E_y*B_y + E_z*B_z", "E_x**2 + E_y**2 + E_z**2 - B_x**2 - B_y**2 - B_z**2"),
            _field_groups,
            {"beta_max": 0.9, "rotate": True},
            "Electromagnetic fields and their Lorentz transforms: invariants E.B and E^2 - B^2.",
        ),
        PairDataset(
            "four_vector",
            ("t", "x", "y", "z"),
            ("t**2 - x**2 - y**2 - z**2",),
            _four_vector_groups,
            {"beta_max": 0.8, "rotate": True},
            "4-vectors and their boosts: invariant Minkowski norm t^2 - x^2 - y^2 - z^2.",
        ),
        PairDataset(
            "oscillator",
            ("x", "v"),
            ("(x**2 + v**2)/2",),
            _oscillator_groups,
            {"amplitude_range": [0.2, 2.0]},
            "Harmonic oscillator phase-space points: invariant energy (x^2 + v^2)/2.",
        ),
    )
}


def invariant_violation(ds: PairDataset, points: np.ndarray) -> float:
    """Largest relative spread of every invariant within a group (should be ~1e-12)."""
    worst = 0.0
    for k in range(len(ds.invariants)):
        vals = ds.invariant_values(points, k)
        scale = np.maximum(np.abs(vals).max(axis=1), 1e-12)
        worst = max(worst, float(np.max((vals.max(axis=1) - vals.min(axis=1)) / scale)))
    return worst


def make_pairs(
    name: str,
    n_pairs: int,
    seed: int,
    *,
    points_per_group: int = 2,
    test_fraction: float = 0.2,
    params: dict | None = None,
    tolerance: float = 1e-9,
) -> xr.Dataset:
    """Balanced positive/negative pairs for system `name` as a labelled xarray Dataset.

    Variables: `x` (pair, member, feature), `label` (pair; 1 = same group), `group`
    (pair, member), `invariant` (pair, member; the first registered invariant), `split`
    (pair; 0 train, 1 test, by group). Raises if the generated groups violate their
    invariants by more than `tolerance` (relative).
    """
    if name not in DATASETS:
        raise KeyError(f"unknown pair dataset {name!r}; known: {sorted(DATASETS)}")
    if n_pairs < 4 or n_pairs % 2:
        raise ValueError(f"n_pairs = {n_pairs}: need an even number >= 4")
    spec = DATASETS[name]
    p = {**spec.defaults, **(params or {})}
    unknown = set(p) - set(spec.defaults)
    if unknown:
        raise KeyError(
            f"{name}: unknown parameter(s) {sorted(unknown)}; known: {sorted(spec.defaults)}"
        )
    rng = make_rng(seed, "invariants", name)
    n_pos = n_pairs // 2
    n_groups = int(np.ceil(n_pos / max(1, points_per_group // 2)))
    points = spec.sample_groups(rng, n_groups, max(2, points_per_group), p)
    violation = invariant_violation(spec, points)
    if violation > tolerance:
        raise RuntimeError(f"{name}: invariants violated within a group by {violation:.2e}")

    # positive pairs: two distinct points of one group
    g = np.arange(n_pos) % n_groups
    i = rng.integers(0, points.shape[1], n_pos)
    j = (i + rng.integers(1, points.shape[1], n_pos)) % points.shape[1]
    first, second = points[g, i], points[g, j]
    # Groups are assigned to train or test first, and negatives are formed within a split,
    # so no group (orbit, field) ever appears on both sides.
    test_groups = rng.random(n_groups) < test_fraction
    pos_split = test_groups[g]
    # negatives: second members of other pairs (a random derangement within the split)
    perm = np.arange(n_pos)
    for s in (False, True):
        idx = np.flatnonzero(pos_split == s)
        if len(idx) < 2:
            raise ValueError(f"{name}: too few pairs ({n_pairs}) for test_fraction {test_fraction}")
        shuffled = idx[rng.permutation(len(idx))]
        for _ in range(1000):  # swaps keep it a permutation; never pair a point with its group
            clash = np.flatnonzero(g[shuffled] == g[idx])
            if not len(clash):
                break
            other = rng.integers(0, len(idx), len(clash))
            shuffled[clash], shuffled[other] = shuffled[other], shuffled[clash].copy()
        else:
            raise RuntimeError(f"{name}: could not form negative pairs; use more groups")
        perm[idx] = shuffled
    x = np.concatenate([np.stack([first, second], 1), np.stack([first, second[perm]], 1)])
    groups = np.concatenate([np.stack([g, g], 1), np.stack([g, g[perm]], 1)])
    label = np.concatenate([np.ones(n_pos, np.int8), np.zeros(n_pos, np.int8)])
    split = np.concatenate([pos_split, pos_split]).astype(np.int8)
    order = rng.permutation(n_pairs)
    x, groups, label, split = x[order], groups[order], label[order], split[order]

    ds = xr.Dataset(
        {
            "x": (("pair", "member", "feature"), x),
            "label": ("pair", label),
            "group": (("pair", "member"), groups),
            "invariant": (("pair", "member"), spec.invariant_values(x, 0)),
            "split": ("pair", split),
        },
        coords={"pair": np.arange(n_pairs), "member": [0, 1], "feature": list(spec.features)},
        attrs=base_attrs(
            seed,
            dataset=name,
            description=spec.description,
            invariants="; ".join(spec.invariants),
            max_invariant_violation=violation,
            points_per_group=int(points.shape[1]),
            **{f"param_{k}": str(v) for k, v in p.items()},
        ),
    )
    ds["label"].attrs["meaning"] = "1: both members share the invariants (same group); 0: not"
    ds["split"].attrs["flag_meanings"] = "0 train, 1 test (split by group)"
    return ds
