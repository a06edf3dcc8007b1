"""A user's network on a user's data: loading it without unpickling anything, checking that
it takes the data's configurations, and the views the analyses need.

Four sources (config userdata.model): a model physlens trained through config (model.pt
and model.json of :mod:`physlens.modelfiles`, checksums checked); a TorchScript archive
(``torch.jit.save``), loaded with ``torch.jit.load``; a program of ``torch.export.save``
(``.pt2``, the successor of TorchScript), loaded with ``torch.export.load``; or a state dict
with an architecture of the model registry (:mod:`physlens.models`), loaded with
``torch.load(weights_only=True)``. A pickled module is refused: unpickling runs arbitrary
code.

Every model returns the decision logit, (n,) or (n, 1), for configurations (n, ...). Where
the analyses can also see the hidden layer the decision is read from (``hidden(x)`` -> (n, d))
and the head that reads it (``head(h)`` -> (n,) logits), they add linear probes, the
representation of the data and concept knobs: registry models with a ``head`` (the phase
CNN, the probing nets) have both; a TorchScript model exports them as methods
(``@torch.jit.export``). They are used only when head(hidden(x)) reproduces the logit.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from physlens.modelfiles import ModelFileError, load_model
from physlens.models import ArchitectureError, build_model

KEY = "userdata.model"
CHECK_BATCH = 4
HEAD_RTOL = 1e-4


class ModelInputError(ModelFileError):
    """A user's model does not take the data's configurations or does not return logits."""


@dataclass
class UserModel:
    module: torch.nn.Module
    source: str  # the file it came from
    kind: str  # trained, torchscript or state_dict
    hidden_fn: Callable | None = None
    head_fn: Callable | None = None

    def _batches(self, x, fn, batch_size: int = 1024) -> np.ndarray:
        out = []
        with torch.no_grad():
            for chunk in torch.split(torch.as_tensor(np.asarray(x, np.float32)), batch_size):
                out.append(fn(chunk).reshape(len(chunk), -1).double())
        return torch.cat(out).numpy()

    def logit(self, x) -> np.ndarray:
        """The decision logit per configuration (float64, (n,))."""
        return self._batches(x, self.module)[:, 0]

    def hidden(self, x) -> np.ndarray | None:
        """What the head reads, (n, d); None where the model does not show it."""
        return None if self.hidden_fn is None else self._batches(x, self.hidden_fn)

    def head(self, h) -> np.ndarray | None:
        """Logits from hidden representations (n, d); None where the model has no head."""
        if self.head_fn is None:
            return None
        with torch.no_grad():
            out = self.head_fn(torch.as_tensor(np.asarray(h, np.float32)))
        return out.reshape(len(h)).double().numpy()


def registry_views(model) -> tuple[Callable | None, Callable | None]:
    """hidden and head of a registry model: the lattice average the head reads (|.| for a
    Z2-odd phase CNN, times its order_scale) and its linear head."""
    from physlens.modeldata import hidden_layer

    layer = hidden_layer(model)
    head = getattr(model, "head", None)
    if layer is None or not isinstance(head, torch.nn.Module):
        return None, None
    scale = float(getattr(model, "order_scale", 1.0))
    odd = bool(getattr(model, "z2_odd", False))

    def hidden(x):
        store = []
        handle = layer.register_forward_hook(lambda _m, _i, o: store.append(o))
        try:
            model(x)
        finally:
            handle.remove()
        h = store[0].mean(dim=(-2, -1))
        return h.abs() if odd else h

    return hidden, lambda h: head(h * scale).squeeze(-1)


def _torchscript(path: Path) -> UserModel:
    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError) as exc:
        raise ModelFileError(
            f"{KEY}.torchscript = {str(path)!r}: not a TorchScript archive (save it with "
            f"torch.jit.save; pickled modules are refused): {exc}"
        ) from exc
    views = [getattr(module, m, None) for m in ("hidden", "head")]
    return UserModel(module.eval(), str(path), "torchscript", *views)


class _Exported(torch.nn.Module):
    """An exported program's module behind a plain module: the explainers switch a model to
    evaluation mode, which an exported module refuses (it was exported in one mode)."""

    def __init__(self, module):
        super().__init__()
        object.__setattr__(self, "program", module)  # not a child: eval() must not reach it

    def forward(self, x):
        return self.program(x)


def _exported(path: Path) -> UserModel:
    try:
        program = torch.export.load(str(path))
    except Exception as exc:  # torch raises several types for a file that is not a program
        raise ModelFileError(
            f"{KEY}.exported = {str(path)!r}: not a program of torch.export.save: {exc}"
        ) from exc
    return UserModel(_Exported(program.module()), str(path), "exported")


def _state_dict(path: Path, architecture: dict) -> UserModel:
    try:
        model = build_model(dict(architecture))
    except ArchitectureError as exc:
        raise ModelFileError(f"{KEY}.architecture = {architecture!r}: {exc}") from exc
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a file that is not a state dict
        raise ModelFileError(
            f"{KEY}.state_dict = {str(path)!r}: not a state dict of tensors (weights_only load "
            f"refused it): {exc}"
        ) from exc
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as exc:
        raise ModelFileError(
            f"{KEY}.state_dict = {str(path)!r}: weights do not fit architecture "
            f"{architecture!r}: {exc}"
        ) from exc
    return UserModel(model.eval(), str(path), "state_dict", *registry_views(model))


def load_user_model(model_cfg: dict, files: dict) -> UserModel:
    """The model of config userdata.model; `files` are the rule's model inputs: ``model`` and
    ``meta`` (trained through config, with ``data`` for the checksum) or ``model`` alone."""
    path = Path(files["model"])
    if not path.is_file():
        raise ModelFileError(f"{KEY}: model file {path} not found")
    if model_cfg.get("train"):
        model, _ = load_model(path, files["meta"], data_path=files.get("data"))
        return UserModel(model, str(path), "trained", *registry_views(model))
    if model_cfg.get("torchscript"):
        if not zipfile.is_zipfile(path):
            raise ModelFileError(
                f"{KEY}.torchscript = {str(path)!r}: not a TorchScript archive (a zip written by "
                "torch.jit.save)"
            )
        return _torchscript(path)
    if model_cfg.get("exported"):
        return _exported(path)
    return _state_dict(path, model_cfg["architecture"])


def check_fit(model: UserModel, x: np.ndarray, data_path) -> dict:
    """Run the model on the first configurations of the data: it must accept their shape and
    return one finite logit each. A hidden/head pair that does not reproduce the logit is
    dropped (recorded in the returned report)."""
    batch = np.asarray(x[:CHECK_BATCH], np.float32)
    shape = tuple(batch.shape)
    try:
        with torch.no_grad():
            out = model.module(torch.as_tensor(batch))
    except Exception as exc:  # whatever the model raises on a foreign shape
        raise ModelInputError(
            f"{model.source}: the model does not take the configurations of {data_path} "
            f"(batch of shape {shape}, dims (sample, [channel,] spatial...)): "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from exc
    if not isinstance(out, torch.Tensor) or tuple(out.shape) not in (
        (len(batch),),
        (len(batch), 1),
    ):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ModelInputError(
            f"{model.source}: on a batch of shape {shape} from {data_path} the model returned "
            f"{got}; expected one decision logit per sample, ({len(batch)},) or ({len(batch)}, 1)"
        )
    if not torch.isfinite(out).all():
        raise ModelInputError(
            f"{model.source}: non-finite logits on the configurations of {data_path}"
        )
    report = {"input_shape": list(shape), "kind": model.kind, "hidden": False, "head": False}
    logit = out.reshape(-1).double().numpy()
    try:
        h = model.hidden(batch)
        report["hidden"] = h is not None and h.shape[0] == len(batch)
        if report["hidden"]:
            rebuilt = model.head(h)
            report["head"] = rebuilt is not None and bool(
                np.allclose(
                    rebuilt, logit, rtol=HEAD_RTOL, atol=HEAD_RTOL * (1 + np.abs(logit).max())
                )
            )
    except Exception as exc:  # a user's hidden()/head() that fails only loses those analyses
        report["views_error"] = f"{type(exc).__name__}: {exc}"
        report["hidden"] = report["head"] = False
    if not report["hidden"]:
        model.hidden_fn = None
    if not report["head"]:
        model.head_fn = None
    return report
