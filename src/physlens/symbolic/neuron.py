"""A neuron as a formula of candidate observables: fit it (through a link function) on part of
the data, report the held-out R^2, and compare the formula with every observable up to a
monotone and an affine map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from physlens.seeding import derive_seed
from physlens.seeding import rng as seeded_rng
from physlens.symbolic.equivalence import equivalent
from physlens.symbolic.regression import DEFAULT_BUDGET, SymbolicResult, fit_formula

LINKS = ("identity", "logit")


def explain_kwargs(symbolic_cfg: Mapping) -> dict:
    """explain_neuron keyword arguments from config interpret.symbolic (validated)."""
    cfg = dict(symbolic_cfg)
    kwargs = {k: cfg[k] for k in DEFAULT_BUDGET if k in cfg}
    for key, arg in (
        ("engine", "engine"),
        ("link", "link"),
        ("max_samples", "max_samples"),
        ("equivalence_tolerance", "tol"),
    ):
        if key in cfg:
            kwargs[arg] = cfg[key]
    return kwargs


@dataclass
class NeuronExplanation:
    """A formula for one neuron in terms of candidate observables.

    `result` is the fit of link(F): with link="logit" a sigmoid neuron F = sigmoid(g) is
    explained by g, the argument of its decision function (Wetzel: F = sigmoid(w Q + b))."""

    result: SymbolicResult
    link: str
    monotone_equivalent_to: list[str]  # the formula is a monotone map of these, on the data
    affine_equivalent_to: list[str]  # ... and an affine map of these (structure recovered)
    heldout_r2: float  # on the neuron's own scale, F

    def to_dict(self) -> dict:
        return {
            **self.result.to_dict(),
            "link": self.link,
            "monotone_equivalent_to": self.monotone_equivalent_to,
            "affine_equivalent_to": self.affine_equivalent_to,
            "heldout_r2": self.heldout_r2,
        }


def _link(y: np.ndarray, link: str) -> np.ndarray:
    if link == "identity":
        return y
    if y.min() < 0 or y.max() > 1:
        raise ValueError(
            f"link 'logit' needs a neuron output in [0, 1]; got [{y.min():.3g}, {y.max():.3g}]"
        )
    eps = 1e-9  # saturated outputs: logit of 0 or 1 would be infinite
    p = np.clip(y, eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def _inverse_link(g: np.ndarray, link: str) -> np.ndarray:
    return g if link == "identity" else 1.0 / (1.0 + np.exp(-g))


def explain_neuron(
    activation: np.ndarray,
    observables: Mapping[str, np.ndarray],
    names: Sequence[str] | None = None,
    engine: str = "auto",
    seed: int = 0,
    link: str = "identity",
    max_samples: int = 2000,
    holdout_fraction: float = 0.25,
    tol: float = 1e-3,
    **budget,
) -> NeuronExplanation:
    """Fit a neuron's output F (n,) as a formula of candidate observables (name -> (n,)).

    Works for any (neuron, observables) pair: an xarray Dataset of observables (from
    physlens.observables.compute_observables) is a valid mapping. link="logit" fits
    log(F / (1 - F)) instead of F (sigmoid outputs). A random subsample of at most
    `max_samples` rows is split into fit and held-out parts (seeded); the held-out R^2 of F
    is reported, and the formula is compared with every observable on the held-out data, up
    to a monotone and up to an affine map (tolerance `tol`).
    """
    if link not in LINKS:
        raise ValueError(f"interpret.symbolic.link = {link!r}: choose one of {LINKS}")
    names = list(observables.keys()) if names is None else list(names)
    y = np.asarray(activation, float).ravel()
    X = np.column_stack([np.asarray(observables[n], float).ravel() for n in names])
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"activation has {y.shape[0]} samples, observables {X.shape[0]}")
    gen = seeded_rng(seed, "symbolic", "explain_neuron")
    idx = gen.permutation(len(y))[:max_samples]
    n_hold = max(1, int(round(holdout_fraction * len(idx))))
    hold, train = idx[:n_hold], idx[n_hold:]
    result = fit_formula(
        X[train],
        _link(y[train], link),
        names,
        engine=engine,
        seed=derive_seed(seed, "symbolic", "fit"),
        **budget,
    )
    pred = _inverse_link(result.predict(X[hold]), link)
    resid = np.sum((y[hold] - pred) ** 2)
    r2 = float(1 - resid / max(np.sum((y[hold] - y[hold].mean()) ** 2), 1e-300))
    data = {n: X[hold, k] for k, n in enumerate(names)}
    used = {s.name for s in result.sympy_expr.free_symbols}
    matches: dict[str, list[str]] = {"monotone": [], "affine": []}
    for n in names if used else []:
        # only the observables the formula uses, plus the candidate, need data
        sub = {k: data[k] for k in used | {n}}
        for relation, found in matches.items():
            if equivalent(
                result.sympy_expr, sympy.Symbol(n, real=True), relation, data=sub, tol=tol
            ):
                found.append(n)
    return NeuronExplanation(result, link, matches["monotone"], matches["affine"], r2)
