"""Inputs of a torch model for the explainers (attributions, LRP, ablation, occlusion): a
fresh leaf tensor in the model's dtype, evaluation mode, dimension names of a batch, and
captum's warning about its hooks silenced."""

from __future__ import annotations

import contextlib
import warnings

import torch
import torch.nn as nn


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """`model` in evaluation mode for the duration; its training flag restored after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@contextlib.contextmanager
def quiet_captum():
    """captum's warnings about the hooks it sets, silenced."""
    # captum announces that it hooks the activations; expected here, so not shown.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Setting forward, backward hooks")
        yield


def as_input(model: nn.Module, inputs) -> torch.Tensor:
    """`inputs` as a fresh leaf tensor of the model's dtype (the default dtype without parameters)."""
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None else torch.get_default_dtype()
    # A fresh leaf that requires grad: captum then neither warns nor touches the caller's tensor.
    return torch.as_tensor(inputs).detach().to(dtype).clone().requires_grad_(True)


def input_dims(ndim: int) -> tuple[str, ...]:
    """Dimension names of a batch of inputs: lattices (sample, y, x), channels, or features."""
    names = {2: ("sample", "feature"), 3: ("sample", "y", "x"), 4: ("sample", "channel", "y", "x")}
    return names.get(ndim, ("sample",) + tuple(f"d{i}" for i in range(1, ndim)))
