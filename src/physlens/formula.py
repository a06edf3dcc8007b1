"""A restricted formula parser: text read from result files becomes a sympy expression
without ever being evaluated as Python.

``sympy.sympify`` runs ``eval`` on its input, so a crafted ``symbolic.json`` could run code.
:func:`parse_formula` instead parses the text with Python's ``ast`` (which only builds a
tree) and converts a whitelist of node types: numbers, names of features and constants,
+ - * / ** (``^`` too), unary signs, and calls of named functions. Anything else (attribute
access, subscripts, strings, lambdas, keywords, comprehensions, dunder names) is refused.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping

import sympy

MAX_LENGTH = 20_000
MAX_INT_EXPONENT = 64  # 9**9**9 would otherwise exhaust memory while sympy evaluates it

FUNCTIONS: dict[str, Callable] = {
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "atan": sympy.atan,
    "abs": sympy.Abs,
    "Abs": sympy.Abs,
    "sign": sympy.sign,
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "sqrtabs": lambda x: sympy.sqrt(sympy.Abs(x)),
    "logabs": lambda x: sympy.log(sympy.Abs(x)),
    "aq": lambda x, y: x / sympy.sqrt(1 + y**2),
}
CONSTANTS = {"pi": sympy.pi, "E": sympy.E}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}


class FormulaError(ValueError):
    """The text is not a formula in the allowed grammar."""


def parse_formula(
    text: str,
    names: Iterable[str] | None = None,
    functions: Mapping[str, Callable] | None = None,
    constants: Mapping[str, sympy.Expr] | None = None,
) -> sympy.Expr:
    """Parse `text` into a sympy expression in real symbols.

    `names`: the allowed variable names (None: any identifier that is not a function or a
    constant, except ones starting with an underscore). `functions`: callables by name
    (default :data:`FUNCTIONS`); `constants` likewise (default pi and E, {} for none).
    Raises FormulaError on anything outside the grammar.
    """
    if not isinstance(text, str):
        raise FormulaError(f"formula must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula of {len(text)} characters is longer than {MAX_LENGTH}")
    try:
        tree = ast.parse(text.replace("^", "**").strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula {text!r} does not parse: {exc.msg}") from None
    funcs = FUNCTIONS if functions is None else functions
    allowed = None if names is None else set(names)
    consts = CONSTANTS if constants is None else constants
    return _convert(tree.body, text, allowed, funcs, consts)


def _convert(node, text, allowed, funcs, consts):
    def go(n):
        return _convert(n, text, allowed, funcs, consts)

    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"formula {text!r}: constant {node.value!r} is not a number")
        return sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value)
    if isinstance(node, ast.Name):
        return _name(node.id, text, allowed, funcs, consts)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = go(node.left), go(node.right)
        if isinstance(node.op, ast.Pow) and right.is_Integer and abs(int(right)) > MAX_INT_EXPONENT:
            raise FormulaError(f"formula {text!r}: exponent {right} is too large")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](go(node.operand))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in funcs
        and not node.keywords
    ):
        return funcs[node.func.id](*(go(a) for a in node.args))
    what = type(node).__name__
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        what = f"call of {node.func.id!r}"
    raise FormulaError(
        f"formula {text!r}: {what} is not allowed (numbers, names, + - * / ** and {sorted(funcs)})"
    )


def _name(name, text, allowed, funcs, consts):
    if name in consts and (allowed is None or name not in allowed):
        return consts[name]
    if name.startswith("_") or name in funcs:
        raise FormulaError(f"formula {text!r}: name {name!r} is not allowed here")
    if allowed is not None and name not in allowed:
        raise FormulaError(f"formula {text!r}: unknown name {name!r} (allowed: {sorted(allowed)})")
    return sympy.Symbol(name, real=True)
