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
