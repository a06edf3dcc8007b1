"""Hidden activations of a physlens Ising net: its hidden layers in forward order and their
activations on a batch of configurations (pooled over the lattice or flattened)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch.nn as nn


LAYER_VIEWS = ("pooled", "flat")


def hidden_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The hidden layers of a physlens Ising net, in forward order: every nonlinearity (the
    output of each convolution after its activation). ProbeNet: ``act``; PhaseCNN:
    ``features.1``, ``features.3``, ... An empty dict for nets without one (the constant
    baseline)."""
    from physlens.models.ising import ACTIVATIONS

    kinds = tuple(ACTIVATIONS.values())
    return {name: m for name, m in model.named_modules() if name and isinstance(m, kinds)}


def layer_activations(
    model: nn.Module,
    x,
    layers: Mapping[str, nn.Module] | None = None,
    view: str = "pooled",
    batch_size: int = 512,
) -> dict[str, np.ndarray]:
    """(n, features) activations of each hidden layer on the configurations x (n, L, L).

    view="pooled": the lattice average of each channel (n, channels), the translation-
    invariant summary the head reads (signed: a Z2-odd classifier's head takes |.| after);
    view="flat": the whole activation map, flattened (n, channels * L * L).
    """
    import torch

    if view not in LAYER_VIEWS:
        raise ValueError(f"representations.layer_view = {view!r}: choose one of {LAYER_VIEWS}")
    layers = hidden_layers(model) if layers is None else dict(layers)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no hidden layer to record")
    store: dict[str, list] = {name: [] for name in layers}

    def hook(name):
        def f(_m, _i, out):
            out = out.detach()
            if view == "pooled" and out.dim() >= 3:
                out = out.mean(dim=(-2, -1))
            store[name].append(out.reshape(len(out), -1).double())

        return f

    handles = [m.register_forward_hook(hook(n)) for n, m in layers.items()]
    try:
        X = torch.as_tensor(np.asarray(x), dtype=next(model.parameters()).dtype)
        with torch.no_grad():
            for chunk in torch.split(X, batch_size):
                model(chunk)
    finally:
        for h in handles:
            h.remove()
    return {n: torch.cat(v).numpy() for n, v in store.items()}
