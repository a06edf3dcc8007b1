"""Ensemble pairs whose distinguishing correlation is known, written to HDF5.

* ``ising``: the workflow's Ising configurations, ordered (T in the `ordered` window, label 1)
  against disordered (T in the `disordered` window, label 0), each configuration multiplied
  by a random global sign so that odd correlators carry no information. The Boltzmann
  weight depends on a configuration only through its nearest-neighbour sum E, so the
  log-likelihood ratio of any two temperature mixtures is a function of E alone (E is
  sufficient), and for nearby temperatures no statistic X separates the classes better than
  E: the mean shift is -dbeta Cov(X, E), so Cohen's d of X is dbeta sd(E) corr(X, E) <= that
  of E. Expected: order 2, pattern a nearest-neighbour pair. Windows close to Tc keep the
  classes overlapping; far from Tc every even correlator separates them perfectly and the
  order that enters first is a tie.
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

from physlens.io import DataFileError, load_dataset, to_netcdf_atomic
from physlens.provenance import base_attrs
from physlens.seeding import rng
from physlens.supervised.data import DISORDERED, ORDERED, load_ising, z2_signs

BLOCK = 2
NN_PAIRS = ([(0, 0), (0, 1)], [(0, 0), (1, 0)])
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
REQUIRED = ("spins", "label", "split")


class EnsembleError(ValueError):
    """An ensemble-pair setting cannot be realised; the message names the key."""


def block_parity_sample(
    n: int, L: int, sites, constrained: bool, gen: np.random.Generator
) -> np.ndarray:
    """n configurations (n, L, L) int8 of the block-parity ensemble (see module doc)."""
    if L % BLOCK:
        raise EnsembleError(f"ccnn block_parity: L = {L} must be a multiple of {BLOCK}")
    sites = [tuple(s) for s in sites]
    if any(not (0 <= a < BLOCK and 0 <= b < BLOCK) for a, b in sites) or len(set(sites)) < 2:
        raise EnsembleError(f"ccnn block_parity: sites {sites} must be >= 2 distinct cells of 2x2")
    spins = np.where(gen.random((n, L, L)) < 0.5, -1, 1).astype(np.int8)
    if constrained:
        last = sites[-1]
        others = np.ones((n, L // BLOCK, L // BLOCK), np.int8)
        for dy, dx in sites[:-1]:
            others *= spins[:, dy::BLOCK, dx::BLOCK]
        spins[:, last[0] :: BLOCK, last[1] :: BLOCK] = others  # product over sites = +1
    offsets = gen.integers(0, BLOCK, size=(n, 2))
    for i, (oy, ox) in enumerate(offsets):
        spins[i] = np.roll(spins[i], shift=(oy, ox), axis=(0, 1))
    return spins


def stratified_split(labels: np.ndarray, val_fraction: float, test_fraction: float, gen) -> np.ndarray:
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
            f"{key} = [{lo}, {hi}] holds none of the temperatures {np.round(temperatures, 4).tolist()}"
        )
    return idx


def ising_pair(ising_path, pair_cfg: dict, gen: np.random.Generator, key: str = "ccnn.pairs"):
    """(spins, labels, temperatures) of the Ising phase pair, classes balanced, Z2-symmetrised.

    Configurations at T in pair_cfg['ordered'] get label 1, those in pair_cfg['disordered'] 0.
    """
    ds = load_ising(ising_path)
    temperatures = ds["temperature"].values
    if max(pair_cfg["ordered"]) >= min(pair_cfg["disordered"]):
        raise EnsembleError(f"{key}: the ordered window must lie below the disordered one")
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


def expected_answer(pair_cfg: dict) -> tuple[int, list[list[list[int]]]]:
    """(known order, the patterns any of which is the known correlator's support)."""
    if pair_cfg["kind"] == "ising":
        return 2, [list(map(list, p)) for p in NN_PAIRS]
    sites = [list(s) for s in pair_cfg["sites"]]
    return len(sites), [sites]


def make_pair(name: str, pair_cfg: dict, cfg: dict, seed: int, ising_path=None) -> xr.Dataset:
    """The labelled ensemble pair `name` as a Dataset (dims sample, y, x)."""
    gen = rng(seed, "ccnn", name, "ensembles")
    kind = pair_cfg["kind"]
    if kind == "ising":
        if ising_path is None:
            raise EnsembleError(f"ccnn.pairs.{name}: kind 'ising' needs the Ising data file")
        spins, labels, temps = ising_pair(ising_path, pair_cfg, gen, f"ccnn.pairs.{name}")
        names = {ORDERED: "ordered", DISORDERED: "disordered"}
    elif kind == "block_parity":
        n, L = int(pair_cfg["n_per_class"]), int(pair_cfg["L"])
        parts = [block_parity_sample(n, L, pair_cfg["sites"], bool(c), gen) for c in (1, 0)]
        spins = np.concatenate(parts)
        labels = np.repeat(np.array([1, 0], np.int8), n)
        temps = np.full(2 * n, np.nan)
        names = {1: "parity-constrained", 0: "unconstrained"}
    else:
        raise EnsembleError(f"ccnn.pairs.{name}.kind = {kind!r}: use ising or block_parity")
    split = stratified_split(labels, cfg["val_fraction"], cfg["test_fraction"], gen)
    order, patterns = expected_answer(pair_cfg)
    L = spins.shape[-1]
    return xr.Dataset(
        {
            "spins": (("sample", "y", "x"), spins, {"long_name": "spin s_i = +-1"}),
            "label": ("sample", labels, {"long_name": f"1: {names[1]}, 0: {names[0]}"}),
            "split": ("sample", split, {"long_name": "0 train, 1 validation, 2 test"}),
            "temperature": ("sample", temps, {"long_name": "temperature (Ising only)", "units": "J/k_B"}),
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
    for key in ("expected_order", "expected_patterns"):
        if key not in ds.attrs:
            raise DataFileError(f"{path}: attribute {key!r} missing (not a ccnn ensemble file)")
    return ds


def expected_from_file(ds: xr.Dataset) -> tuple[int, list]:
    return int(ds.attrs["expected_order"]), json.loads(ds.attrs["expected_patterns"])


PAIR_KEYS = {"ising": ("L", "ordered", "disordered", "max_per_class"), "block_parity": ("L", "n_per_class", "sites")}


def ccnn_config_errors(cfg: dict) -> list[str]:
    """Checks of the ccnn block a JSON schema cannot express (keys required per kind, L)."""
    errors = []
    sizes = cfg.get("ising", {}).get("sizes", [])
    for name, pair in cfg.get("ccnn", {}).get("pairs", {}).items():
        key = f"ccnn.pairs.{name}"
        kind = pair.get("kind")
        missing = [k for k in PAIR_KEYS.get(kind, ()) if k not in pair]
        if missing:
            errors.append(f"{key}: kind {kind!r} needs {', '.join(missing)}")
            continue
        if kind == "ising" and pair["L"] not in sizes:
            errors.append(f"{key}.L = {pair['L']}: not one of ising.sizes {sizes}")
        if kind == "ising" and max(pair["ordered"]) >= min(pair["disordered"]):
            errors.append(f"{key}: ordered {pair['ordered']} must lie below disordered {pair['disordered']}")
        if kind == "block_parity" and pair["L"] % BLOCK:
            errors.append(f"{key}.L = {pair['L']}: must be a multiple of {BLOCK}")
    return errors
