"""Expressions of fitted formulas: parsed from an engine's placeholders x0..x{n-1}, renamed to
the features, cleaned of engine residue, simplified and rounded for display, and evaluated
on data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy

from physlens.formula import FUNCTIONS, parse_formula

# The operators the engines emit, as sympy functions: the formula parser's own table, so
# both parsers give one name the same meaning.
SYMPY_FUNCS = {
    name: FUNCTIONS[name]
    for name in (
        "exp",
        "log",
        "sqrt",
        "tanh",
        "sin",
        "cos",
        "abs",
        "square",
        "cube",
        "sqrtabs",
        "logabs",
        "aq",
    )
}


def placeholders(n: int) -> list[sympy.Symbol]:
    return [sympy.Symbol(f"x{i}", real=True) for i in range(n)]


def parse_expression(text: str, n_features: int) -> sympy.Expr:
    """Parse an engine's infix string written in placeholders x0..x{n-1}."""
    local = {f"x{i}": s for i, s in enumerate(placeholders(n_features))}
    local.update(SYMPY_FUNCS)
    return sympy.sympify(text.replace("^", "**"), locals=local)


def rename(expr: sympy.Expr, feature_names: Sequence[str]) -> sympy.Expr:
    """Replace placeholders x_i by symbols named after the features (via subs, never by
    parsing names: 'N', 'E', 'S', 'I' would otherwise parse as sympy objects)."""
    return expr.xreplace(
        {
            p: sympy.Symbol(n, real=True)
            for p, n in zip(placeholders(len(feature_names)), feature_names)
        }
    )


def round_floats(expr: sympy.Expr, digits: int = 4) -> sympy.Expr:
    return expr.xreplace({f: sympy.Float(f, digits) for f in expr.atoms(sympy.Float)})


def drop_tiny_constants(expr: sympy.Expr) -> sympy.Expr:
    """Drop additive/multiplicative constants that are numerically nothing (engine residue)."""
    tiny = {f: 0 for f in expr.atoms(sympy.Float) if abs(float(f)) < 1e-10}
    return expr.xreplace(tiny) if tiny else expr


def simplify_for_display(expr: sympy.Expr, max_ops: int = 80) -> sympy.Expr:
    """sympy.simplify for display; large fitted expressions only get a cheap expansion,
    because simplify's run time grows steeply with size."""
    if sympy.count_ops(expr) > max_ops:
        return sympy.expand(expr)
    return sympy.simplify(expr)


def evaluate(expr: sympy.Expr, X: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
    """Evaluate `expr` (in feature-name symbols) on the columns of X."""
    X = np.asarray(X, float)
    syms = [sympy.Symbol(n, real=True) for n in feature_names]
    f = sympy.lambdify(syms, expr, modules="numpy")
    with np.errstate(all="ignore"):
        out = f(*X.T) if X.shape[1] else f()
    return np.broadcast_to(np.asarray(out, float), (X.shape[0],)).copy()


def as_expr(e) -> sympy.Expr:
    """A sympy expression; in strings every identifier that is not a function is a symbol."""
    if isinstance(e, sympy.Basic):
        return e
    return parse_formula(str(e), functions=SYMPY_FUNCS, constants={})
