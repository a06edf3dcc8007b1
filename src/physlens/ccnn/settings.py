"""Cross-key checks of the ``ccnn`` config section and the answers known by construction of
each ensemble pair (pure Python and numpy: the Snakefile calls this while building the DAG,
so nothing heavy may be imported here).

Each message names the offending key(s) as dotted paths, like :mod:`physlens.config`.
"""

from __future__ import annotations

import numpy as np

from physlens.config import temperature_grid

# Side of the blocks of the block-parity ensembles.
BLOCK = 2
# The two nearest-neighbour pairs of the square lattice (as window cells [row, column]).
NN_PAIRS = ([[0, 0], [0, 1]], [[0, 0], [1, 0]])
# Keys each kind of pair needs (the schema makes them optional because they differ by kind).
PAIR_KEYS = {
    "ising": ("L", "ordered", "disordered", "max_per_class"),
    "block_parity": ("L", "n_per_class", "sites"),
}


def expected_answer(pair_cfg: dict) -> tuple[int, list[list[list[int]]]]:
    """(order, patterns): the correlator order that tells the pair apart by construction, and
    the window patterns (lists of [row, column] cells, up to translation) any of which is
    its support.

    ising: the Boltzmann weight depends on a configuration only through its nearest-neighbour
    bond sum, and the data are Z2-symmetrised, so the odd orders carry nothing and the
    nearest-neighbour two-point function separates the temperatures. block_parity: the
    product over `sites` of one block is constrained; every correlation of fewer spins agrees
    exactly.
    """
    if pair_cfg["kind"] == "ising":
        return 2, [list(map(list, p)) for p in NN_PAIRS]
    sites = [list(map(int, s)) for s in pair_cfg["sites"]]
    return len(sites), [sites]


def pair_window(ccnn: dict, name: str) -> list[int]:
    """The filter window of pair `name` (its own `window`, else ccnn.architecture.window)."""
    return list(ccnn["pairs"][name].get("window", ccnn["architecture"]["window"]))


# --- config slices: what each rule's outputs depend on (its Snakemake params) ---------------


def data_slice(ccnn: dict, name: str) -> dict:
    """What fixes the ensembles of pair `name`: its construction and the split fractions."""
    pair = {k: v for k, v in ccnn["pairs"][name].items() if k != "window"}
    return {
        "pair": pair,
        "val_fraction": ccnn["val_fraction"],
        "test_fraction": ccnn["test_fraction"],
    }


def train_slice(ccnn: dict, name: str) -> dict:
    """What shapes the two networks of pair `name` (besides its ensembles and the seed)."""
    arch = {k: v for k, v in ccnn["architecture"].items() if k != "window"}
    return {
        "window": pair_window(ccnn, name),
        "architecture": arch,
        **{k: ccnn[k] for k in ("cnn", "l1_filters", "train")},
    }


def path_slice(ccnn: dict) -> dict:
    """The regularisation path and the headline criteria."""
    return {k: ccnn[k] for k in ("path", "accuracy_margin", "low_order_z_max")}


def _in_window(grid: np.ndarray, window) -> int:
    lo, hi = (float(v) for v in window)
    return int(((grid >= lo - 1e-9) & (grid <= hi + 1e-9)).sum())


def ccnn_config_errors(config: dict) -> list[str]:
    """Everything about `ccnn` that the JSON schema cannot check (keys required per kind,
    relations to the Ising keys). An empty list means the section is usable."""
    errors = []
    ccnn = config["ccnn"]
    ising = config.get("ising", {})
    sizes = ising.get("sizes", [])
    grid = temperature_grid(ising) if "temperatures" in ising else None
    max_order = ccnn["architecture"]["max_order"]
    for name, pair in ccnn["pairs"].items():
        key = f"ccnn.pairs.{name}"
        kind = pair["kind"]
        missing = [k for k in PAIR_KEYS[kind] if k not in pair]
        if missing:
            errors.append(f"{key}: kind {kind!r} needs {', '.join(missing)}")
            continue
        h, w = pair_window(ccnn, name)
        if h > pair["L"] or w > pair["L"]:
            errors.append(f"{key}: window [{h}, {w}] is larger than the L = {pair['L']} lattice")
        order, patterns = expected_answer(pair)
        if order > max_order:
            errors.append(
                f"{key}: the distinguishing order {order} is above ccnn.architecture.max_order "
                f"= {max_order}"
            )
        span = [max(c[i] for c in patterns[0]) + 1 for i in (0, 1)]
        if span[0] > h or span[1] > w:
            errors.append(
                f"{key}: the known pattern {patterns[0]} does not fit the window [{h}, {w}]"
            )
        if kind == "ising":
            if pair["L"] not in sizes:
                errors.append(f"{key}.L = {pair['L']}: not in ising.sizes = {sorted(sizes)}")
            lo_o, hi_o = pair["ordered"]
            lo_d, hi_d = pair["disordered"]
            if not (lo_o <= hi_o < lo_d <= hi_d):
                errors.append(
                    f"{key}: need ordered [lo, hi] below disordered [lo, hi], got "
                    f"ordered = {pair['ordered']}, disordered = {pair['disordered']}"
                )
            elif grid is not None:
                for part in ("ordered", "disordered"):
                    if _in_window(grid, pair[part]) == 0:
                        errors.append(
                            f"{key}.{part} = {pair[part]}: holds none of the ising.temperatures "
                            f"{np.round(grid, 4).tolist()}"
                        )
                    n = min(
                        [pair["max_per_class"]]
                        + [
                            _in_window(grid, pair[part]) * ising["samples_per_temperature"]
                            for part in ("ordered", "disordered")
                        ]
                    )
                    errors += _split_errors(ccnn, n, f"{key}: {n} configurations per class")
        else:
            if pair["L"] % BLOCK:
                errors.append(f"{key}.L = {pair['L']}: must be a multiple of {BLOCK}")
            n = pair["n_per_class"]
            errors += _split_errors(ccnn, n, f"{key}.n_per_class = {n}")
    return errors


def _split_errors(ccnn: dict, n: int, what: str) -> list[str]:
    """Each class of n samples needs at least one training, validation and test sample."""
    n_val = int(round(ccnn["val_fraction"] * n))
    n_test = int(round(ccnn["test_fraction"] * n))
    if min(n_val, n_test, n - n_val - n_test) >= 1:
        return []
    return [
        f"{what}: cannot be split with ccnn.val_fraction = {ccnn['val_fraction']} and "
        f"ccnn.test_fraction = {ccnn['test_fraction']}"
    ]
