"""Config slices and cross-key checks of the ``gnn`` section (pure Python: the Snakefile
imports this while building the DAG, so nothing heavy may be imported here).

A slice is the part of the section a rule's outputs depend on: the same function gives the
rule's Snakemake params (changing an unrelated key reruns nothing) and what the library reads.
"""

from __future__ import annotations

# What fixes the simulations of one force law.
SIMULATION_KEYS = (
    "dim",
    "n_particles",
    "n_simulations",
    "n_stored",
    "dt",
    "stride",
    "softening",
    "log_mass_sigma",
)
# What fixes the train/val/test split by simulation (training and interpretation share it).
SPLIT_KEYS = ("dim", "val_fraction", "test_fraction", "max_energy_drift")
# What else shapes a network's weights.
TRAINING_KEYS = (
    "n_particles",
    "architecture",
    "l1_weight",
    "max_train_snapshots",
    "max_val_snapshots",
    "train",
)


def simulation_slice(gnn: dict) -> dict:
    return {k: gnn[k] for k in SIMULATION_KEYS}


def training_slice(gnn: dict) -> dict:
    return {k: gnn[k] for k in SPLIT_KEYS + TRAINING_KEYS}


def interpretation_slice(gnn: dict) -> dict:
    return {k: gnn[k] for k in SPLIT_KEYS + ("variants", "interpret")}


def n_split_simulations(n_sims: int, fraction: float) -> int:
    """Simulations in the validation or test split: at least one (physlens.gnn.data)."""
    return max(1, int(round(fraction * n_sims)))


def gnn_config_errors(config: dict) -> list[str]:
    """Everything about `gnn` that the JSON schema cannot check. Empty: the section is usable."""
    g = config["gnn"]
    errors = []
    n = int(g["n_simulations"])
    n_val = n_split_simulations(n, g["val_fraction"])
    n_test = n_split_simulations(n, g["test_fraction"])
    if n - n_val - n_test < 1:
        errors.append(
            f"gnn.n_simulations = {n} with gnn.val_fraction = {g['val_fraction']} and "
            f"gnn.test_fraction = {g['test_fraction']} leaves no training simulation"
        )
    icfg = g["interpret"]
    if icfg["symbolic_edges"] > icfg["max_edges"] // 2:
        errors.append(
            f"gnn.interpret.symbolic_edges = {icfg['symbolic_edges']}: more than the "
            f"{icfg['max_edges'] // 2} fit edges (half of gnn.interpret.max_edges = "
            f"{icfg['max_edges']})"
        )
    msg_dim = int(g["architecture"]["message_dim"])
    wide = [v for v in g["variants"] if v in ("standard", "l1")]
    if wide and msg_dim <= int(g["dim"]):
        errors.append(
            f"gnn.architecture.message_dim = {msg_dim} is not larger than gnn.dim = {g['dim']}: "
            f"the {wide} variants would be bottlenecks, and their sparsity says nothing"
        )
    return errors
