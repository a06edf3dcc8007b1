"""Training entry point: one graph network per (force law, variant), on physlens.training's loop.

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

from physlens.gnn.data import acceleration_scale, graph_data, node_parameter_names
from physlens.gnn.simulate import load_simulations
from physlens.io import write_json
from physlens.seeding import derive_seed, rng
from physlens.training import TrainSettings, seeded_model, train_and_save

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


def train_gnn(
    sims_path,
    cfg: dict,
    training: dict,
    seed: int,
    law: str,
    variant: str,
    out: dict,
    resume_dir=None,
) -> dict:
    """Train one graph network on the `cfg` slice (physlens.slices.gnn_training_slice); save
    model, history and metrics (`out`: model / meta / history / metrics paths). Returns the
    metrics."""
    ds = load_simulations(sims_path)
    splits, info = graph_data(ds, cfg, seed)
    scale = acceleration_scale(splits["train"].acceleration)
    sel = {
        name: subsample(
            len(splits[name].nodes), cfg[f"max_{name}_snapshots"], rng(seed, "gnn", law, name)
        )
        for name in ("train", "val")
    }
    tensors = {
        name: (
            torch.as_tensor(splits[name].nodes[sel[name]], dtype=torch.float32),
            torch.as_tensor(splits[name].acceleration[sel[name]] / scale, dtype=torch.float32),
        )
        for name in ("train", "val")
    }
    mseed = derive_seed(seed, "gnn", law, variant, "model")
    model = seeded_model(architecture(cfg, law, variant), mseed)
    l1_weight = variant_settings(variant, cfg)[1]
    settings = TrainSettings.from_config({**training, **cfg.get("train", {})})

    def gnn_metrics(result) -> dict:
        return {
            "law": law,
            "variant": variant,
            "l1_weight": l1_weight,
            "acceleration_scale": scale,
            "n_train_used": int(len(sel["train"])),
            "n_val_used": int(len(sel["val"])),
            **info,
            **{
                k: result.metrics[k]
                for k in ("epochs_run", "best_epoch", "train_loss", "val_loss", "device")
            },
        }

    _, meta = train_and_save(
        model,
        tensors["train"],
        tensors["val"],
        settings,
        mseed,
        out,
        data_path=sims_path,
        master_seed=seed,
        config={**cfg, "law": law, "variant": variant},
        metadata={
            "law": law,
            "variant": variant,
            "acceleration_scale": scale,
            "feature_names": splits["train"].feature_names,
            "loss": f"mean |a - a_pred| / scale + {l1_weight} x mean over edges of sum |message|",
            "settings": vars(settings),
        },
        metrics=gnn_metrics,
        loss_fn=message_l1_loss(model, l1_weight),
        resume_dir=resume_dir,
        name=f"gnn/{law}/{variant}",
    )
    metrics = meta["metrics"]
    write_json(out["metrics"], metrics)
    log.info(
        "%s/%s: val loss %.4g after %d epochs",
        law,
        variant,
        metrics["val_loss"],
        metrics["epochs_run"],
    )
    return metrics
