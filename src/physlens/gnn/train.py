"""One graph network per (force law, variant): its architecture and loss (the training entry
point is physlens.gnn.pipeline.train_gnn, on physlens.training's loop).

Variants (Cranmer et al. 2020): ``standard`` (message dimension ``message_dim``, 100 in the
paper), ``l1`` (the same with an L1 penalty on the messages, weight ``l1_weight``) and
``bottleneck`` (message dimension = spatial dimension). The loss is the mean absolute error
of the scaled accelerations (the paper's loss: robust to the heavy tails of close passes)
plus the L1 term. Seeds: derive_seed(seed, "gnn", law, variant, ...).
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from physlens.gnn.data import node_parameter_names

log = logging.getLogger(__name__)
VARIANTS = ("standard", "l1", "bottleneck")


def variant_settings(variant: str, cfg: dict) -> tuple[int, float]:
    """(message dimension, L1 weight) of a variant."""
    if variant not in VARIANTS:
        raise ValueError(f"gnn variant {variant!r}: choose one of {VARIANTS}")
    if variant == "bottleneck":
        return int(cfg["dim"]), 0.0
    return int(cfg["architecture"]["message_dim"]), (
        float(cfg["l1_weight"]) if variant == "l1" else 0.0
    )


def architecture(cfg: dict, law: str, variant: str) -> dict:
    arch = cfg["architecture"]
    return {
        "name": "gnn_message_passing",
        "dim": int(cfg["dim"]),
        "n_params": len(node_parameter_names(law)),
        "n_particles": int(cfg["n_particles"]),
        "message_dim": variant_settings(variant, cfg)[0],
        "hidden": int(arch["hidden"]),
        "layers": int(arch["layers"]),
        "activation": arch["activation"],
        "message_init_scale": float(arch["message_init_scale"]),
    }


def message_l1_loss(model, l1_weight: float):
    """MAE of the accelerations + l1_weight * mean over edges of sum_k |message_k|."""

    def loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        out = (pred.float() - target.float()).abs().mean()
        if l1_weight > 0:
            out = out + l1_weight * model.last_messages.float().abs().sum(-1).mean()
        return out

    return loss


def subsample(n: int, limit: int, gen: np.random.Generator) -> np.ndarray:
    return np.sort(gen.permutation(n)[:limit]) if n > limit else np.arange(n)
