"""Torch models, built by name from a JSON-able architecture dict.

``build_model({"name": "probe", "kernel": [1, 2], "channels": 4})`` looks the name up in
:data:`REGISTRY` and passes the other keys to the class. Every model keeps its architecture
dict in ``model.arch`` so it can be saved with the weights and rebuilt exactly. Models take
spin configurations of shape (batch, L, L) and return logits of shape (batch,).
"""

from __future__ import annotations

import torch.nn as nn

from physlens.models.ising import ConstantModel, PhaseCNN, ProbeNet

REGISTRY: dict[str, type[nn.Module]] = {
    "phase_cnn": PhaseCNN,
    "probe": ProbeNet,
    "constant": ConstantModel,
}


class ArchitectureError(ValueError):
    """An architecture dict names an unknown model or gives bad arguments."""


def register(name: str):
    """Class decorator for later stages: ``@register("su2_cnn") class ...``."""

    def deco(cls):
        if name in REGISTRY and REGISTRY[name] is not cls:
            raise ArchitectureError(f"model name {name!r} is already registered")
        REGISTRY[name] = cls
        return cls

    return deco


def _import_model_modules() -> None:
    """Import every module of this package, so models registered with @register elsewhere
    (SU(2), autoencoders, ...) can be loaded without the caller importing them first."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def build_model(arch: dict) -> nn.Module:
    """Instantiate the model described by `arch` (a dict with a "name" key)."""
    if not isinstance(arch, dict) or "name" not in arch:
        raise ArchitectureError(f"architecture must be a dict with a 'name' key, got {arch!r}")
    name = arch["name"]
    if name not in REGISTRY:
        _import_model_modules()
    if name not in REGISTRY:
        raise ArchitectureError(
            f"unknown model {name!r}; registered: {', '.join(sorted(REGISTRY))}"
        )
    kwargs = {k: v for k, v in arch.items() if k != "name"}
    try:
        model = REGISTRY[name](**kwargs)
    except (TypeError, ValueError) as exc:
        raise ArchitectureError(f"bad arguments for model {name!r}: {kwargs!r} ({exc})") from exc
    model.arch = dict(arch)
    return model


__all__ = [
    "REGISTRY",
    "ArchitectureError",
    "build_model",
    "register",
    "PhaseCNN",
    "ProbeNet",
    "ConstantModel",
]
