"""Formulas read from result files are parsed, never evaluated as Python."""

import json

import numpy as np
import pytest
import sympy

from physlens.formula import FormulaError, parse_formula
from physlens.symbolic import as_expr

MALICIOUS = [
    "__import__('os').system('touch PWNED')",
    "().__class__.__bases__[0].__subclasses__()",
    "exec('x = 1')",
    "eval('1')",
    "open('/etc/passwd').read()",
    "lambda: 1",
    "x.__class__",
    "x[0]",
    "'abc'",
    "exp(x, base=2)",
    "[x for x in (1, 2)]",
    "9**9**9**9",
    "Symbol('y')",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_malicious_text_is_refused_and_runs_nothing(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormulaError):
        parse_formula(text, ["x"])
    assert not (tmp_path / "PWNED").exists()


def test_unknown_names_are_refused():
    with pytest.raises(FormulaError, match="unknown name 'y'"):
        parse_formula("x + y", ["x"])


def test_formulas_parse_to_the_same_function():
    x, w = sympy.Symbol("x", real=True), sympy.Symbol("domain_wall_density", real=True)
    assert parse_formula("x^2 - 3*x + 1/2", ["x"]) == x**2 - 3 * x + sympy.Rational(1, 2)
    e = parse_formula("7.231 - 65.19*tanh(0.6931*domain_wall_density)", [w.name])
    f = sympy.lambdify(w, e)
    assert f(0.3) == pytest.approx(7.231 - 65.19 * np.tanh(0.6931 * 0.3), rel=1e-12)
    assert parse_formula("-sqrtabs(x) + pi", ["x"]) == -sympy.sqrt(sympy.Abs(x)) + sympy.pi


def test_as_expr_keeps_every_identifier_a_symbol():
    e = as_expr("E*x + N")
    assert {s.name for s in e.free_symbols} == {"E", "x", "N"}
    with pytest.raises(FormulaError):
        as_expr("__import__('os').getcwd()")


def test_crafted_symbolic_json_is_refused_by_parsimony(tmp_path):
    from physlens.representations.parsimony import formula_candidate

    doc = {
        "feature_names": ["energy"],
        "expression_full": "__import__('os').system('touch PWNED')",
        "expression": "x",
        "pareto": [{"complexity": 3}],
        "selected": 0,
    }
    (tmp_path / "symbolic.json").write_text(json.dumps(doc))
    with pytest.raises(FormulaError):
        formula_candidate(doc, {"energy": np.linspace(-2, 0, 5)}, "complexity")
    doc["expression_full"] = "2*energy + 1"
    pred, k, _ = formula_candidate(doc, {"energy": np.linspace(-2, 0, 5)}, "complexity")
    assert np.allclose(pred, 2 * np.linspace(-2, 0, 5) + 1) and k == 3
