"""Layer-wise relevance propagation (captum.attr.LRP) of a model's output, with what captum
0.9's LRP lacks (see docs/interpretation.md):

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

from collections.abc import Callable, Sequence

import torch
import torch.nn as nn
from captum.attr import LRP
from captum.attr._utils.lrp_rules import (
    Alpha1_Beta0_Rule,
    EpsilonRule,
    GammaRule,
    IdentityRule,
    PropagationRule,
)
from torch.overrides import TorchFunctionMode

from physlens.interpret.model_inputs import as_input, eval_mode, quiet_captum

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
    x = as_input(model, inputs)
    relevance, delta = [], []
    with eval_mode(model):
        adapter = LRPAdapter(model, x[:1])
        try:
            for chunk in torch.split(x, batch_size):
                assign_lrp_rules(adapter, rule, epsilon=epsilon, gamma=gamma, overrides=overrides)
                with quiet_captum():
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
