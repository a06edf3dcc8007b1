"""One reusable training loop for every stage (supervised, SU(2), autoencoders, siamese nets).

* Seeded and deterministic on CPU: weights are initialised from ``seed``; each epoch's
  shuffle and augmentation draw from a generator keyed by (seed, epoch), so a run resumed
  after epoch k repeats exactly what the uninterrupted run would have done.
* Early stopping on the validation loss; the best weights are kept and returned.
* A checkpoint (model, optimiser, scaler, history, best weights) is written atomically after
  every epoch to ``resume_dir``, a path that is not a declared Snakemake output (Snakemake
  deletes a failed job's outputs); a restarted job continues from it when its fingerprint
  (architecture, settings, data checksum) matches, and starts afresh otherwise.
* CUDA when present (or as ``device`` forces), mixed precision on GPU only.
* Models are saved as a state dict (.pt) plus JSON metadata (:mod:`physlens.modelfiles`).
  Every stage trains and saves through :func:`train_and_save`, so every model's metadata has
  the same standard keys.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import xarray as xr
from tqdm import tqdm

from physlens.io import (
    atomic_path,
    remove_stale_temporaries,
    sha256sum,
)
from physlens.modelfiles import save_model
from physlens.models import build_model
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed

log = logging.getLogger(__name__)


@dataclass
class TrainSettings:
    """Optimisation settings; the JSON-able part of the config that shapes the weights."""

    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 5
    min_delta: float = 0.0
    device: str = "auto"  # auto | cpu | cuda
    mixed_precision: bool = True  # used on CUDA only
    augment_spin_flip: bool = False  # random global s -> -s (the Z2 symmetry of the Ising model)
    # Learning rate x lr_plateau_factor after lr_plateau_patience epochs without validation
    # improvement (ReduceLROnPlateau); 1.0 keeps it constant.
    lr_plateau_factor: float = 1.0
    lr_plateau_patience: int = 3
    # Stop once the plateau schedule has cut the rate below this (0: never). Past ~1e-6 the
    # weights barely move, yet tiny validation gains keep early stopping from triggering.
    min_lr: float = 0.0
    # Cosine decay of the learning rate, batch by batch, from lr to lr x lr_anneal_factor at
    # the end of the last epoch; 1.0 keeps it constant. A rate that ends near zero lets a
    # penalty such as L1 settle the weights it drives to zero instead of leaving them
    # jittering at Adam's step size. Exclusive with lr_plateau_factor < 1.
    lr_anneal_factor: float = 1.0

    @classmethod
    def from_config(cls, cfg: dict) -> TrainSettings:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in cfg.items() if k in known})


@dataclass
class TrainResult:
    model: nn.Module
    history: xr.Dataset
    metrics: dict = field(default_factory=dict)


# --- devices -----------------------------------------------------------------------------


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present; 'cuda' without a GPU is an error, not a silent fallback."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("training.device = 'cuda' but no CUDA device is available")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"training.device = {name!r}: use auto, cpu or cuda")
    return torch.device(name)


def autocast_dtype(device: torch.device, mixed_precision: bool) -> torch.dtype | None:
    """bf16 where the GPU supports it (no loss scaling needed), else fp16; None on CPU."""
    if device.type != "cuda" or not mixed_precision:
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def configure_torch(threads: int | None = None, device: torch.device | None = None) -> None:
    """Thread count from the rule's `threads`; deterministic kernels on CPU."""
    if threads:
        torch.set_num_threads(int(threads))
    if device is None or device.type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)


# --- building and running models -----------------------------------------------------------


def seeded_model(arch: dict, seed: int) -> nn.Module:
    """Build `arch` with weights initialised from `seed` (global RNG state is restored)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "init") % 2**63)
        return build_model(arch)


def cosine_factor(n_steps: int, final: float) -> Callable[[int], float]:
    """Learning-rate multiplier after `step` optimiser steps: a cosine from 1 down to `final`
    at step `n_steps`, held there afterwards."""

    def factor(step: int) -> float:
        t = min(step, n_steps) / max(n_steps, 1)
        return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * t))

    return factor


def bce_with_logits(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits.float(), target.float())


def _batches(n: int, batch_size: int, generator: torch.Generator | None):
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def loss_sum(device: torch.device) -> torch.Tensor:
    """A float64 accumulator on `device`: summing batch losses there avoids one host sync
    per batch on CUDA; on the CPU float64 sums equal Python's float arithmetic exactly."""
    return torch.zeros((), dtype=torch.float64, device=device)


def add_batch_loss(total: torch.Tensor, loss: torch.Tensor, n: int) -> torch.Tensor:
    """total + loss * n (the batch's mean loss weighted by its size), without a host sync."""
    return total + loss.detach().to(torch.float64) * n


@torch.no_grad()
def mean_loss(model, X, y, loss_fn, batch_size, device, amp_dtype=None) -> float:
    """Sample-weighted mean loss over a whole set (eval mode)."""
    model.eval()
    total, n = loss_sum(device), len(X)
    for idx in _batches(n, max(batch_size, 256), None):
        xb, yb = X[idx].to(device), y[idx].to(device)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            total = add_batch_loss(total, loss_fn(model(xb), yb), len(idx))
    return float(total) / max(n, 1)


@torch.no_grad()
def predict(
    model, X, batch_size: int = 1024, device: str | torch.device = "cpu", transform=torch.sigmoid
) -> np.ndarray:
    """Model outputs on X (default: sigmoid of the logits, i.e. probabilities) as float64."""
    device = torch.device(device)
    model = model.to(device).eval()
    X = torch.as_tensor(X, dtype=torch.float32)
    out = [
        transform(model(X[idx].to(device)).float()).cpu()
        for idx in _batches(len(X), batch_size, None)
    ]
    return torch.cat(out).double().numpy() if out else np.empty(0)


# --- checkpoints -----------------------------------------------------------------------------


def fingerprint(*parts) -> str:
    """Stable hash of JSON-able parts: decides whether a checkpoint belongs to this job."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _save_checkpoint(path: Path, state: dict) -> None:
    with atomic_path(path, suffix=".pt.tmp") as tmp:
        torch.save(state, tmp)


def _load_checkpoint(path: Path, fp: str) -> dict | None:
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged checkpoint only costs the work it held
        log.warning("ignoring unreadable checkpoint %s (%s)", path, exc)
        return None
    if state.get("fingerprint") != fp:
        log.warning("checkpoint %s is from another configuration or data; starting afresh", path)
        return None
    return state


# --- the loop --------------------------------------------------------------------------------


def train(
    model: nn.Module,
    train_data: tuple[torch.Tensor, torch.Tensor],
    val_data: tuple[torch.Tensor, torch.Tensor],
    settings: TrainSettings,
    seed: int,
    *,
    loss_fn: Callable = bce_with_logits,
    resume_dir: str | Path | None = None,
    fingerprint_extra: Sequence = (),
    callbacks: Sequence[Callable[[int, dict], None]] = (),
    name: str = "model",
    final_train_loss: bool = True,
) -> TrainResult:
    """Train `model` on (X, y) tensors with early stopping; return the best weights.

    `callbacks` are called as ``cb(epoch, record)`` after each epoch's checkpoint is written
    (a callback that raises simulates a killed job). `fingerprint_extra` (e.g. the data
    file's checksum) is mixed into the checkpoint's fingerprint.

    metrics["val_loss"] is the best epoch's validation loss (the returned weights, eval mode);
    metrics["train_loss"] is the returned weights' loss over the whole training set, one more
    pass over it, or with ``final_train_loss=False`` (callers that do not use it) the running
    mean over the best epoch, as ``metrics["train_loss_kind"]`` says.
    """
    device = resolve_device(settings.device)
    amp_dtype = autocast_dtype(device, settings.mixed_precision)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    plateau = (
        torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt,
            factor=settings.lr_plateau_factor,
            patience=settings.lr_plateau_patience,
            threshold=0.0,
        )
        if settings.lr_plateau_factor < 1.0
        else None
    )
    Xtr, ytr = (torch.as_tensor(a, dtype=torch.float32) for a in train_data)
    Xva, yva = (torch.as_tensor(a, dtype=torch.float32) for a in val_data)
    if len(Xtr) == 0 or len(Xva) == 0:
        raise ValueError(f"{name}: empty training ({len(Xtr)}) or validation ({len(Xva)}) set")
    if settings.lr_anneal_factor < 1.0 and plateau is not None:
        raise ValueError(
            f"{name}: lr_anneal_factor = {settings.lr_anneal_factor} and lr_plateau_factor = "
            f"{settings.lr_plateau_factor} both set the learning rate; choose one"
        )
    anneal = (
        torch.optim.lr_scheduler.LambdaLR(
            opt,
            cosine_factor(
                settings.epochs * math.ceil(len(Xtr) / settings.batch_size),
                settings.lr_anneal_factor,
            ),
        )
        if settings.lr_anneal_factor < 1.0
        else None
    )

    fp = fingerprint(
        getattr(model, "arch", None),
        asdict(settings),
        int(seed),
        list(fingerprint_extra),
        len(Xtr),
        len(Xva),
    )
    ckpt_path = Path(resume_dir) / "checkpoint.pt" if resume_dir is not None else None
    remove_stale_temporaries([ckpt_path] if ckpt_path else [])
    state = _load_checkpoint(ckpt_path, fp) if ckpt_path else None
    hist = {"train_loss": [], "val_loss": [], "lr": [], "seconds": []}
    start_epoch, best_val, best_state, bad_epochs = 0, math.inf, None, 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        if plateau is not None:
            plateau.load_state_dict(state["plateau"])
        if anneal is not None:
            anneal.load_state_dict(state["anneal"])
        hist = {k: list(v) for k, v in state["history"].items()}
        start_epoch, best_val, bad_epochs = (
            state["epoch"] + 1,
            state["best_val"],
            state["bad_epochs"],
        )
        best_state = state["best_model"]
        log.info("%s: resuming after epoch %d from %s", name, state["epoch"], ckpt_path)

    stopped = state is not None and state.get("stopped", False)
    epochs = range(start_epoch, settings.epochs) if not stopped else range(0)
    bar = tqdm(epochs, desc=name, file=sys.stderr, mininterval=5)
    for epoch in bar:
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(derive_seed(seed, "epoch", epoch) % 2**63)
        torch.manual_seed(derive_seed(seed, "torch", epoch) % 2**63)  # dropout etc., if any
        model.train()
        run_loss, n_seen = loss_sum(device), 0
        epoch_lr = opt.param_groups[0]["lr"]  # annealing changes it batch by batch
        for idx in _batches(len(Xtr), settings.batch_size, gen):
            xb, yb = Xtr[idx], ytr[idx]
            if settings.augment_spin_flip:
                sign = torch.where(torch.rand(len(idx), generator=gen) < 0.5, -1.0, 1.0)
                xb = xb * sign.view(-1, *([1] * (xb.dim() - 1)))
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                loss = loss_fn(model(xb), yb)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            if anneal is not None:
                anneal.step()
            run_loss = add_batch_loss(run_loss, loss, len(idx))
            n_seen += len(idx)
        train_loss = float(run_loss) / n_seen  # running mean over the epoch (weights move)
        val_loss = mean_loss(model, Xva, yva, loss_fn, settings.batch_size, device, amp_dtype)
        hist["train_loss"].append(train_loss)
        hist["val_loss"].append(val_loss)
        hist["lr"].append(epoch_lr)  # the rate this epoch started with
        hist["seconds"].append(time.perf_counter() - t0)
        if val_loss < best_val - settings.min_delta:
            best_val, bad_epochs = val_loss, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            bad_epochs += 1
        if plateau is not None:
            plateau.step(val_loss)
        stop = bad_epochs >= settings.patience or below_min_lr(opt, settings.min_lr)
        bar.set_postfix(train=f"{train_loss:.3g}", val=f"{val_loss:.3g}", refresh=False)
        if ckpt_path:
            _save_checkpoint(
                ckpt_path,
                {
                    "fingerprint": fp,
                    "epoch": epoch,
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scaler": scaler.state_dict(),
                    "plateau": plateau.state_dict() if plateau is not None else None,
                    "anneal": anneal.state_dict() if anneal is not None else None,
                    "history": hist,
                    "best_val": best_val,
                    "best_model": best_state,
                    "bad_epochs": bad_epochs,
                    "stopped": stop,
                },
            )
        for cb in callbacks:
            cb(epoch, {"train_loss": train_loss, "val_loss": val_loss})
        if stop:
            log.info("%s: early stop after epoch %d (best val loss %.4g)", name, epoch, best_val)
            break
    bar.close()

    model.load_state_dict(best_state)
    model = model.cpu().eval()
    n_epochs = len(hist["val_loss"])
    # the epoch whose weights are returned (with min_delta > 0 not always the argmin)
    best_epoch = hist["val_loss"].index(best_val)
    if final_train_loss:
        cpu = torch.device("cpu")
        train_loss, kind = mean_loss(model, Xtr, ytr, loss_fn, settings.batch_size, cpu), "final"
    else:
        train_loss, kind = hist["train_loss"][best_epoch], "running mean of the best epoch"
    metrics = {
        "epochs_run": n_epochs,
        "best_epoch": best_epoch,
        "train_loss": train_loss,
        "train_loss_kind": kind,
        # recorded at the best epoch with these very weights: no second pass over the data
        "val_loss": best_val,
        "n_train": len(Xtr),
        "n_val": len(Xva),
        "device": device.type,
        "autocast_dtype": str(amp_dtype).replace("torch.", "") if amp_dtype else "float32",
    }
    history = training_history(
        hist, seed=seed, name=name, **{k: metrics[k] for k in ("best_epoch", "device")}
    )
    return TrainResult(model=model, history=history, metrics=metrics)


def below_min_lr(opt: torch.optim.Optimizer, min_lr: float) -> bool:
    """Whether the schedule has cut every parameter group's rate below `min_lr` (> 0)."""
    return min_lr > 0 and all(g["lr"] < min_lr for g in opt.param_groups)


def training_history(hist: dict, seed: int, name: str, **attrs) -> xr.Dataset:
    """Training curves as a labelled Dataset (dim epoch)."""
    n = len(hist["val_loss"])
    units = {
        "train_loss": "nats per sample",
        "val_loss": "nats per sample",
        "lr": "",
        "seconds": "s",
    }
    return xr.Dataset(
        {k: ("epoch", np.asarray(v, float), {"units": units.get(k, "")}) for k, v in hist.items()},
        coords={"epoch": np.arange(n)},
        attrs=base_attrs(seed, model=name, algorithm="Adam, early stopping on val_loss", **attrs),
    )


def clear_resume(resume_dir: str | Path | None) -> None:
    """Remove the checkpoint once the final outputs exist (they supersede it)."""
    if resume_dir is not None:
        p = Path(resume_dir) / "checkpoint.pt"
        if p.exists():
            p.unlink()


def train_and_save(
    model: nn.Module,
    train_data,
    val_data,
    settings: TrainSettings,
    seed: int,
    outputs: dict,
    *,
    data_path,
    metadata: dict,
    master_seed: int | None = None,
    config: dict | None = None,
    metrics: Callable[[TrainResult], dict] | None = None,
    loss_fn: Callable = bce_with_logits,
    resume_dir: str | Path | None = None,
    callbacks: Sequence[Callable[[int, dict], None]] = (),
    name: str = "model",
    final_train_loss: bool = True,
) -> tuple[TrainResult, dict]:
    """Train a seeded `model` (:func:`train`), save it with the standard metadata
    (:func:`save_model`) to outputs["model"], ["meta"] and its history to ["history"], and
    drop the resume checkpoint. Returns the result and the metadata written.
    `final_train_loss` as in :func:`train`.

    The metadata: `seed` (the model's), `data_sha256` of `data_path` (also part of the
    checkpoint fingerprint) and `metrics` (the training metrics, or `metrics(result)`). A
    model trained from a config slice gives `config` (fingerprinted too) and `master_seed`,
    and gets also `data_file` and `n_parameters`. Then the stage's own keys, `metadata`.
    """
    if (config is None) != (master_seed is None):
        raise ValueError("train_and_save: give both config and master_seed, or neither")
    data_sha = sha256sum(data_path)
    result = train(
        model,
        train_data,
        val_data,
        settings,
        seed,
        loss_fn=loss_fn,
        resume_dir=resume_dir,
        fingerprint_extra=[data_sha] if config is None else [data_sha, config],
        callbacks=callbacks,
        name=name,
        final_train_loss=final_train_loss,
    )
    record = {
        "seed": seed,
        "data_sha256": data_sha,
        "metrics": result.metrics if metrics is None else metrics(result),
    }
    if config is not None:
        record.update(
            master_seed=master_seed,
            config=config,
            data_file=str(data_path),
            n_parameters=sum(p.numel() for p in result.model.parameters()),
        )
    meta = save_model(
        result.model,
        outputs["model"],
        outputs["meta"],
        metadata={**record, **metadata},
        history=result.history,
        history_path=outputs["history"],
    )
    clear_resume(resume_dir)
    return result, meta
