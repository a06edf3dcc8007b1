"""Entry points of the ccnn stage (called by workflow/scripts/ccnn_*.py).

Seeds: derive_seed(config seed, "ccnn", <pair>, ...), so adding a pair never changes another's
ensembles or weights.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

import physlens.ccnn.model  # noqa: F401  (registers ccnn and plain_cnn)
from physlens.ccnn.correlators import STATISTICS, ensemble_statistics
from physlens.ccnn.ensembles import SPLIT_CODES, load_pair, make_pair, write_pair
from physlens.ccnn.model import l1_filter_penalty, n_parameters
from physlens.io import read_json, sha256sum, write_json
from physlens.seeding import derive_seed
from physlens.training import (
    TrainSettings,
    bce_with_logits,
    clear_resume,
    predict,
    save_model,
    seeded_model,
    train,
)

log = logging.getLogger(__name__)
STAGE = "ccnn"
MODELS = ("ccnn", "cnn")


def stage_seed(seed: int, pair: str, *keys) -> int:
    return derive_seed(seed, STAGE, pair, *keys)


# --- ensembles ---------------------------------------------------------------------------------


def statistics_report(ds) -> dict:
    """Per-ensemble low-order statistics (mean, standard error), their differences in standard
    errors (z) and in per-configuration standard deviations (separation), with their orders."""
    spins, labels = ds["spins"].values, ds["label"].values
    per_label = {int(c): ensemble_statistics(spins[labels == c]) for c in (1, 0)}
    n1, n0 = int((labels == 1).sum()), int((labels == 0).sum())
    rows = {}
    for name, (order, sites) in STATISTICS.items():
        (m1, e1), (m0, e0) = per_label[1][name], per_label[0][name]
        err = float(np.hypot(e1, e0))
        # per-configuration spread (pooled), for the separation (Cohen's d) of the statistic
        sd = float(np.sqrt(0.5 * (e1**2 * n1 + e0**2 * n0)))
        rows[name] = {
            "order": order,
            "sites": sites,
            ds.attrs["label_1"]: [m1, e1],
            ds.attrs["label_0"]: [m0, e0],
            "difference": m1 - m0,
            "difference_error": err,
            "z": (m1 - m0) / err if err > 0 else float("nan"),
            "separation": (m1 - m0) / sd if sd > 0 else float("nan"),
        }
    return {
        "pair": ds.attrs["pair"],
        "labels": {"1": ds.attrs["label_1"], "0": ds.attrs["label_0"]},
        "expected_order": int(ds.attrs["expected_order"]),
        "statistics": rows,
    }


def write_ensembles(name: str, pair_cfg: dict, cfg: dict, seed: int, out: dict, ising_path=None):
    """Ensemble pair to out['data'] (HDF5), low-order statistics to out['statistics'] (JSON)."""
    ds = make_pair(name, pair_cfg, cfg, seed, ising_path=ising_path)
    write_pair(ds, out["data"])
    write_json(out["statistics"], statistics_report(ds))
    return ds


# --- training ----------------------------------------------------------------------------------


def architectures(cfg: dict, pair_cfg: dict | None = None) -> dict[str, dict]:
    """The CCNN and plain-CNN architectures; a pair may set its own `window`."""
    arch = cfg["architecture"]
    window = list((pair_cfg or {}).get("window", arch["window"]))
    return {
        "ccnn": {
            "name": "ccnn",
            "n_filters": int(arch["n_filters"]),
            "window": window,
            "max_order": int(arch["max_order"]),
        },
        "cnn": {"name": "plain_cnn", "channels": int(cfg["cnn"]["channels"]), "window": window},
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
    """BCE plus l1 * sum |f| over the CCNN filters (the paper's sparsity on the filters)."""
    if not l1:
        return bce_with_logits
    return lambda logits, target: bce_with_logits(logits, target) + l1 * l1_filter_penalty(model)


def train_models(
    data_path, name: str, cfg: dict, training: dict, seed: int, out: dict, resume_dir=None
) -> dict:
    """Train the CCNN and the plain CNN on one pair; save both and their test accuracies.

    `out` maps {ccnn,cnn}_{model,meta,history} and metrics to paths.
    """
    ds = load_pair(data_path)
    parts = {p: split_tensors(ds, p) for p in SPLIT_CODES}
    settings = TrainSettings.from_config({**training, **cfg.get("train", {})})
    data_sha = sha256sum(data_path)
    metrics = {"pair": name}
    for key, arch in architectures(cfg, cfg["pairs"][name]).items():
        mseed = stage_seed(seed, name, key)
        model = seeded_model(arch, mseed)
        l1 = float(cfg["l1_filters"]) if key == "ccnn" else 0.0
        result = train(
            model,
            parts["train"],
            parts["val"],
            settings,
            mseed,
            loss_fn=penalised_bce(model, l1),
            resume_dir=None if resume_dir is None else f"{resume_dir}/{key}",
            fingerprint_extra=[data_sha, l1],
            name=f"ccnn/{name}/{key}",
        )
        m = {
            "n_parameters": n_parameters(result.model),
            **{f"{p}_accuracy": accuracy(result.model, *parts[p]) for p in SPLIT_CODES},
            **{k: result.metrics[k] for k in ("epochs_run", "best_epoch", "val_loss", "device")},
        }
        metrics[key] = m
        save_model(
            result.model,
            out[f"{key}_model"],
            out[f"{key}_meta"],
            metadata={"seed": mseed, "data_sha256": data_sha, "pair": name, "metrics": m, "l1_filters": l1},
            history=result.history,
            history_path=out[f"{key}_history"],
        )
        clear_resume(None if resume_dir is None else f"{resume_dir}/{key}")
        log.info("%s/%s: test accuracy %.4f (%d parameters)", name, key, m["test_accuracy"], m["n_parameters"])
    write_json(out["metrics"], metrics)
    return metrics
