"""Ensemble pairs whose distinguishing correlation is known, written to HDF5.

* ``ising``: the workflow's Ising configurations, ordered (T in the `ordered` window, label 1)
  against disordered (T in the `disordered` window, label 0), each configuration multiplied
  by a random global sign so that odd correlators carry no information. The Boltzmann
  weight depends on a configuration only through its nearest-neighbour bond sum E, so E is
  a sufficient statistic for T: for nearby temperatures the mean shift of any statistic X is
  -dbeta Cov(X, E), and no X separates the classes better than E. Expected: order 2,
  pattern a nearest-neighbour pair. Windows close to Tc keep the classes overlapping; far
  from Tc every even correlator separates them perfectly and the first order is a tie.
* ``block_parity``: the lattice is tiled by 2x2 blocks; in every block the spins are i.i.d.
  +-1 except that the product over `sites` is constrained to +1 (label 1), against the
  same lattice without the constraint (label 0). Any set of spins that does not contain all
  of `sites` of one block is uniformly distributed in both ensembles, so every correlation
  function of fewer than n = len(sites) spins agrees exactly; the n-point function on
  `sites` is 1 vs 0. Each configuration gets a random tiling offset, so both ensembles are
  translation invariant; the translation average of the n-point function is then 1/4
  (aligned at one of the four block offsets, zero at the others) vs 0 - still a difference
  at order n only.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from physlens.crosskeys import BLOCK, expected_answer
from physlens.io import DataFileError, load_dataset, to_netcdf_atomic, write_json
from physlens.provenance import base_attrs
from physlens.seeding import rng
from physlens.supervised.data import DISORDERED, ORDERED, load_ising, z2_signs

SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
REQUIRED = ("spins", "label", "split")


class EnsembleError(ValueError):
    """An ensemble-pair setting cannot be realised; the message names the key."""


def block_parity_sample(
    n: int, L: int, sites, constrained: bool, gen: np.random.Generator, offsets: bool = True
) -> np.ndarray:
    """n configurations (n, L, L) int8 of the block-parity ensemble (see module doc);
    `offsets` False keeps every block at (0, 0) (the tests read the blocks directly)."""
    if L % BLOCK:
        raise EnsembleError(f"ccnn block_parity: L = {L} must be a multiple of {BLOCK}")
    sites = [tuple(int(v) for v in s) for s in sites]
    if (
        not sites
        or len(set(sites)) != len(sites)
        or any(not (0 <= a < BLOCK and 0 <= b < BLOCK) for a, b in sites)
    ):
        raise EnsembleError(f"ccnn block_parity: sites {sites} must be distinct cells of 2x2")
    spins = np.where(gen.random((n, L, L)) < 0.5, -1, 1).astype(np.int8)
    if constrained:
        # the last site takes the product of the others: the product over all sites is +1,
        # and the others stay i.i.d. uniform
        last = sites[-1]
        others = np.ones((n, L // BLOCK, L // BLOCK), np.int8)
        for dy, dx in sites[:-1]:
            others *= spins[:, dy::BLOCK, dx::BLOCK]
        spins[:, last[0] :: BLOCK, last[1] :: BLOCK] = others
    if offsets:
        for i, (oy, ox) in enumerate(gen.integers(0, BLOCK, size=(n, 2))):
            spins[i] = np.roll(spins[i], shift=(oy, ox), axis=(0, 1))
    return spins


def stratified_split(
    labels: np.ndarray, val_fraction: float, test_fraction: float, gen
) -> np.ndarray:
    """Split code per sample (0 train, 1 val, 2 test), the same fractions in each class."""
    split = np.zeros(len(labels), np.int8)
    for cls in np.unique(labels):
        members = gen.permutation(np.flatnonzero(labels == cls))
        n_test = int(round(test_fraction * len(members)))
        n_val = int(round(val_fraction * len(members)))
        if len(members) - n_test - n_val < 1 or n_val < 1 or n_test < 1:
            raise EnsembleError(
                f"ccnn: {len(members)} samples of class {cls} cannot be split with "
                f"val_fraction = {val_fraction} and test_fraction = {test_fraction}"
            )
        split[members[:n_test]] = SPLIT_CODES["test"]
        split[members[n_test : n_test + n_val]] = SPLIT_CODES["val"]
    return split


def temperature_window(temperatures: np.ndarray, window, key: str) -> np.ndarray:
    """Indices of the temperatures in [lo, hi]; an empty window is an error naming `key`."""
    lo, hi = (float(v) for v in window)
    idx = np.flatnonzero((temperatures >= lo - 1e-9) & (temperatures <= hi + 1e-9))
    if lo > hi or len(idx) == 0:
        raise EnsembleError(
            f"{key} = [{lo}, {hi}] holds none of the temperatures "
            f"{np.round(temperatures, 4).tolist()}"
        )
    return idx


def ising_pair(ising_path, pair_cfg: dict, gen: np.random.Generator, key: str):
    """(spins, labels, temperatures) of the Ising phase pair, classes balanced, Z2-symmetrised.

    Configurations at T in pair_cfg['ordered'] get label 1, those in pair_cfg['disordered'] 0.
    """
    ds = load_ising(ising_path)
    temperatures = ds["temperature"].values
    spins_all = ds["spins"].values
    signs = z2_signs(spins_all.shape[:2], gen)
    chosen = {}
    for cls, part in ((ORDERED, "ordered"), (DISORDERED, "disordered")):
        t_idx = temperature_window(temperatures, pair_cfg[part], f"{key}.{part}")
        ti, si = np.meshgrid(t_idx, np.arange(spins_all.shape[1]), indexing="ij")
        chosen[cls] = (ti.ravel(), si.ravel())
    n = min(len(chosen[ORDERED][0]), len(chosen[DISORDERED][0]), int(pair_cfg["max_per_class"]))
    spins, labels, temps = [], [], []
    for cls in (ORDERED, DISORDERED):
        ti, si = chosen[cls]
        keep = np.sort(gen.choice(len(ti), size=n, replace=False))
        ti, si = ti[keep], si[keep]
        spins.append(spins_all[ti, si] * signs[ti, si][:, None, None])
        labels.append(np.full(n, cls, np.int8))
        temps.append(temperatures[ti])
    return np.concatenate(spins).astype(np.int8), np.concatenate(labels), np.concatenate(temps)


def make_pair(name: str, pair_cfg: dict, ccnn: dict, seed: int, ising_path=None) -> xr.Dataset:
    """The labelled ensemble pair `name` as a Dataset (dims sample, y, x)."""
    gen = rng(seed, "ccnn", name, "ensembles")
    kind = pair_cfg["kind"]
    key = f"ccnn.pairs.{name}"
    if kind == "ising":
        if ising_path is None:
            raise EnsembleError(f"{key}: kind 'ising' needs the Ising data file")
        spins, labels, temps = ising_pair(ising_path, pair_cfg, gen, key)
        names = {ORDERED: "ordered", DISORDERED: "disordered"}
    elif kind == "block_parity":
        n, L = int(pair_cfg["n_per_class"]), int(pair_cfg["L"])
        parts = [block_parity_sample(n, L, pair_cfg["sites"], c, gen) for c in (True, False)]
        spins = np.concatenate(parts)
        labels = np.repeat(np.array([1, 0], np.int8), n)
        temps = np.full(2 * n, np.nan)
        names = {1: "parity-constrained", 0: "unconstrained"}
    else:
        raise EnsembleError(f"{key}.kind = {kind!r}: use ising or block_parity")
    split = stratified_split(labels, ccnn["val_fraction"], ccnn["test_fraction"], gen)
    order, patterns = expected_answer(pair_cfg)
    L = spins.shape[-1]
    return xr.Dataset(
        {
            "spins": (("sample", "y", "x"), spins, {"long_name": "spin s_i = +-1"}),
            "label": ("sample", labels, {"long_name": f"1: {names[1]}, 0: {names[0]}"}),
            "split": ("sample", split, {"long_name": "0 train, 1 validation, 2 test"}),
            "temperature": (
                "sample",
                temps,
                {"long_name": "temperature (Ising only)", "units": "J/k_B"},
            ),
        },
        coords={"sample": np.arange(len(labels)), "y": np.arange(L), "x": np.arange(L)},
        attrs=base_attrs(
            seed,
            pair=name,
            kind=kind,
            label_1=names[1],
            label_0=names[0],
            expected_order=int(order),
            expected_patterns=json.dumps(patterns),
            pair_config=json.dumps(pair_cfg, sort_keys=True),
        ),
    )


def write_pair(ds: xr.Dataset, path) -> None:
    to_netcdf_atomic(ds, path, encoding={"spins": {"zlib": True, "complevel": 4}})


def load_pair(path) -> xr.Dataset:
    ds = load_dataset(path, required=REQUIRED, dims={"spins": ("sample", "y", "x")})
    for key in ("expected_order", "expected_patterns", "pair", "kind"):
        if key not in ds.attrs:
            raise DataFileError(f"{path}: attribute {key!r} missing (not a ccnn ensemble file)")
    return ds


def expected_from_file(ds: xr.Dataset) -> tuple[int, list]:
    return int(ds.attrs["expected_order"]), json.loads(ds.attrs["expected_patterns"])


# --- statistics ----------------------------------------------------------------------------


def pattern_average(spins: np.ndarray, sites) -> np.ndarray:
    """Per configuration, the translation average of prod_{a in sites} s(x + a) on the torus."""
    spins = np.asarray(spins, float)
    prod = np.ones_like(spins)
    for dy, dx in sites:
        prod = prod * np.roll(spins, shift=(-dy, -dx), axis=(-2, -1))
    return prod.mean(axis=(-2, -1))


# The correlation functions reported for every ensemble pair: every distinct one inside a
# 2x2 block up to translation, name -> (order, sites).
STATISTICS = {
    "magnetization": (1, [(0, 0)]),
    "nn_x": (2, [(0, 0), (0, 1)]),
    "nn_y": (2, [(0, 0), (1, 0)]),
    "diagonal": (2, [(0, 0), (1, 1)]),
    "antidiagonal": (2, [(0, 1), (1, 0)]),
    "triple_without_11": (3, [(0, 0), (0, 1), (1, 0)]),
    "triple_without_10": (3, [(0, 0), (0, 1), (1, 1)]),
    "triple_without_01": (3, [(0, 0), (1, 0), (1, 1)]),
    "triple_without_00": (3, [(0, 1), (1, 0), (1, 1)]),
    "plaquette": (4, [(0, 0), (0, 1), (1, 0), (1, 1)]),
}


def ensemble_statistics(spins: np.ndarray) -> dict[str, tuple[float, float]]:
    """Mean and standard error over configurations of each statistic in :data:`STATISTICS`."""
    out = {}
    for name, (_, sites) in STATISTICS.items():
        values = pattern_average(spins, sites)
        err = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
        out[name] = (float(values.mean()), float(err))
    return out


def statistics_report(ds) -> dict:
    """Per-ensemble low-order statistics (mean, standard error), their differences in standard
    errors (z) and in per-configuration standard deviations (separation), with their orders."""
    spins, labels = ds["spins"].values, ds["label"].values
    per_label = {int(c): ensemble_statistics(spins[labels == c]) for c in (1, 0)}
    n1, n0 = int((labels == 1).sum()), int((labels == 0).sum())
    rows = {}
    for name, (order, sites) in STATISTICS.items():
        (m1, e1), (m0, e0) = per_label[1][name], per_label[0][name]
        err = float(np.hypot(e1, e0))
        # per-configuration spread (pooled), for the separation (Cohen's d) of the statistic
        sd = float(np.sqrt(0.5 * (e1**2 * n1 + e0**2 * n0)))
        rows[name] = {
            "order": order,
            "sites": sites,
            ds.attrs["label_1"]: [m1, e1],
            ds.attrs["label_0"]: [m0, e0],
            "difference": m1 - m0,
            "difference_error": err,
            "z": (m1 - m0) / err if err > 0 else float("nan"),
            "separation": (m1 - m0) / sd if sd > 0 else float("nan"),
        }
    return {
        "pair": ds.attrs["pair"],
        "labels": {"1": ds.attrs["label_1"], "0": ds.attrs["label_0"]},
        "expected_order": int(ds.attrs["expected_order"]),
        "statistics": rows,
    }


def write_ensembles(name: str, data_cfg: dict, seed: int, out: dict, ising_path=None):
    """Ensemble pair to out['data'] (HDF5), low-order statistics to out['statistics'] (JSON);
    `data_cfg` is :func:`physlens.slices.ccnn_data_slice`."""
    ds = make_pair(name, data_cfg["pair"], data_cfg, seed, ising_path=ising_path)
    write_pair(ds, out["data"])
    write_json(out["statistics"], statistics_report(ds))
    return ds
