"""Config slices of the SciNet stage (no torch: the rule file imports this when parsed).

A system's block in ``config["scinet"]`` holds the data settings and, under MODEL_KEYS, the
network's; each rule gets only the slice its outputs depend on, so changing the training
settings retrains without regenerating the data.
"""

from __future__ import annotations

MODEL_KEYS = ("architecture", "beta", "train")


def data_params(cfg: dict, system: str) -> dict:
    """The part of the `scinet` config block that fixes `system`'s data set."""
    block = {k: v for k, v in cfg[system].items() if k not in MODEL_KEYS}
    return {
        "val_fraction": cfg["val_fraction"],
        "test_fraction": cfg["test_fraction"],
        system: block,
    }


def model_params(cfg: dict, system: str) -> dict:
    """The part of the `scinet` config block that fixes `system`'s network and training."""
    return {system: {k: cfg[system][k] for k in MODEL_KEYS}}
