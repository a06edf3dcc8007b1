"""Trained Ising models with their data, split as in training: the one home of the model
loading and activation helpers every interpretation-type stage uses (interpret,
representations, concepts).

Models are named ``probe_<ky>x<kx>`` (correlation-probing nets) or ``classifier_member<k>``
(phase-classifier ensemble member; files by name: :mod:`physlens.supervised.names`). Their
data, split and Z2 signs come from the supervised stage
(:func:`physlens.supervised.pipeline.phase_split`), so every method sees exactly the samples
the model was tested on. torch is imported where it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from physlens.slices import SPLIT_KEYS
from physlens.supervised.data import spins_array

if TYPE_CHECKING:
    import torch.nn as nn


def _identity(t):
    return t


@dataclass
class ModelData:
    """A trained model with the data file it was trained on, split as in training."""

    name: str
    model: nn.Module
    meta: dict
    ds: xr.Dataset
    labels: np.ndarray  # per temperature: 1 ordered, 0 disordered, -1 between
    split: object  # physlens.phase.labels.Split
    signs: np.ndarray | None

    def samples(self, part: str = "test"):
        """(configurations (n, L, L) float32, temperatures (n,), labels (n,)) of a split part."""
        idx = getattr(self.split, part)
        T = self.ds["temperature"].values[idx[0]]
        return spins_array(self.ds, idx, self.signs), T, self.labels[idx[0]]

    def kernel(self) -> tuple[int, int] | None:
        """Receptive field (ky, kx) of a probing net; None for other models."""
        arch = self.meta["architecture"]
        return tuple(arch["kernel"]) if arch.get("name") == "probe" else None


def load_model_data(name: str, pt, meta_path, data_path, split_cfg: dict, seed: int) -> ModelData:
    """Model + data + the supervised stage's split and Z2 signs (checksums checked)."""
    from physlens.modelfiles import load_model
    from physlens.supervised.data import load_ising
    from physlens.supervised.pipeline import phase_split

    model, meta = load_model(pt, meta_path, data_path=data_path)
    ds = load_ising(data_path)
    missing = [k for k in SPLIT_KEYS if k not in split_cfg]
    if missing:
        raise KeyError(f"supervised config slice lacks {missing} (needed to rebuild the split)")
    labels, split, signs = phase_split(ds, split_cfg, seed, *meta["split_keys"])
    return ModelData(name, model.eval(), meta, ds, labels, split, signs)


def decision_logit(model: nn.Module, x) -> np.ndarray:
    """The decision neuron: the pre-sigmoid logit the physlens models return (float64)."""
    from physlens.training import predict

    return predict(model, x, transform=_identity)


def hidden_layer(model: nn.Module) -> nn.Module | None:
    """The last hidden layer before the lattice average (None for models without one)."""
    if hasattr(model, "act"):  # ProbeNet: conv -> act -> mean -> head
        return model.act
    if hasattr(model, "features"):  # PhaseCNN: features -> mean -> |.| -> head
        return model.features
    return None


def pooled_hidden(model: nn.Module, x, batch_size: int = 1024) -> np.ndarray | None:
    """Lattice-averaged activations of :func:`hidden_layer` (n, channels): what the head sees."""
    import torch

    layer = hidden_layer(model)
    if layer is None:
        return None
    out = []
    handle = layer.register_forward_hook(lambda _m, _i, o: out.append(o.mean(dim=(-2, -1))))
    try:
        X = torch.as_tensor(x, dtype=torch.float32)
        with torch.no_grad():
            for chunk in torch.split(X, batch_size):
                model(chunk)
    finally:
        handle.remove()
    H = torch.cat(out).double().numpy()
    # a Z2-odd phase CNN feeds |pooled features| to its head
    return np.abs(H) if getattr(model, "z2_odd", False) else H


def per_temperature(T: np.ndarray, k: int) -> np.ndarray:
    """Indices of the first k samples at every temperature (the split is already random)."""
    return np.concatenate([np.flatnonzero(T == t)[:k] for t in np.unique(T)])
