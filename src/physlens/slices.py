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
