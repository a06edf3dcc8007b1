"""Vectorised observable expressions from a config, evaluated without ever running Python.

An expression such as ``sqrt(mean(channel(x, 0))**2 + mean(channel(x, 1))**2)`` or
``order_parameter**2`` is parsed with :mod:`ast` (which only builds a tree) and evaluated
node by node on NumPy arrays. Allowed: numbers, the configurations ``x`` (sample, ...), the
names of other observables (one value per sample), the constants ``pi`` and ``e``,
``+ - * / **`` and unary signs, and calls of the functions in :data:`FUNCTIONS`: element-wise
maths, reductions over every axis but the sample axis (``mean``, ``sum``, ``max``, ``min``),
``roll(a, shift, axis)`` (periodic shift; axis counts the non-sample axes, negative from the
end) and ``channel(x, k)``. Attribute access, subscripts, strings, keywords and anything
else are refused, as in :mod:`physlens.formula`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import numpy as np

CONFIGURATIONS = "x"
CONSTANTS = {"pi": np.pi, "e": np.e}
MAX_LENGTH = 2000


def _over_lattice(f: Callable) -> Callable:
    """A reduction over every axis except the first (the sample axis)."""

    def reduce(a):
        a = np.asarray(a, float)
        return f(a.reshape(len(a), -1), axis=1) if a.ndim > 1 else a

    return reduce


def _roll(a, shift, axis):
    a = np.asarray(a)
    axis = int(axis)
    if not -(a.ndim - 1) <= axis < a.ndim - 1:
        raise ValueError(f"roll axis {axis} outside the {a.ndim - 1} non-sample axes")
    return np.roll(a, int(shift), axis=axis if axis < 0 else axis + 1)


def _channel(a, k):
    a = np.asarray(a)
    if a.ndim < 3:
        raise ValueError(f"channel() needs configurations with a channel axis, got shape {a.shape}")
    return a[:, int(k)]


FUNCTIONS: dict[str, Callable] = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "atan": np.arctan,
    "atan2": np.arctan2,
    "sign": np.sign,
    "square": np.square,
    "cube": lambda a: np.power(a, 3),
    "floor": np.floor,
    "round": np.round,
    "mean": _over_lattice(np.mean),
    "sum": _over_lattice(np.sum),
    "max": _over_lattice(np.max),
    "min": _over_lattice(np.min),
    "roll": _roll,
    "channel": _channel,
    "equal": lambda a, b: (np.asarray(a) == np.asarray(b)).astype(float),
}

_BINARY = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}


class ExpressionError(ValueError):
    """An expression outside the grammar, or one that names an unknown quantity."""


def parse_expression(text: str, names) -> ast.Expression:
    """The syntax tree of `text`, checked against the grammar; `names` are the observables
    it may use (besides ``x`` and the constants)."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"expression {text!r} is empty or not a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression of {len(text)} characters is longer than {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"expression {text!r} does not parse: {exc.msg}") from None
    allowed = set(names) | {CONFIGURATIONS} | set(CONSTANTS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in allowed and node.id not in FUNCTIONS:
            raise ExpressionError(
                f"expression {text!r}: unknown name {node.id!r} (known: {CONFIGURATIONS}, "
                f"{', '.join(sorted(set(names)))}, pi, e)"
            )
    _check(tree.body, text)
    return tree


def _check(node, text: str) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return
    if isinstance(node, ast.Name):
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text)
        _check(node.right, text)
        return
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, text)
        return
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and not node.keywords
    ):
        for a in node.args:
            _check(a, text)
        return
    raise ExpressionError(
        f"expression {text!r}: {ast.unparse(node)!r} is not allowed (numbers, names, "
        f"+ - * / **, and calls of {', '.join(sorted(FUNCTIONS))})"
    )


def _evaluate(node, values: Mapping[str, np.ndarray]):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return CONSTANTS[node.id] if node.id in CONSTANTS else values[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values), _evaluate(node.right, values))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, values))
    return FUNCTIONS[node.func.id](*(_evaluate(a, values) for a in node.args))


def evaluate_expression(
    text: str, configurations: np.ndarray, observables: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Evaluate `text` on the configurations (sample, ...) and observables (sample,); the
    result must hold one value per sample."""
    tree = parse_expression(text, observables)
    values = {CONFIGURATIONS: np.asarray(configurations, float), **observables}
    with np.errstate(all="ignore"):  # non-finite results are reported by the caller
        out = np.asarray(_evaluate(tree.body, values), float)
    n = len(configurations)
    if out.ndim == 0:
        out = np.full(n, float(out))
    if out.shape != (n,):
        raise ExpressionError(
            f"expression {text!r} gives shape {out.shape}, expected ({n},): reduce the "
            "configurations with mean(), sum(), max() or min()"
        )
    return out
