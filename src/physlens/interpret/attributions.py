"""Input attributions from captum: LRP, saliency, integrated gradients, SmoothGrad, DeepLIFT.

Every function takes a torch model, a batch of inputs (dimension 0 = samples) and optionally a
``target`` (captum's meaning: which output to explain when the model returns more than one
number per sample), so probing nets, phase CNNs, SU(2) nets and autoencoders share one path.
The explained quantity is the model's *output as returned*; the physlens models return the
pre-sigmoid logit, which is what LRP should explain (conservation is then exact up to biases).
For a model that ends in a sigmoid, pass :func:`logit_model` of it.

LRP and what this project adds to captum's are in :mod:`physlens.interpret.lrp`; the
interpret stage's settings per method (:func:`attribution_settings`), and the physics checks
(conservation, correlation of the relevance with the local bond energy), are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn as nn
import xarray as xr
from captum.attr import DeepLift, IntegratedGradients, NoiseTunnel, Saliency

from physlens.interpret.lrp import lrp
from physlens.interpret.model_inputs import as_input, eval_mode, input_dims, quiet_captum
from physlens.observables import local_bond_energy
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed

if TYPE_CHECKING:
    from physlens.modeldata import ModelData

METHODS = ("lrp", "saliency", "integrated_gradients", "smoothgrad", "deeplift")


class _LogitOf(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, *inputs):
        return self.model.logit(*inputs)


def logit_model(model: nn.Module) -> nn.Module:
    """The module computing the pre-sigmoid logit of `model`, for models that end in a sigmoid.

    Accepts a model with a ``logit(x)`` method or an ``nn.Sequential`` ending in
    ``nn.Sigmoid``; physlens models already return logits and need no wrapping.
    """
    if callable(getattr(model, "logit", None)):
        return _LogitOf(model)
    if isinstance(model, nn.Sequential) and isinstance(model[-1], nn.Sigmoid):
        return model[:-1]
    raise ValueError(
        f"cannot find the pre-sigmoid logit of {type(model).__name__}: give it a logit(x) "
        "method or build it as nn.Sequential(..., nn.Sigmoid())"
    )


def saliency(model, inputs, *, target=None, absolute: bool = False) -> torch.Tensor:
    """Gradient of the output with respect to the input (captum.attr.Saliency); signed by default."""
    x = as_input(model, inputs)
    with eval_mode(model):
        return Saliency(model).attribute(x, target=target, abs=absolute).detach()


def _baseline(x: torch.Tensor, baseline) -> torch.Tensor:
    # 0 means "no spin": the reference configuration that carries no information.
    return torch.full_like(x, float(baseline)) if np.isscalar(baseline) else baseline.to(x)


def integrated_gradients(
    model, inputs, *, baseline=0.0, n_steps: int = 64, target=None, internal_batch_size=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(attributions, delta) from captum IntegratedGradients (Gauss-Legendre quadrature).

    delta = sum(attributions) - (f(x) - f(baseline)), the completeness error.
    """
    x = as_input(model, inputs)
    with eval_mode(model):
        a, d = IntegratedGradients(model).attribute(
            x,
            baselines=_baseline(x, baseline),
            target=target,
            n_steps=n_steps,
            internal_batch_size=internal_batch_size,
            return_convergence_delta=True,
        )
    return a.detach(), d.detach()


def smoothgrad(
    model,
    inputs,
    *,
    seed: int,
    nt_samples: int = 32,
    stdev: float = 0.5,
    target=None,
    absolute: bool = False,
) -> torch.Tensor:
    """SmoothGrad: saliency averaged over Gaussian-noised copies (captum NoiseTunnel).

    The noise stream is derived from `seed` (physlens.seeding) in a forked torch RNG, so the
    result is reproducible and the caller's RNG state is untouched.
    """
    x = as_input(model, inputs)
    with eval_mode(model), torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "smoothgrad") % 2**63)
        a = NoiseTunnel(Saliency(model)).attribute(
            x,
            nt_type="smoothgrad",
            nt_samples=nt_samples,
            stdevs=stdev,
            target=target,
            abs=absolute,
        )
    return a.detach()


def deeplift(model, inputs, *, baseline=0.0, target=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(attributions, delta) from captum DeepLift (Rescale rule); delta is the summation error."""
    x = as_input(model, inputs)
    with eval_mode(model), quiet_captum():
        a, d = DeepLift(model).attribute(
            x, baselines=_baseline(x, baseline), target=target, return_convergence_delta=True
        )
    return a.detach(), d.detach()


def attribute(model, inputs, method: str, *, seed: int = 0, target=None, **settings):
    """Dispatch to one method; returns (attributions, delta or None)."""
    if method == "lrp":
        return lrp(model, inputs, target=target, **settings)
    if method == "saliency":
        return saliency(model, inputs, target=target, **settings), None
    if method == "integrated_gradients":
        return integrated_gradients(model, inputs, target=target, **settings)
    if method == "smoothgrad":
        return smoothgrad(model, inputs, seed=seed, target=target, **settings), None
    if method == "deeplift":
        return deeplift(model, inputs, target=target, **settings)
    raise ValueError(f"interpret.attributions.methods: unknown method {method!r}; use {METHODS}")


def attribution_dataset(
    model,
    inputs,
    methods: Sequence[str] = METHODS,
    *,
    seed: int,
    settings: dict | None = None,
    target=None,
    sample_coords: dict | None = None,
    model_name: str = "",
) -> xr.Dataset:
    """Attribution maps of every method for every input, as one labelled Dataset.

    Variables: ``attribution`` (method, sample, ...), ``delta`` (method, sample; NaN for
    methods without one), ``input`` and ``output`` (the explained value). `settings` maps a
    method to its keyword arguments; `sample_coords` adds per-sample coordinates (e.g. T).
    """
    settings = settings or {}
    x = as_input(model, inputs)
    with torch.no_grad(), eval_mode(model):
        output = model(x)
    x = x.detach()
    maps, deltas = [], []
    for m in methods:
        a, d = attribute(model, x, m, seed=seed, target=target, **settings.get(m, {}))
        maps.append(a.cpu().numpy())
        deltas.append(np.full(len(x), np.nan) if d is None else d.cpu().numpy().reshape(len(x)))
    dims = input_dims(x.ndim)
    ds = xr.Dataset(
        {
            "attribution": (("explainer",) + dims, np.stack(maps)),
            "delta": (("explainer", "sample"), np.stack(deltas)),
            "input": (dims, x.cpu().numpy()),
            "output": (
                ("sample",) + (() if output.ndim == 1 else ("output",)),
                output.cpu().numpy(),
            ),
        },
        coords={
            "explainer": list(methods),
            "sample": np.arange(len(x)),
            **{k: ("sample", np.asarray(v)) for k, v in (sample_coords or {}).items()},
        },
    )
    ds["attribution"].attrs["description"] = (
        "contribution of each input element to the explained output (same units as output)"
    )
    ds["delta"].attrs["description"] = (
        "LRP: output - sum(relevance) (bias and epsilon absorption); IG/DeepLIFT: sum(attr) - "
        "(f(x) - f(baseline)); NaN where the method has no such check"
    )
    flat = {f"{m}.{k}": str(v) for m, kw in settings.items() for k, v in kw.items()}
    ds.attrs.update(
        base_attrs(seed, algorithm="captum " + ", ".join(methods), model=model_name, **flat)
    )
    return ds


def relevance_bond_energy_correlation(
    relevance_maps, configs, directions: Sequence[str] = ("x", "y")
) -> float:
    """Pearson correlation, pooled over samples and sites, between relevance and e_i.

    Positive: the relevance sits on high-energy sites, i.e. on domain walls. NaN when either
    quantity is constant over the whole set (e.g. only fully ordered configurations).
    """
    r = np.asarray(relevance_maps, dtype=float)
    e = local_bond_energy(configs, directions)
    if r.shape != e.shape:
        raise ValueError(f"relevance maps {r.shape} and configurations {e.shape} differ in shape")
    r, e = r.ravel(), e.ravel()
    if np.std(r) == 0 or np.std(e) == 0:
        return float("nan")
    return float(np.corrcoef(r, e)[0, 1])


def bond_energy_correlations(
    ds: xr.Dataset, directions: Sequence[str] = ("x", "y"), tc: float | None = None
) -> xr.DataArray:
    """Relevance-bond-energy correlation per explainer, for all samples and per phase.

    `ds` is an :func:`attribution_dataset` result for spin lattices; with a ``temperature``
    coordinate and `tc`, samples below/above tc form the 'ordered'/'disordered' columns.
    Sign: physlens labels ordered = 1, so the logit is evidence for order and relevance on
    domain walls is negative: r < 0 (r = -1 for the ideal 1x2 net) is the physical answer.
    """
    spins = ds["input"].values
    groups = {"all": np.ones(ds.sizes["sample"], bool)}
    if tc is not None and "temperature" in ds.coords:
        T = ds["temperature"].values
        groups.update(ordered=T < tc, disordered=T > tc)
    table = [
        [
            (
                relevance_bond_energy_correlation(
                    ds["attribution"].sel(explainer=e).values[keep], spins[keep], directions
                )
                if keep.any()
                else np.nan
            )
            for keep in groups.values()
        ]
        for e in ds["explainer"].values
    ]
    return xr.DataArray(
        np.array(table),
        dims=("explainer", "phase"),
        coords={"explainer": ds["explainer"].values, "phase": list(groups)},
        name="relevance_bond_energy_r",
        attrs={"directions": ",".join(directions), "tc": np.nan if tc is None else float(tc)},
    )


def attribution_settings(cfg: dict) -> dict:
    """Per-method keyword arguments of attributions.attribution_dataset from the config."""
    return {
        "lrp": {"rule": cfg["lrp_rule"], "epsilon": cfg["lrp_epsilon"], "gamma": cfg["lrp_gamma"]},
        "saliency": {},
        "integrated_gradients": {"baseline": cfg["baseline"], "n_steps": cfg["ig_steps"]},
        "smoothgrad": {"nt_samples": cfg["smoothgrad_samples"], "stdev": cfg["smoothgrad_stdev"]},
        "deeplift": {"baseline": cfg["baseline"]},
    }


def bond_directions(md: ModelData, directions) -> tuple[str, ...]:
    """Bond directions a probing net can see (a 1x2 kernel: x only); the config's otherwise."""
    k = md.kernel()
    if k is None:
        return tuple(directions)
    seen = tuple(d for d in directions if (d == "x" and k[1] > 1) or (d == "y" and k[0] > 1))
    return seen or tuple(directions)


def conservation(ds: xr.Dataset, model: nn.Module, baseline: float) -> xr.DataArray:
    """Median relative leftover per explainer: |delta| / |explained quantity| (LRP: the output;
    IG, DeepLIFT: f(x) - f(baseline)); NaN for methods without a summation property."""
    import torch

    with torch.no_grad():
        x0 = torch.full(
            (1, *ds["input"].shape[1:]), float(baseline), dtype=next(model.parameters()).dtype
        )
        f0 = float(model(x0).reshape(-1)[0])
    out = ds["output"].values.astype(float)
    vals = []
    for e in ds.explainer.values:
        d = ds["delta"].sel(explainer=e).values
        ref = np.abs(out) if e == "lrp" else np.abs(out - f0)
        vals.append(
            float(np.nanmedian(np.abs(d) / np.maximum(ref, 1e-12)))
            if np.isfinite(d).any()
            else np.nan
        )
    return xr.DataArray(
        vals,
        dims="explainer",
        coords={"explainer": ds.explainer.values},
        name="median_relative_leftover",
        attrs={"description": "median over samples of |delta| / |explained output|"},
    )
