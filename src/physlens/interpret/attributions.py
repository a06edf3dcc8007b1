"""Input attributions from captum: LRP, saliency, integrated gradients, SmoothGrad, DeepLIFT.

Every function takes a torch model, a batch of inputs (dimension 0 = samples) and optionally a
``target`` (captum's meaning: which output to explain when the model returns more than one
number per sample), so probing nets, phase CNNs, SU(2) nets and autoencoders share one path.
The explained quantity is the model's *output as returned*; the physlens models return the
pre-sigmoid logit, which is what LRP should explain (conservation is then exact up to biases).
For a model that ends in a sigmoid, pass :func:`logit_model` of it.

What captum 0.9's LRP lacks and this module adds (see docs/interpretation.md):

* rules are looked up by *exact* type, so a subclass such as ``PeriodicConv2d(nn.Conv2d)``
  is refused; :func:`assign_lrp_rules` assigns rules by ``isinstance`` instead;
* lattice averages written as ``h.mean(dim=(-2, -1))`` are invisible to its hooks, so the
  relevance of the average would be split *uniformly* over sites instead of in proportion to
  each site's activation; :class:`LRPAdapter` routes such reductions through a visible
  :class:`Reduction` module that carries the ε rule;
* activations other than ReLU/Tanh (ELU, Softplus, Sigmoid, ...) and shape-only modules
  (Flatten) have no rule; :class:`PassRelevanceRule` passes relevance through them unchanged.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import xarray as xr
from captum.attr import LRP, DeepLift, IntegratedGradients, NoiseTunnel, Saliency
from captum.attr._utils.lrp_rules import (
    Alpha1_Beta0_Rule,
    EpsilonRule,
    GammaRule,
    IdentityRule,
    PropagationRule,
)
from torch.overrides import TorchFunctionMode

from physlens.observables import local_bond_energy
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed

METHODS = ("lrp", "saliency", "integrated_gradients", "smoothgrad", "deeplift")
LRP_RULES = ("zero", "epsilon", "gamma", "alpha1beta0")

# Modules whose weights define a linear map: the rule chosen by the user applies to them.
LINEAR_MODULES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
# Averaging modules and BatchNorm: linear without learned mixing, LRP-ε (captum's default).
AVERAGING_MODULES = (
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AvgPool3d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
)
# captum's own pass-through list (relevance crosses unchanged through a backward hook).
CAPTUM_NONLINEAR = (nn.ReLU, nn.Tanh, nn.Dropout)
# Element-wise or shape-only modules that captum refuses; relevance passes unchanged.
PASS_MODULES = (
    nn.ELU,
    nn.LeakyReLU,
    nn.Softplus,
    nn.Sigmoid,
    nn.SiLU,
    nn.GELU,
    nn.Hardtanh,
    nn.Identity,
    nn.Flatten,
    nn.Unflatten,
    nn.Dropout1d,
    nn.Dropout2d,
)


# --- LRP additions to captum -------------------------------------------------------------


class PassRelevanceRule(IdentityRule):
    """Relevance crosses the module unchanged (reshaped to the input's shape).

    For element-wise activations this is the standard LRP treatment (the relevance of a
    neuron's output is the relevance of its pre-activation); for Flatten/Unflatten it is
    exact. Differs from captum's IdentityRule only by the reshape.
    """

    def _create_backward_hook_input(self, inputs):
        shape = inputs.shape

        def _backward_hook_input(grad):
            return self.relevance_output[grad.device].reshape(shape)

        return _backward_hook_input


class Reduction(nn.Module):
    """``x.mean(dim)`` or ``x.sum(dim)`` as a module, so that LRP hooks can see it.

    With the ε rule it distributes the relevance of the average in proportion to each
    term, R_i = a_i R / sum_j a_j, the LRP rule for a sum without bias.
    """

    def __init__(self, op: str, dim, keepdim: bool = False):
        super().__init__()
        if op not in ("mean", "sum"):
            raise ValueError(f"Reduction op {op!r}: use 'mean' or 'sum'")
        self.op, self.dim, self.keepdim = op, dim, keepdim

    def forward(self, x):
        return getattr(x, self.op)(dim=self.dim, keepdim=self.keepdim)


_REDUCTIONS = {
    torch.mean: "mean",
    torch.Tensor.mean: "mean",
    torch.sum: "sum",
    torch.Tensor.sum: "sum",
}


def _reduction_call(func, args, kwargs):
    """(op, tensor, dim, keepdim) when `func(*args, **kwargs)` is a mean/sum over given dims."""
    op = _REDUCTIONS.get(func)
    if op is None or not args or not isinstance(args[0], torch.Tensor):
        return None
    rest = list(args[1:])
    dim = kwargs.get("dim", rest.pop(0) if rest else None)
    keepdim = kwargs.get("keepdim", rest.pop(0) if rest else False)
    if dim is None or kwargs.get("dtype") is not None or rest:
        return None  # full reductions (losses, norms) are not lattice averages
    return op, args[0], dim, bool(keepdim)


class _RouteReductions(TorchFunctionMode):
    """Replace the k-th functional mean/sum over explicit dims by ``modules[k]``."""

    def __init__(self, modules: nn.ModuleList | None):
        super().__init__()
        self.modules, self.calls = modules, []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        call = _reduction_call(func, args, kwargs)
        if call is None:
            return func(*args, **kwargs)
        op, x, dim, keepdim = call
        k = len(self.calls)
        self.calls.append((op, dim, keepdim))
        if self.modules is None:  # dry run: only record the call sites
            return func(*args, **kwargs)
        if k >= len(self.modules):
            raise RuntimeError(
                f"the model made more mean/sum calls ({k + 1}) than in the dry run "
                f"({len(self.modules)}); its forward must not branch on the input"
            )
        return self.modules[k](x)


class LRPAdapter(nn.Module):
    """Wrap `model` so that its functional means/sums over dims become LRP-visible modules.

    The call sites are found by one forward pass on `example` (dry run); each becomes one
    :class:`Reduction` (captum refuses a module used twice). Outputs equal the model's.
    """

    def __init__(self, model: nn.Module, example: torch.Tensor):
        super().__init__()
        self.model = model
        mode = _RouteReductions(None)
        with torch.no_grad(), mode:
            model(example)
        # An empty ModuleList would be a leaf without a rule for captum: keep None instead.
        self.reductions = nn.ModuleList(Reduction(*c) for c in mode.calls) if mode.calls else None

    def forward(self, *inputs):
        if self.reductions is None:
            return self.model(*inputs)
        with _RouteReductions(self.reductions):
            return self.model(*inputs)


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


def make_rule(name: str, *, epsilon: float = 1e-6, gamma: float = 0.25) -> PropagationRule:
    """A fresh captum rule object: 'zero' (LRP-0), 'epsilon', 'gamma' or 'alpha1beta0'."""
    if name == "zero":
        return EpsilonRule(epsilon=1e-12)  # LRP-0, guarded against 0/0
    if name == "epsilon":
        return EpsilonRule(epsilon=epsilon)
    if name == "gamma":
        return GammaRule(gamma=gamma)
    if name == "alpha1beta0":
        return Alpha1_Beta0_Rule()
    raise ValueError(f"interpret.lrp.rule = {name!r}: choose one of {', '.join(LRP_RULES)}")


def _leaves(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if not list(m.children())]


def assign_lrp_rules(
    model: nn.Module,
    rule: str | Sequence[str] = "epsilon",
    *,
    epsilon: float = 1e-6,
    gamma: float = 0.25,
    overrides: dict[type, Callable[[], PropagationRule]] | None = None,
) -> None:
    """Set ``module.rule`` on every leaf module of `model` (captum deletes them after each call).

    `rule` applies to the linear/conv layers; a list gives one rule per such layer, in
    ``model.modules()`` order (e.g. ``["gamma", "epsilon", "zero"]`` from input to output, the
    composite of Montavon et al. 2019). `overrides` maps module types to rule factories.
    """
    overrides = overrides or {}
    leaves = _leaves(model)
    linear = [m for m in leaves if isinstance(m, LINEAR_MODULES)]
    rules = [rule] * len(linear) if isinstance(rule, str) else list(rule)
    if len(rules) != len(linear):
        raise ValueError(
            f"interpret.lrp.rule: {len(rules)} rules given for {len(linear)} linear/conv layers"
        )
    per_layer = dict(zip(map(id, linear), rules))
    # Averages take LRP-0 when every layer does, so that LRP-0 stays exactly conservative.
    pool_epsilon = 1e-12 if all(r == "zero" for r in rules) else epsilon
    for m in leaves:
        factory = next((f for t, f in overrides.items() if isinstance(m, t)), None)
        if factory is not None:
            m.rule = factory()
        elif id(m) in per_layer:
            m.rule = make_rule(per_layer[id(m)], epsilon=epsilon, gamma=gamma)
        elif isinstance(m, (Reduction, *AVERAGING_MODULES)):
            m.rule = EpsilonRule(epsilon=pool_epsilon)
        elif type(m) in CAPTUM_NONLINEAR:
            continue  # captum passes relevance through these itself
        elif isinstance(m, PASS_MODULES):
            m.rule = PassRelevanceRule()
        elif not list(m.parameters(recurse=False)) and not list(m.buffers(recurse=False)):
            raise TypeError(
                f"LRP: no rule for module {type(m).__name__}; if it only reshapes or acts "
                "element-wise pass overrides={type: PassRelevanceRule}"
            )
        else:
            raise TypeError(
                f"LRP: no rule for parametrised module {type(m).__name__}; give one in overrides"
            )


def _clean_lrp_state(model: nn.Module) -> None:
    """captum leaves stored activations (and, on error, rules) on the modules; remove them."""
    for m in model.modules():
        for attr in ("activations", "rule"):
            if attr in m.__dict__:
                delattr(m, attr)


@contextlib.contextmanager
def _eval_mode(model: nn.Module):
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@contextlib.contextmanager
def _quiet_captum():
    # captum announces that it hooks the activations; expected here, so not shown.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Setting forward, backward hooks")
        yield


def _as_input(model: nn.Module, inputs) -> torch.Tensor:
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None else torch.get_default_dtype()
    # A fresh leaf that requires grad: captum then neither warns nor touches the caller's tensor.
    return torch.as_tensor(inputs).detach().to(dtype).clone().requires_grad_(True)


def lrp(
    model: nn.Module,
    inputs,
    *,
    rule: str | Sequence[str] = "epsilon",
    epsilon: float = 1e-6,
    gamma: float = 0.25,
    target=None,
    batch_size: int = 256,
    overrides=None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Layer-wise relevance propagation (captum.attr.LRP) of the model output.

    Returns (relevance with the inputs' shape, delta per sample), where delta = output -
    sum(relevance) is the relevance absorbed by bias terms and ε stabilisers (captum's
    convergence delta); relevances are in the output's units (captum rescales by the output).
    """
    x = _as_input(model, inputs)
    relevance, delta = [], []
    with _eval_mode(model):
        adapter = LRPAdapter(model, x[:1])
        try:
            for chunk in torch.split(x, batch_size):
                assign_lrp_rules(adapter, rule, epsilon=epsilon, gamma=gamma, overrides=overrides)
                with _quiet_captum():
                    r, d = LRP(adapter).attribute(
                        chunk.detach().requires_grad_(True),
                        target=target,
                        return_convergence_delta=True,
                    )
                relevance.append(r.detach())
                delta.append(d.detach())
        finally:
            _clean_lrp_state(adapter)
    return torch.cat(relevance), torch.cat(delta)


# --- gradient-based attributions -----------------------------------------------------------


def saliency(model, inputs, *, target=None, absolute: bool = False) -> torch.Tensor:
    """Gradient of the output with respect to the input (captum.attr.Saliency); signed by default."""
    x = _as_input(model, inputs)
    with _eval_mode(model):
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
    x = _as_input(model, inputs)
    with _eval_mode(model):
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
    x = _as_input(model, inputs)
    with _eval_mode(model), torch.random.fork_rng(devices=[]):
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
    x = _as_input(model, inputs)
    with _eval_mode(model), _quiet_captum():
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


# --- labelled results ------------------------------------------------------------------


def input_dims(ndim: int) -> tuple[str, ...]:
    """Dimension names of a batch of inputs: lattices (sample, y, x), channels, or features."""
    names = {2: ("sample", "feature"), 3: ("sample", "y", "x"), 4: ("sample", "channel", "y", "x")}
    return names.get(ndim, ("sample",) + tuple(f"d{i}" for i in range(1, ndim)))


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
    x = _as_input(model, inputs)
    with torch.no_grad(), _eval_mode(model):
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


# --- physics comparison ------------------------------------------------------------------


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
