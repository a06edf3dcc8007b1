"""Ablation: which hidden units, which lattice patches and how much capacity a network needs.

* :func:`unit_ablation` silences one unit/channel of a chosen layer at a time (forward hook)
  and records the change of the dataset loss;
* :func:`input_occlusion` masks lattice patches with 0 ("no spin") through captum's
  Occlusion and records the change of the output;
* :func:`capacity_drop` reads a (capacity, validation loss) table the way the correlation-
  probing argument does: shrink the receptive field until the performance drops.

All three are generic over the model (any torch module), the layer (a module or its dotted
name) and the dataset (a tensor whose dimension 0 indexes samples).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import xarray as xr
from captum.attr import Occlusion

from physlens.interpret.model_inputs import as_input, eval_mode, input_dims
from physlens.provenance import base_attrs

ABLATION_MODES = ("zero", "mean")


def bce_with_logits(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of logits (the phase classifiers' training loss)."""
    return F.binary_cross_entropy_with_logits(output, target.to(output.dtype))


def resolve_layer(model: nn.Module, layer: nn.Module | str) -> tuple[nn.Module, str]:
    """(module, dotted name) for a layer given as a module of `model` or as its name."""
    names = {id(m): n for n, m in model.named_modules()}
    if isinstance(layer, str):
        try:
            module = model.get_submodule(layer)
        except AttributeError as exc:
            known = ", ".join(n for n in names.values() if n) or "<none>"
            raise ValueError(
                f"layer {layer!r} not found in {type(model).__name__} (layers: {known})"
            ) from exc
        return module, layer
    if id(layer) not in names:
        raise ValueError(
            f"layer {type(layer).__name__} is not a submodule of {type(model).__name__}"
        )
    return layer, names[id(layer)]


@contextlib.contextmanager
def _replace_unit(module: nn.Module, unit_dim: int, unit: int | None, value):
    """Forward hook that sets unit `unit` of `module`'s output to `value` (None: no change)."""

    def hook(_module, _inputs, output):
        if unit is None:
            return output
        out = output.clone()
        out.select(unit_dim, unit).fill_(value)
        return out

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def _output_shape(model, module, example) -> torch.Size:
    shapes = []

    def hook(_m, _i, out):
        shapes.append(out.shape)  # returns None: the output is left alone

    handle = module.register_forward_hook(hook)
    try:
        model(example)
    finally:
        handle.remove()
    return shapes[0]


def _dataset_loss(model, x, y, loss_fn, batch_size) -> float:
    total = 0.0
    for xb, yb in zip(torch.split(x, batch_size), torch.split(y, batch_size)):
        total += float(loss_fn(model(xb), yb)) * len(xb)
    return total / len(x)


def _unit_means(model, module, x, unit_dim, batch_size) -> torch.Tensor:
    """Dataset mean of each unit's activation (over samples and all other axes)."""
    sums, count = [], [0]

    def hook(_m, _i, out):
        dims = [d for d in range(out.ndim) if d != unit_dim % out.ndim]
        sums.append(out.sum(dim=dims))
        count[0] += out.numel() // out.shape[unit_dim]

    handle = module.register_forward_hook(hook)
    try:
        for xb in torch.split(x, batch_size):
            model(xb)
    finally:
        handle.remove()
    return torch.stack(sums).sum(0) / count[0]


def unit_ablation(
    model: nn.Module,
    layer: nn.Module | str,
    inputs,
    targets,
    loss_fn: Callable = bce_with_logits,
    *,
    unit_dim: int = 1,
    mode: str = "zero",
    batch_size: int = 512,
    seed: int | None = None,
    model_name: str = "",
) -> xr.Dataset:
    """Change of the dataset loss when each unit of `layer`'s output is silenced in turn.

    `unit_dim` is the output axis that indexes units (1: channels of a conv output or
    features of a dense one). mode 'zero' sets the unit to 0; 'mean' to its dataset mean
    (removes the information, keeps the offset). For autoencoders pass targets = inputs and
    a reconstruction loss. Returns a Dataset with ``loss`` and ``delta_loss`` over ``unit``.
    """
    if mode not in ABLATION_MODES:
        raise ValueError(f"interpret.ablation.mode = {mode!r}: choose one of {ABLATION_MODES}")
    module, name = resolve_layer(model, layer)
    x = as_input(model, inputs).detach()
    y = torch.as_tensor(targets)
    if len(y) != len(x):
        raise ValueError(f"{len(x)} inputs but {len(y)} targets")
    with torch.no_grad(), eval_mode(model):
        n_units = _output_shape(model, module, x[:1])[unit_dim]
        fill = (
            _unit_means(model, module, x, unit_dim, batch_size)
            if mode == "mean"
            else torch.zeros(n_units)
        )
        base = _dataset_loss(model, x, y, loss_fn, batch_size)
        losses = []
        for u in range(n_units):
            with _replace_unit(module, unit_dim, u, float(fill[u])):
                losses.append(_dataset_loss(model, x, y, loss_fn, batch_size))
    losses = np.asarray(losses)
    ds = xr.Dataset(
        {
            "loss": ("unit", losses),
            "delta_loss": ("unit", losses - base),
        },
        coords={"unit": np.arange(n_units)},
        attrs=base_attrs(
            seed,
            algorithm=f"unit ablation ({mode}) via forward hook",
            layer=name,
            baseline_loss=base,
            n_samples=len(x),
            model=model_name,
        ),
    )
    ds["delta_loss"].attrs["description"] = "loss with the unit silenced minus the intact loss"
    return ds


def input_occlusion(
    model: nn.Module,
    inputs,
    *,
    patch: Sequence[int] = (4, 4),
    stride: int | Sequence[int] | None = None,
    mask_value: float = 0.0,
    target=None,
    seed: int | None = None,
    model_name: str = "",
) -> xr.Dataset:
    """Output change when lattice patches are set to `mask_value` (captum Occlusion).

    ``occlusion`` = f(x) - f(x with the patch masked), averaged by captum over the patches
    that cover each site (for stride = patch every site has exactly one). Patches cover the
    trailing axes of the inputs; for (sample, channel, y, x) inputs the whole channel axis is
    masked. Patches do not wrap around periodic boundaries (captum slides inside the array).
    """
    x = as_input(model, inputs).detach()
    patch = tuple(int(p) for p in patch)
    stride = (
        patch
        if stride is None
        else ((int(stride),) * len(patch) if np.isscalar(stride) else tuple(int(s) for s in stride))
    )
    lead = tuple(x.shape[1 : x.ndim - len(patch)])  # e.g. channels: masked as a whole
    window, steps = lead + patch, lead + stride
    if any(p > n for p, n in zip(window, x.shape[1:])):
        raise ValueError(
            f"interpret.occlusion.patch = {patch}: larger than the input {tuple(x.shape[1:])}"
        )
    with torch.no_grad(), eval_mode(model):
        attr = Occlusion(model).attribute(
            x,
            sliding_window_shapes=window,
            strides=steps,
            baselines=float(mask_value),
            target=target,
            perturbations_per_eval=16,
        )
    dims = input_dims(x.ndim)
    ds = xr.Dataset(
        {"occlusion": (dims, attr.cpu().numpy()), "input": (dims, x.cpu().numpy())},
        coords={"sample": np.arange(len(x))},
        attrs=base_attrs(
            seed,
            algorithm="captum Occlusion",
            patch=list(patch),
            stride=list(stride),
            mask_value=float(mask_value),
            model=model_name,
        ),
    )
    ds["occlusion"].attrs["description"] = "f(x) - f(x with the covering patch masked)"
    return ds


def capacity_drop(
    capacities: Sequence[float],
    losses: Sequence[float],
    labels: Sequence[str] | None = None,
    *,
    factor: float = 2.0,
    atol: float = 0.0,
    jump_factor: float = 10.0,
    jump_atol: float = 0.01,
) -> dict:
    """Where performance drops as capacity (receptive field, parameters) shrinks.

    ``sufficient``: the smallest capacity whose loss is within ``factor * best + atol`` of the
    best loss. ``drop``: walking down from the sufficient capacity, the first step to a
    smaller capacity whose loss exceeds the previous one by a factor > `jump_factor` and by
    more than `jump_atol` (both, so that jumps between tiny losses or small absolute noise do
    not count); None if the loss never jumps. Capacities need not be sorted.
    """
    c = np.asarray(capacities, dtype=float)
    loss = np.asarray(losses, dtype=float)
    if c.shape != loss.shape or c.ndim != 1 or len(c) == 0:
        raise ValueError(f"capacities {c.shape} and losses {loss.shape} must be equal 1-d lists")
    if not np.all(np.isfinite(loss)):
        raise ValueError(f"losses must be finite, got {loss.tolist()}")
    if len(np.unique(c)) != len(c):
        raise ValueError(f"capacities must be distinct, got {c.tolist()}")
    labels = [str(v) for v in (labels if labels is not None else c)]
    order = np.argsort(c)
    c, loss, labels = c[order], loss[order], [labels[i] for i in order]
    best = int(np.argmin(loss))
    within = np.flatnonzero(loss <= factor * loss[best] + atol)
    suff = int(within[0])
    drop = None
    for i in range(suff, 0, -1):  # from the sufficient capacity towards smaller ones
        big, small = loss[i], loss[i - 1]
        if small - big > jump_atol and small > jump_factor * big:
            drop = {
                "from": labels[i],
                "to": labels[i - 1],
                "from_capacity": float(c[i]),
                "to_capacity": float(c[i - 1]),
                "loss_before": float(big),
                "loss_after": float(small),
                "ratio": float(small / big) if big > 0 else float("inf"),
            }
            break
    return {
        "best": labels[best],
        "best_capacity": float(c[best]),
        "best_loss": float(loss[best]),
        "sufficient": labels[suff],
        "sufficient_capacity": float(c[suff]),
        "sufficient_loss": float(loss[suff]),
        "drop": drop,
    }


def receptive_field_size(name: str) -> int:
    """Sites seen by one kernel application ('constant': 0)."""
    if name == "constant":
        return 0
    ky, kx = (int(k) for k in name.split("x"))
    return ky * kx


def ablation_layers(model: nn.Module, layers) -> list[str]:
    """Module names to ablate; the keyword 'conv' means every convolution of the model."""
    names = []
    for layer in layers:
        if layer == "conv":
            names += [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
        else:
            resolve_layer(model, layer)  # clear error for an unknown name
            names.append(layer)
    if not names:
        raise ValueError(
            f"interpret.ablation.layers = {list(layers)}: no such layer in {type(model).__name__}"
        )
    return list(dict.fromkeys(names))
