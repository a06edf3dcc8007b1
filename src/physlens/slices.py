"""Config slices, defined once: the part of the config a rule's outputs depend on.

The same function gives a rule's Snakemake params (so that changing an unrelated key does not
rerun it) and what the library records as a model's metadata. Pure Python: the Snakefile
imports this while building the DAG, so nothing heavy may be imported here. Stage-specific
slices that depend on a model name live beside their names (e.g.
:func:`physlens.unsupervised.names.model_config_slice`).
"""

from __future__ import annotations

# The keys of a phase-classifier stage (supervised, su2_learning) that fix the window labels,
# the train/val/test split and the symmetry flips.
SPLIT_KEYS = ("windows", "val_fraction", "test_fraction", "symmetrize")


def split_slice(stage_cfg: dict) -> dict:
    """The labels, splits and symmetry flips of a phase-classifier stage."""
    missing = [k for k in SPLIT_KEYS if k not in stage_cfg]
    if missing:
        raise KeyError(f"config slice lacks {missing} (needed to rebuild the split)")
    return {k: stage_cfg[k] for k in SPLIT_KEYS}


def classifier_slice(stage_cfg: dict) -> dict:
    """Everything that shapes one classifier of an ensemble (the ensemble size only adds
    members)."""
    return {k: v for k, v in stage_cfg["classifier"].items() if k != "members"}


def ising_sampling_slice(config: dict) -> dict:
    """The Ising settings that determine the samples (not the checks, not the list of sizes),
    plus the seed."""
    ising = {k: v for k, v in config["ising"].items() if k not in ("checks", "sizes")}
    return {"seed": config["seed"], **ising}


def su2_sampling_slice(config: dict, n_s: int) -> dict:
    """The SU(2) settings that determine the samples of the N_s = `n_s` lattice (not the list
    of sizes, not the finite-size analysis), plus the seed."""
    su2 = {k: v for k, v in config["su2"].items() if k not in ("sizes", "scaling")}
    return {"seed": config["seed"], **su2, "n_s": int(n_s)}


def su2_training_slice(s2l: dict) -> dict:
    """Everything that shapes the SU(2) labels, splits and classifiers (not beta_c or
    probing, not the ensemble size)."""
    out = {k: v for k, v in s2l.items() if k not in ("beta_c", "probing", "classifier")}
    return out | {"classifier": classifier_slice(s2l)}


# SciNet: a system's block in config["scinet"] holds the data settings and, under
# SCINET_MODEL_KEYS, the network's, so changing the training settings retrains without
# regenerating the data.
SCINET_MODEL_KEYS = ("architecture", "beta", "train")


def scinet_data_slice(cfg: dict, system: str) -> dict:
    """The part of the `scinet` config block that fixes `system`'s data set."""
    block = {k: v for k, v in cfg[system].items() if k not in SCINET_MODEL_KEYS}
    return {
        "val_fraction": cfg["val_fraction"],
        "test_fraction": cfg["test_fraction"],
        system: block,
    }


def scinet_model_slice(cfg: dict, system: str) -> dict:
    """The part of the `scinet` config block that fixes `system`'s network and training."""
    return {system: {k: cfg[system][k] for k in SCINET_MODEL_KEYS}}


def split_sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """Validation and test counts of n samples (at least one each): the SciNet split
    (physlens.scinet.systems.split_labels) and its start-up check use the same sizes."""
    return max(1, int(round(val_fraction * n))), max(1, int(round(test_fraction * n)))


# Correlator CNN: a pair's ensembles, its two networks, and the regularisation path.
def ccnn_pair_window(ccnn: dict, name: str) -> list[int]:
    """The filter window of pair `name` (its own `window`, else ccnn.architecture.window)."""
    return list(ccnn["pairs"][name].get("window", ccnn["architecture"]["window"]))


def ccnn_data_slice(ccnn: dict, name: str) -> dict:
    """What fixes the ensembles of pair `name`: its construction and the split fractions."""
    pair = {k: v for k, v in ccnn["pairs"][name].items() if k != "window"}
    return {
        "pair": pair,
        "val_fraction": ccnn["val_fraction"],
        "test_fraction": ccnn["test_fraction"],
    }


def ccnn_train_slice(ccnn: dict, name: str) -> dict:
    """What shapes the two networks of pair `name` (besides its ensembles and the seed)."""
    arch = {k: v for k, v in ccnn["architecture"].items() if k != "window"}
    return {
        "window": ccnn_pair_window(ccnn, name),
        "architecture": arch,
        **{k: ccnn[k] for k in ("cnn", "l1_filters", "train")},
    }


def ccnn_path_slice(ccnn: dict) -> dict:
    """The regularisation path and the headline criteria."""
    return {k: ccnn[k] for k in ("path", "accuracy_margin", "low_order_z_max")}


# The graph-network stage: what fixes the simulations of one force law; the split by
# simulation (training and interpretation share it); what else shapes a network's weights.
GNN_SIMULATION_KEYS = (
    "dim",
    "n_particles",
    "n_simulations",
    "n_stored",
    "dt",
    "stride",
    "softening",
    "log_mass_sigma",
)
GNN_SPLIT_KEYS = ("dim", "val_fraction", "test_fraction", "max_energy_drift")
GNN_TRAINING_KEYS = (
    "n_particles",
    "architecture",
    "l1_weight",
    "max_train_snapshots",
    "max_val_snapshots",
    "train",
)


def gnn_simulation_slice(gnn: dict) -> dict:
    return {k: gnn[k] for k in GNN_SIMULATION_KEYS}


def gnn_training_slice(gnn: dict) -> dict:
    return {k: gnn[k] for k in GNN_SPLIT_KEYS + GNN_TRAINING_KEYS}


def gnn_interpretation_slice(gnn: dict) -> dict:
    return {k: gnn[k] for k in GNN_SPLIT_KEYS + ("variants", "interpret")}
