"""Siamese stage, data and training: pairs to HDF5, one siamese network per data set.

Seeds: derive_seed(config seed, "siamese", <data set>, ...), so adding a data set never changes
another's pairs or weights. Nothing here is specific to a data set: the system, its features
and its candidate invariants all come from the pair file (physlens.invariants registry).
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import xarray as xr

import physlens.models.siamese  # noqa: F401  (registers siamese_mlp, twin_mlp, mlp_regressor)
from physlens.io import open_dataset, to_netcdf_atomic, write_json
from physlens.seeding import derive_seed, rng
from physlens.training import TrainSettings, predict, seeded_model, train_and_save

log = logging.getLogger(__name__)
STAGE = "siamese"
PAIR_VARIABLES = ("x", "label", "split", "group", "invariant")
# Wetzel et al. 2020's test accuracies per data set: references
# "wetzel2020_siamese_accuracy_<dataset>" in resources/references.yaml.
PAPER_ACCURACY_DATASETS = ("central_potential", "em_fields")


def write_pairs(dataset: str, cfg: dict, seed: int, path) -> xr.Dataset:
    """Generate the pair data set `dataset` as configured in `cfg` (the `siamese` block)."""
    from physlens.invariants import make_pairs  # sympy: only the generating rule needs it

    ds = make_pairs(
        dataset,
        cfg["n_pairs"],
        derive_seed(seed, STAGE, dataset, "pairs"),
        points_per_group=cfg["points_per_group"],
        test_fraction=cfg["test_fraction"],
        params=cfg.get("generator_params", {}).get(dataset),
    )
    to_netcdf_atomic(ds, path)
    return ds


def load_pairs(path) -> xr.Dataset:
    return open_dataset(path, required=PAIR_VARIABLES).load()


def train_val_split(
    groups: np.ndarray, val_fraction: float, gen: np.random.Generator
) -> np.ndarray:
    """Boolean validation mask over training pairs, by the first member's group (no group on both sides)."""
    uniq = np.unique(groups)
    val_groups = uniq[gen.random(len(uniq)) < val_fraction]
    mask = np.isin(groups, val_groups)
    if mask.all() or not mask.any():  # tiny data sets: fall back to a split by pair
        mask = np.zeros(len(groups), bool)
        mask[gen.permutation(len(groups))[: max(1, int(round(val_fraction * len(groups))))]] = True
    return mask


def pair_tensors(ds: xr.Dataset, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return (
        torch.as_tensor(ds["x"].values[idx], dtype=torch.float32),
        torch.as_tensor(ds["label"].values[idx], dtype=torch.float32),
    )


def accuracy(model, ds: xr.Dataset, idx: np.ndarray) -> float:
    """Share of pairs classified correctly (logit > 0 means same group)."""
    if len(idx) == 0:
        return float("nan")
    prob = predict(model, ds["x"].values[idx])
    return float(np.mean((prob > 0.5) == (ds["label"].values[idx] == 1)))


def architecture(cfg: dict, n_features: int) -> dict:
    arch = cfg["architecture"]
    return {
        "name": "siamese_mlp",
        "n_features": int(n_features),
        "hidden": list(arch["hidden"]),
        "bottleneck": int(arch["bottleneck"]),
        "activation": arch["activation"],
    }


def train_siamese(
    pairs_path, cfg: dict, training: dict, seed: int, dataset: str, out: dict, resume_dir=None
) -> dict:
    """Train the siamese network on one pair file; save model, history and accuracies.

    `out` maps model / meta / history / metrics to paths. Returns the metrics dict.
    """
    ds = load_pairs(pairs_path)
    split = ds["split"].values
    train_idx, test_idx = np.flatnonzero(split == 0), np.flatnonzero(split == 1)
    val_mask = train_val_split(
        ds["group"].values[train_idx, 0], cfg["val_fraction"], rng(seed, STAGE, dataset, "val")
    )
    fit_idx, val_idx = train_idx[~val_mask], train_idx[val_mask]

    settings = TrainSettings.from_config({**training, **cfg.get("train", {})})
    mseed = derive_seed(seed, STAGE, dataset, "model")
    arch = architecture(cfg, ds.sizes["feature"])

    def pair_metrics(result) -> dict:
        model = result.model
        return {
            "dataset": dataset,
            "train_accuracy": accuracy(model, ds, fit_idx),
            "val_accuracy": accuracy(model, ds, val_idx),
            "test_accuracy": accuracy(model, ds, test_idx),
            "n_train_pairs": int(len(fit_idx)),
            "n_val_pairs": int(len(val_idx)),
            "n_test_pairs": int(len(test_idx)),
            **{
                k: result.metrics[k]
                for k in (
                    "epochs_run",
                    "best_epoch",
                    "train_loss",
                    "train_loss_kind",
                    "val_loss",
                    "device",
                )
            },
        }

    _, meta = train_and_save(
        seeded_model(arch, mseed),
        pair_tensors(ds, fit_idx),
        pair_tensors(ds, val_idx),
        settings,
        mseed,
        out,
        data_path=pairs_path,
        metadata={"dataset": dataset, "settings": vars(settings)},
        metrics=pair_metrics,
        resume_dir=resume_dir,
        name=f"siamese/{dataset}",
        final_train_loss=False,  # reported only: the running mean of the best epoch suffices
    )
    metrics = meta["metrics"]
    write_json(out["metrics"], metrics)
    log.info(
        "%s: train %.4f, test %.4f accuracy",
        dataset,
        metrics["train_accuracy"],
        metrics["test_accuracy"],
    )
    return metrics
