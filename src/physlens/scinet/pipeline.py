"""SciNet stage, data and training: one data set and one network per system.

Seeds: derive_seed(config seed, "scinet", <system>, ...), so adding a system never changes
another's data or weights. The network is trained by the shared loop (physlens.training) with
the loss of physlens.scinet.latents (squared answer error + beta * KL).
"""

from __future__ import annotations

import logging
from functools import partial

import numpy as np
import torch
import xarray as xr

from physlens.io import load_dataset, to_netcdf_atomic, write_json
from physlens.scinet.latents import scinet_loss
from physlens.scinet.systems import SPLITS, SYSTEMS
from physlens.seeding import derive_seed, rng
from physlens.slices import scinet_data_slice, scinet_model_slice  # noqa: F401 (re-exported)
from physlens.training import TrainSettings, seeded_model, train_and_save

log = logging.getLogger(__name__)
STAGE = "scinet"
REQUIRED = {
    "pendulum": ("observation", "question", "answer", "kappa", "b", "split"),
    "heliocentric": ("observation", "theta_sun", "theta_mars", "phi_earth", "phi_mars", "split"),
}


def stage_seed(seed: int, system: str, *keys) -> int:
    return derive_seed(seed, STAGE, system, *keys)


def write_data(system: str, cfg: dict, seed: int, path) -> xr.Dataset:
    """Generate `system`'s data set (config slice as from physlens.slices.scinet_data_slice) and write it as HDF5."""
    if system not in SYSTEMS:
        raise ValueError(f"scinet system {system!r}: choose one of {sorted(SYSTEMS)}")
    ds = SYSTEMS[system](cfg[system], cfg, rng(seed, STAGE, system, "data"), seed=seed)
    to_netcdf_atomic(ds, path)
    return ds


def load_data(path, system: str) -> xr.Dataset:
    return load_dataset(path, required=REQUIRED[system])


def tensors(ds: xr.Dataset, system: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets) of one split. Pendulum: one row per (observation, question), the
    question appended to the observation; heliocentric: the series is input and target."""
    idx = np.flatnonzero(ds["split"].values == SPLITS[split])
    obs = ds["observation"].values[idx]
    if system == "pendulum":
        q = ds["question"].values[idx]
        nq = q.shape[1]
        X = np.concatenate([np.repeat(obs, nq, axis=0), q.reshape(-1, 1)], axis=1)
        y = ds["answer"].values[idx].reshape(-1)
    else:
        X = y = obs
    return torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)


def architecture(system: str, arch: dict, ds: xr.Dataset) -> dict:
    common = {
        "encoder": list(arch["encoder"]),
        "decoder": list(arch["decoder"]),
        "activation": arch["activation"],
    }
    if system == "pendulum":
        return {
            "name": "scinet",
            "n_obs": int(ds.sizes["time"]),
            "n_question": 1,
            "latent": int(arch["latent"]),
            **common,
        }
    return {
        "name": "scinet_evolve",
        "n_channels": int(ds.sizes["channel"]),
        "latent_pairs": int(arch["latent_pairs"]),
        "directions": bool(arch.get("directions", True)),
        **common,
    }


def train_scinet(
    data_path, system: str, cfg: dict, training: dict, seed: int, out: dict, resume_dir=None
) -> dict:
    """Train `system`'s SciNet (config slice as from physlens.slices.scinet_model_slice); save model, history, metrics.

    `out` maps model / meta / history / metrics to paths. Returns the metrics dict.
    """
    block = cfg[system]
    ds = load_data(data_path, system)
    settings = TrainSettings.from_config({**training, **block.get("train", {})})
    mseed = stage_seed(seed, system, "model")
    arch = architecture(system, block["architecture"], ds)
    beta = float(block["beta"])
    loss_fn = partial(scinet_loss, beta=beta)

    def answer_metrics(result) -> dict:
        return {
            "system": system,
            "beta": beta,
            **{
                k: result.metrics[k]
                for k in (
                    "epochs_run",
                    "best_epoch",
                    "train_loss",
                    "val_loss",
                    "n_train",
                    "n_val",
                    "device",
                )
            },
        }

    _, meta = train_and_save(
        seeded_model(arch, mseed),
        tensors(ds, system, "train"),
        tensors(ds, system, "val"),
        settings,
        mseed,
        out,
        data_path=data_path,
        master_seed=seed,
        config=cfg,
        metadata={
            "system": system,
            "loss": f"squared answer error summed over a sample's answers + {beta} * KL to N(0, 1)",
            "settings": vars(settings),
        },
        metrics=answer_metrics,
        loss_fn=loss_fn,
        resume_dir=resume_dir,
        name=f"scinet/{system}",
    )
    metrics = meta["metrics"]
    write_json(out["metrics"], metrics)
    log.info("%s: %d epochs, val loss %.4g", system, metrics["epochs_run"], metrics["val_loss"])
    return metrics
