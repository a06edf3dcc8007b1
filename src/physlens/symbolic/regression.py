"""Fit a closed-form formula with either engine and pick it from the Pareto front.

Both engines (:mod:`physlens.symbolic.engines`) return a Pareto front of (complexity, loss,
expression). The formula is chosen from the front by the *same* criterion for both engines
(:func:`select_model`): PySR's "best" rule -- among expressions whose loss is within a factor
of the lowest loss, take the one with the steepest drop of log(loss) per unit of complexity.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sympy

from physlens.seeding import derive_seed
from physlens.symbolic.engines import (
    BINARY_OPERATORS,
    UNARY_OPERATORS,
    fit_operon,
    fit_pysr,
    resolve_engine,
)
from physlens.symbolic.expressions import (
    drop_tiny_constants,
    evaluate,
    parse_expression,
    rename,
    round_floats,
    simplify_for_display,
)

DEFAULT_BUDGET = {
    "binary_operators": ["add", "sub", "mul", "div"],
    "unary_operators": ["exp", "tanh"],
    "max_complexity": 25,
    "population_size": 300,
    "generations": 40,  # operon
    "niterations": 40,  # pysr
    "populations": 8,  # pysr
    "time_limit_s": 300,
    "selection_loss_ratio": 1.5,
    # independent searches (seeds derived from `seed`) whose fronts are merged: a single
    # genetic search can stall in a local optimum (E.B found 2 of its 3 terms in one run)
    "restarts": 1,
}


@dataclass
class SymbolicResult:
    """A fitted formula with its Pareto front and where it came from."""

    engine: str
    engine_version: str
    feature_names: list[str]
    pareto: pd.DataFrame  # columns: complexity, loss, expression (sympy string), selected
    selected: int  # row of `pareto` chosen by `selection_criterion`
    expression: str  # sympy-simplified, constants to 4 significant digits
    latex: str
    sympy_expr: sympy.Expr = field(repr=False)  # full-precision chosen expression
    wall_time_s: float
    selection_criterion: str
    seed: int
    n_samples: int

    def predict(self, X: np.ndarray) -> np.ndarray:
        return evaluate(self.sympy_expr, X, self.feature_names)

    def to_dict(self) -> dict:
        """JSON-ready summary (for write_json)."""
        return {
            "engine": self.engine,
            "engine_version": self.engine_version,
            "feature_names": list(self.feature_names),
            "expression": self.expression,
            "expression_full": str(self.sympy_expr),
            "latex": self.latex,
            "selection_criterion": self.selection_criterion,
            "selected": int(self.selected),
            "pareto": self.pareto.to_dict(orient="records"),
            "wall_time_s": self.wall_time_s,
            "seed": int(self.seed),
            "n_samples": int(self.n_samples),
        }


def pareto_filter(complexity: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """Indices of the Pareto front (strictly lower loss at higher complexity), by complexity."""
    order = np.lexsort((loss, complexity))
    keep, best = [], np.inf
    for i in order:
        if loss[i] < best:
            keep.append(i)
            best = loss[i]
    return np.asarray(keep, dtype=int)


def select_model(complexity: np.ndarray, loss: np.ndarray, loss_ratio: float = 1.5) -> int:
    """PySR's 'best' criterion, applied to any engine's front (sorted by complexity).

    score_i = -d log(loss) / d complexity between consecutive front members; among members
    with loss <= loss_ratio * min(loss) the highest score wins. Losses are floored at
    1e-300 so an exact fit (loss 0) scores high instead of dividing by zero.
    """
    complexity = np.asarray(complexity, float)
    loss = np.maximum(np.asarray(loss, float), 1e-300)
    if len(loss) == 1:
        return 0
    score = np.zeros(len(loss))
    score[1:] = -np.diff(np.log(loss)) / np.maximum(np.diff(complexity), 1e-12)
    eligible = loss <= loss_ratio * loss.min()
    score[~eligible] = -np.inf
    return int(np.argmax(score))


def fit_formula(
    X: np.ndarray,
    y: np.ndarray,
    feature_names: Sequence[str],
    engine: str = "auto",
    seed: int = 0,
    **budget,
) -> SymbolicResult:
    """Search for a formula y ~ f(X); the front and the chosen expression use `feature_names`.

    `budget` keys (defaults in DEFAULT_BUDGET, same names as config interpret.symbolic):
    binary_operators, unary_operators, max_complexity, population_size, generations (operon),
    niterations and populations (pysr), time_limit_s, selection_loss_ratio.
    """
    unknown = set(budget) - set(DEFAULT_BUDGET)
    if unknown:
        raise TypeError(f"unknown symbolic-regression budget key(s): {sorted(unknown)}")
    budget = {**DEFAULT_BUDGET, **budget}
    bad = [b for b in budget["binary_operators"] if b not in BINARY_OPERATORS]
    bad += [u for u in budget["unary_operators"] if u not in UNARY_OPERATORS]
    if bad:
        raise ValueError(
            f"unknown operator(s) {bad}: binary {sorted(BINARY_OPERATORS)}, unary {list(UNARY_OPERATORS)}"
        )
    X = np.asarray(X, float)
    y = np.asarray(y, float).ravel()
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (n, k) with n = len(y) = {y.shape[0]}, got {X.shape}")
    if X.shape[1] != len(feature_names):
        raise ValueError(f"{X.shape[1]} columns but {len(feature_names)} feature names")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must be finite (NaN/inf found)")

    concrete = resolve_engine(engine)
    t0 = time.perf_counter()
    fit = fit_pysr if concrete == "pysr" else fit_operon
    rows = []
    for k in range(int(budget["restarts"])):
        more, engine_version = fit(
            X, y, budget, seed if k == 0 else derive_seed(seed, "restart", k)
        )
        rows += more
    wall = time.perf_counter() - t0

    complexity = np.array([r[0] for r in rows], float)
    loss = np.array([r[1] for r in rows], float)
    front = pareto_filter(complexity, loss)
    complexity, loss = complexity[front], loss[front]
    exprs = [
        drop_tiny_constants(rename(parse_expression(rows[i][2], X.shape[1]), feature_names))
        for i in front
    ]
    chosen = select_model(complexity, loss, budget["selection_loss_ratio"])

    expr = exprs[chosen]
    simple = round_floats(simplify_for_display(round_floats(expr, 6)), 4)
    pareto = pd.DataFrame(
        {
            "complexity": complexity.astype(int),
            "loss": loss,
            "expression": [str(round_floats(e, 4)) for e in exprs],
            "selected": np.arange(len(front)) == chosen,
        }
    )
    return SymbolicResult(
        engine=concrete,
        engine_version=engine_version,
        feature_names=list(feature_names),
        pareto=pareto,
        selected=chosen,
        expression=str(simple),
        latex=sympy.latex(simple),
        sympy_expr=expr,
        wall_time_s=wall,
        selection_criterion=(
            f"max -dlog(loss)/dcomplexity among loss <= {budget['selection_loss_ratio']:g} x min loss"
        ),
        seed=int(seed),
        n_samples=int(len(y)),
    )
