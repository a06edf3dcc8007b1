"""Training entry point of the ccnn stage (workflow/scripts/ccnn_train.py): the CCNN and the
plain CNN of one ensemble pair, and the trained CCNN's correlator features.

Seeds: derive_seed(config seed, "ccnn", <pair>, ...), so adding a pair never changes another's
ensembles or weights.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import xarray as xr

from physlens.ccnn.correlators import brute_force_maps, correlator_maps
from physlens.ccnn.ensembles import SPLIT_CODES, load_pair
from physlens.io import to_netcdf_atomic, write_json
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed
from physlens.training import (
    TrainSettings,
    bce_with_logits,
    predict,
    seeded_model,
    train_and_save,
)

log = logging.getLogger(__name__)
STAGE = "ccnn"
# Configurations on which the trained filters' recursive correlators are checked against
# the tuple sum (the brute force costs C(|W|, n) products per site).
RECURSION_CHECK_SAMPLES = 4


def stage_seed(seed: int, pair: str, *keys) -> int:
    return derive_seed(seed, STAGE, pair, *keys)


# --- training ----------------------------------------------------------------------------------


def architectures(train_cfg: dict) -> dict[str, dict]:
    """The CCNN and the plain CNN (a ProbeNet: periodic convolution on the same window, ReLU,
    lattice average, linear logit) of one pair (:func:`physlens.slices.ccnn_train_slice`)."""
    arch, window = train_cfg["architecture"], list(train_cfg["window"])
    return {
        "ccnn": {
            "name": "ccnn",
            "n_filters": int(arch["n_filters"]),
            "window": window,
            "max_order": int(arch["max_order"]),
        },
        "cnn": {
            "name": "probe",
            "kernel": window,
            "channels": int(train_cfg["cnn"]["channels"]),
            "activation": "relu",
        },
    }


def split_tensors(ds, part: str):
    mask = ds["split"].values == SPLIT_CODES[part]
    return (
        torch.as_tensor(ds["spins"].values[mask], dtype=torch.float32),
        torch.as_tensor(ds["label"].values[mask], dtype=torch.float32),
    )


def accuracy(model, X: torch.Tensor, y: torch.Tensor) -> float:
    return float(np.mean((predict(model, X) > 0.5) == (y.numpy() == 1)))


def penalised_bce(model, l1: float):
    """BCE plus l1 * sum |f| over the unit-norm CCNN filters (sparse, readable filters)."""
    if not l1:
        return bce_with_logits
    return lambda logits, target: bce_with_logits(logits, target) + l1 * model.l1_penalty()


@torch.no_grad()
def feature_array(model, spins: np.ndarray, batch: int = 512) -> np.ndarray:
    """Correlator features (n, K, max_order) of every configuration (before standardisation)."""
    X = torch.as_tensor(spins, dtype=torch.float32)
    out = [model.features(X[i : i + batch]) for i in range(0, len(X), batch)]
    return torch.cat(out).double().numpy()


def recursion_error(filters: np.ndarray, spins: np.ndarray, max_order: int) -> float:
    """Largest |recursive - tuple sum| of the correlator maps, relative to the largest |map|
    (float64 on both sides)."""
    rec = correlator_maps(
        torch.as_tensor(spins, dtype=torch.float64),
        torch.as_tensor(filters, dtype=torch.float64),
        max_order,
    ).numpy()
    brute = brute_force_maps(spins, filters, max_order)
    return float(np.abs(rec - brute).max() / max(np.abs(brute).max(), 1e-300))


def features_dataset(model, ds, seed) -> xr.Dataset:
    """The trained CCNN's correlator features of every configuration, its unit-norm filters,
    and the recursion check on the first configurations; the ensemble's labels and attributes."""
    feats = feature_array(model, ds["spins"].values)
    filters = model.unit_filters().detach().double().numpy()
    n, k, m = feats.shape
    h, w = filters.shape[1:]
    check = ds["spins"].values[:RECURSION_CHECK_SAMPLES]
    keep = ("pair", "kind", "label_1", "label_0", "expected_order", "expected_patterns")
    return xr.Dataset(
        {
            "feature": (
                ("sample", "filter", "order"),
                feats,
                {"long_name": "spatial mean of c_k^(n)"},
            ),
            "filters": (("filter", "wy", "wx"), filters, {"long_name": "unit-norm filters"}),
            "label": ("sample", ds["label"].values),
            "split": ("sample", ds["split"].values),
        },
        coords={
            "sample": np.arange(n),
            "filter": np.arange(k),
            "order": np.arange(1, m + 1),
            "wy": np.arange(h),
            "wx": np.arange(w),
        },
        attrs=base_attrs(
            seed,
            **{a: ds.attrs[a] for a in keep},
            recursion_relative_error=recursion_error(filters, check, m),
            recursion_check_samples=len(check),
        ),
    )


def train_models(
    data_path, name: str, cfg: dict, training: dict, seed: int, out: dict, resume_dir=None
) -> dict:
    """Train the CCNN and the plain CNN on one pair; save both and their test accuracies.

    `cfg` is :func:`physlens.slices.ccnn_train_slice`; `out` maps
    {ccnn,cnn}_{model,meta,history}, metrics and features (the trained CCNN's correlator
    features, :func:`features_dataset`) to paths.
    """
    ds = load_pair(data_path)
    parts = {p: split_tensors(ds, p) for p in SPLIT_CODES}
    settings = TrainSettings.from_config({**training, **cfg["train"]})
    metrics = {"pair": name}
    for key, arch in architectures(cfg).items():
        mseed = stage_seed(seed, name, key)
        model = seeded_model(arch, mseed)
        l1 = float(cfg["l1_filters"]) if key == "ccnn" else 0.0

        def network_metrics(result) -> dict:
            return {
                "n_parameters": sum(p.numel() for p in result.model.parameters()),
                **{f"{p}_accuracy": accuracy(result.model, *parts[p]) for p in SPLIT_CODES},
                **{
                    k: result.metrics[k] for k in ("epochs_run", "best_epoch", "val_loss", "device")
                },
            }

        result, meta = train_and_save(
            model,
            parts["train"],
            parts["val"],
            settings,
            mseed,
            {part: out[f"{key}_{part}"] for part in ("model", "meta", "history")},
            data_path=data_path,
            master_seed=seed,
            config={**cfg, "network": key},
            metadata={"pair": name, "l1_filters": l1},
            metrics=network_metrics,
            loss_fn=penalised_bce(model, l1),
            resume_dir=None if resume_dir is None else f"{resume_dir}/{key}",
            name=f"ccnn/{name}/{key}",
        )
        m = metrics[key] = meta["metrics"]
        if key == "ccnn":
            to_netcdf_atomic(features_dataset(result.model, ds, seed), out["features"])
        log.info(
            "%s/%s: test accuracy %.4f (%d parameters)",
            name,
            key,
            m["test_accuracy"],
            m["n_parameters"],
        )
    write_json(out["metrics"], metrics)
    return metrics
