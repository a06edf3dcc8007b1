"""Is a fitted formula a known expression, up to an identity, a constant factor, an affine or
a monotone map? Fitted constants make purely symbolic comparison brittle (3.0001*x vs 3*x),
so :func:`equivalent` decides numerically: it evaluates both expressions on sample points and
tests the requested relation (identity, constant ratio, affine map, monotone map by rank
correlation); a symbolic identity check (sympy) is tried first and short-circuits only when
it proves the relation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy

from physlens.seeding import rng as seeded_rng
from physlens.symbolic.expressions import as_expr, evaluate, simplify_for_display

RELATIONS = ("exact", "scale", "affine", "monotone")


@dataclass
class Equivalence:
    """Outcome of :func:`equivalent`; truthy when the relation holds."""

    holds: bool
    up_to: str
    method: str  # "symbolic" or "numeric"
    score: float  # numeric: relative residual (exact/scale/affine) or 1 - |Spearman| (monotone)
    detail: str = ""

    def __bool__(self) -> bool:
        return self.holds


def _symbolic_relation(expr, target, up_to) -> bool:
    """True only when sympy proves the relation; False means 'not proved', not 'false'.
    (Affine and monotone relations are left to the numeric test.)"""
    try:
        if up_to == "exact":
            return simplify_for_display(expr - target) == 0
        if up_to == "scale":
            ratio = simplify_for_display(expr / target)
            return not ratio.free_symbols and ratio != 0
    except (TypeError, ValueError, ZeroDivisionError, NotImplementedError):
        return False
    return False


def equivalent(
    expr,
    target,
    up_to: str = "exact",
    data: Mapping[str, np.ndarray] | None = None,
    domain: tuple[float, float] = (0.5, 2.0),
    n_points: int = 500,
    tol: float = 1e-3,
    seed: int = 0,
) -> Equivalence:
    """Is `expr` equal to `target` up to an identity, a constant factor, an affine map
    a*target + b (a != 0), or a strictly monotone map?

    `expr`/`target` are sympy expressions or strings. Symbols are sampled from `data`
    (name -> values, e.g. the observables of real configurations: a monotone relation only
    has to hold where the data live) or else uniformly from `domain`. Numeric criteria:
    exact -- max |e - t| <= tol * max|t|; scale / affine -- least-squares fit e ~ a*t (+ b)
    with relative RMS residual <= tol; monotone -- 1 - |Spearman(e, t)| <= tol.
    """
    from scipy.stats import spearmanr

    if up_to not in RELATIONS:
        raise ValueError(f"up_to = {up_to!r}: choose one of {RELATIONS}")
    e, t = as_expr(expr), as_expr(target)
    # compare by symbol name so real=True and plain symbols match
    names = sorted({s.name for s in e.free_symbols | t.free_symbols})
    canon = {s: sympy.Symbol(s.name, real=True) for s in e.free_symbols | t.free_symbols}
    e, t = e.xreplace(canon), t.xreplace(canon)
    if up_to != "monotone" and _symbolic_relation(e, t, up_to):
        return Equivalence(True, up_to, "symbolic", 0.0, "proved by sympy")

    if data is not None:
        missing = [n for n in names if n not in data]
        if missing:
            raise KeyError(f"equivalent(): no data for symbol(s) {missing}")
        X = (
            np.column_stack([np.asarray(data[n], float) for n in names])
            if names
            else np.zeros((len(next(iter(data.values()))), 0))
        )
    else:
        X = seeded_rng(seed, "symbolic", "equivalent").uniform(*domain, size=(n_points, len(names)))
    ev, tv = evaluate(e, X, names), evaluate(t, X, names)
    ok = np.isfinite(ev) & np.isfinite(tv)
    if ok.sum() < max(10, 0.5 * len(ev)):
        return Equivalence(False, up_to, "numeric", math.inf, "too few finite evaluations")
    ev, tv = ev[ok], tv[ok]

    if up_to == "monotone":
        if np.ptp(tv) == 0 or np.ptp(ev) == 0:
            return Equivalence(False, up_to, "numeric", math.inf, "constant expression")
        rho = spearmanr(ev, tv).statistic
        score = 1.0 - abs(float(rho))
        return Equivalence(score <= tol, up_to, "numeric", score, f"Spearman {rho:.6f}")
    scale_ref = max(float(np.sqrt(np.mean(ev**2))), 1e-300)
    if up_to == "exact":
        score = float(np.max(np.abs(ev - tv))) / max(float(np.max(np.abs(tv))), 1e-300)
        return Equivalence(score <= tol, up_to, "numeric", score, "max relative deviation")
    cols = [tv] if up_to == "scale" else [tv, np.ones_like(tv)]
    A = np.column_stack(cols)
    coef, *_ = np.linalg.lstsq(A, ev, rcond=None)
    resid = ev - A @ coef
    if up_to == "affine":  # an affine map of a constant is no evidence
        scale_ref = max(float(np.std(ev)), 1e-300)
    score = float(np.sqrt(np.mean(resid**2))) / scale_ref
    holds = score <= tol and abs(coef[0]) * max(float(np.std(tv)), 1e-300) > 1e-12 * scale_ref
    fit = " + ".join(f"{c:.6g}" for c in coef)
    return Equivalence(bool(holds), up_to, "numeric", score, f"least squares coefficients {fit}")
