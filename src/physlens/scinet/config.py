"""Config slices and cross-key checks of the SciNet stage (no torch: the rule file imports
this when parsed, physlens.config at start-up).

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


def split_sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """Validation and test counts of n samples (at least one each; systems.split_labels)."""
    return max(1, int(round(val_fraction * n))), max(1, int(round(test_fraction * n)))


def scinet_config_errors(cfg: dict) -> list[str]:
    """Everything about `scinet` that the JSON schema cannot check (relations between keys).
    `cfg` is the `scinet` block with its defaults filled in; an empty list means usable."""
    errors = []
    for system in cfg["systems"]:
        n = cfg[system]["n_samples"]
        n_val, n_test = split_sizes(n, cfg["val_fraction"], cfg["test_fraction"])
        if n_val + n_test >= n:
            errors.append(
                f"scinet.{system}.n_samples = {n}: leaves no training samples after "
                f"val_fraction and test_fraction ({n_val} + {n_test})"
            )
    pend = cfg["pendulum"]
    for key in ("kappa", "b"):
        lo, hi = pend[key]
        if lo > hi:
            errors.append(f"scinet.pendulum.{key} = {pend[key]}: the range must be [low, high]")
    # m = 1 kg: the observation is an underdamped oscillation only where kappa > b^2 / 4
    if min(pend["kappa"]) <= max(pend["b"]) ** 2 / 4:
        errors.append(
            f"scinet.pendulum: kappa {pend['kappa']} and b {pend['b']} include overdamped or "
            "critically damped oscillators (need min kappa > max b^2 / 4, m = 1 kg)"
        )
    periods = cfg["heliocentric"]["periods_days"]
    if periods["mars"] <= periods["earth"]:
        errors.append(
            f"scinet.heliocentric.periods_days: mars = {periods['mars']} must exceed "
            f"earth = {periods['earth']} (Mars is the outer planet, its radius follows from "
            "Kepler's third law)"
        )
    return errors
