"""Entry points of the graph-network stage, one per rule: simulate a force law, train one
network variant, interpret a law's networks. Each reads its inputs, calls the science
modules and writes its outputs (and headlines) atomically."""

from __future__ import annotations

import logging

import torch
import xarray as xr

from physlens.gnn.data import acceleration_scale, graph_data
from physlens.gnn.headlines import STAGE, law_headlines
from physlens.gnn.interpret import interpret_law
from physlens.gnn.simulate import load_simulations, simulate
from physlens.gnn.train import architecture, message_l1_loss, subsample, variant_settings
from physlens.io import atomic_path, to_netcdf_atomic, write_json
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.summary import write_headlines
from physlens.training import TrainSettings, seeded_model, train_and_save

log = logging.getLogger(__name__)


def write_simulations(law: str, cfg: dict, seed: int, path) -> xr.Dataset:
    """Simulate one law (slice physlens.slices.gnn_simulation_slice) and write the HDF5 file."""
    ds = simulate(law, cfg, seed)
    to_netcdf_atomic(ds, path)
    return ds


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


def interpret_and_write(sims_path, models: dict, cfg: dict, seed: int, law: str, out: dict) -> dict:
    """Interpret one law's networks (slice physlens.slices.gnn_interpretation_slice); write
    report / messages / pareto / headline (paths in `out`)."""
    report, messages, pareto = interpret_law(sims_path, models, cfg, seed, law)
    to_netcdf_atomic(messages, out["messages"])
    with atomic_path(out["pareto"], suffix=".csv.tmp") as tmp:
        pareto.to_csv(tmp, index=False)
    write_json(out["report"], {"provenance": base_attrs(seed, stage=STAGE, law=law), **report})
    write_headlines(out["headline"], law_headlines(report, cfg), seed=seed)
    return report
