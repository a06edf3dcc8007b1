"""Symbolic regression: recover known formulas, select from the front, compare with sympy."""

import json
import sys
import time

import numpy as np
import pytest
import sympy

from physlens import symbolic as S
from physlens.seeding import rng

# small budgets: each search takes about a second on one core
SMALL = dict(population_size=300, generations=40, max_complexity=25, unary_operators=[])


def _data(key, n, k, low, high):
    return rng(2024, "test_symbolic", key).uniform(low, high, size=(n, k))


# --- model selection ---------------------------------------------------------------------


def test_pareto_filter_keeps_only_improvements():
    c = np.array([5, 1, 3, 3, 7, 9])
    loss = np.array([0.2, 1.0, 0.5, 0.4, 0.3, 0.01])
    idx = S.pareto_filter(c, loss)
    assert list(c[idx]) == [1, 3, 5, 9] and list(loss[idx]) == [1.0, 0.4, 0.2, 0.01]


def test_select_model_takes_the_knee():
    # loss collapses at complexity 5 (the true formula); later terms only fit noise
    c = np.array([1, 3, 5, 7, 9])
    loss = np.array([1.0, 0.5, 1e-4, 0.9e-4, 0.8e-4])
    assert S.select_model(c, loss) == 2
    # an exact fit (loss 0) is not a division by zero and wins
    assert S.select_model(c, np.array([1.0, 0.5, 0.0, 0.0, 0.0])) == 2
    # the loss-ratio filter: a steep early drop to a still-bad loss is not eligible
    assert S.select_model(np.array([1, 2, 10]), np.array([1.0, 1e-2, 1e-3])) == 2


# --- equivalence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, target, up_to, expected",
    [
        ("x*y", "y*x", "exact", True),
        ("(x + y)**2", "x**2 + 2*x*y + y**2", "exact", True),
        ("3.0002*N*T/V", "N*T/V", "scale", True),
        ("3.0002*N*T/V", "N*T/V", "exact", False),
        ("-2*x + 1.5", "x", "affine", True),
        ("-2*x + 1.5", "x", "scale", False),
        ("tanh(3*x) - 7", "x", "monotone", True),
        ("tanh(3*x)", "x", "affine", False),
        ("x*y", "x + y", "monotone", False),
        ("x**2", "x", "monotone", True),  # on the default positive domain
        ("1/(1 + exp(-(8*M - 3)))", "M", "monotone", True),
        ("2.0", "x", "affine", False),  # a constant is no affine image of x
        ("x0*x3 - x1*x2 + 1e-4*x0", "x0*x3 - x1*x2", "exact", False),
    ],
)
def test_equivalent(expr, target, up_to, expected):
    assert bool(S.equivalent(expr, target, up_to, tol=1e-5)) is expected


def test_monotone_equivalence_depends_on_where_the_data_live():
    x = np.linspace(-1, 1, 101)
    assert not S.equivalent("x**2", "x", "monotone", data={"x": x})
    assert S.equivalent("x**2", "x", "monotone", data={"x": x[x >= 0]})


def test_symbol_names_that_are_sympy_objects():
    # 'N', 'E', 'S', 'I' are sympy objects when parsed naively
    assert S.equivalent("E*N/S + I", "I + N*E/S", "exact")
    assert S.equivalent(sympy.Symbol("E") * 2, "E", "scale")


# --- engines -----------------------------------------------------------------------------


def test_auto_engine_falls_back_to_operon_with_a_reason():
    ok, reason = S.pysr_available()
    assert isinstance(reason, str) and reason
    if ok:
        assert S.resolve_engine("auto") == "pysr"
    else:
        assert S.resolve_engine("auto") == "operon"
        with pytest.raises(RuntimeError, match="PySR is unavailable"):
            S.resolve_engine("pysr")
    with pytest.raises(ValueError, match="engine = 'julia'"):
        S.resolve_engine("julia")


def test_pysr_probe_cannot_hang(tmp_path, monkeypatch):
    """A pysr whose import blocks (as a Julia download would) is reported, not waited for."""
    (tmp_path / "pysr.py").write_text("import time\ntime.sleep(60)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    t0 = time.perf_counter()
    ok, reason = S.pysr_available.__wrapped__(timeout_s=2)
    assert not ok and "did not finish within 2 s" in reason
    assert time.perf_counter() - t0 < 15  # the probe gave up; nothing was imported in-process
    assert "pysr" not in sys.modules


@pytest.mark.parametrize(
    "key, names, truth, noise, relation",
    [
        ("products", ["x0", "x1", "x2", "x3"], "x0*x3 - x1*x2", 0.0, "exact"),
        ("three_products", [f"x{i}" for i in range(6)], "x0*x1 + x2*x3 + x4*x5", 0.0, "exact"),
        # ideal gas P = N k T / V: units make it scale-free, so compare up to a constant factor
        ("ideal_gas", ["N", "T", "V"], "N*T/V", 0.01, "scale"),
    ],
)
def test_recovers_known_formulas_with_operon(key, names, truth, noise, relation):
    n = 300
    if key == "ideal_gas":
        X = np.column_stack([_data(key + "N", n, 1, 1, 10), _data(key + "TV", n, 2, 1, 5)])
    else:
        X = _data(key, n, len(names), -2, 2)
    target = sympy.sympify(truth, locals={v: sympy.Symbol(v) for v in names})
    y = S.evaluate(target, X, names)
    y = y * (1 + noise * rng(2024, "test_symbolic", key, "noise").standard_normal(n))
    res = S.fit_formula(X, y, names, engine="operon", seed=11, **SMALL)
    # exact data: the formula must be exact up to the engine's fitted scale/offset (~1e-6)
    tol = 1e-2 if noise else 1e-5
    verdict = S.equivalent(res.sympy_expr, truth, relation, tol=tol)
    assert verdict, f"{res.expression} vs {truth}: {verdict}"
    assert res.engine == "operon" and res.engine_version != "unknown"
    assert res.pareto.selected.sum() == 1 and res.pareto.complexity.is_monotonic_increasing
    assert res.pareto.loss.is_monotonic_decreasing
    assert res.latex and res.wall_time_s > 0
    json.dumps(res.to_dict(), default=lambda o: o.item())  # JSON-ready for write_json


def test_same_seed_same_formula():
    X = _data("det", 200, 3, 1, 3)
    y = X[:, 0] * X[:, 1] / X[:, 2]
    budget = dict(population_size=100, generations=10, max_complexity=15, unary_operators=[])
    a = S.fit_formula(X, y, ["a", "b", "c"], engine="operon", seed=5, **budget)
    b = S.fit_formula(X, y, ["a", "b", "c"], engine="operon", seed=5, **budget)
    assert a.pareto.equals(b.pareto) and a.expression == b.expression


def test_restarts_merge_fronts_and_never_lose_the_first_search():
    X = _data("restart", 200, 3, 1, 3)
    y = X[:, 0] * X[:, 1] - X[:, 2] ** 2
    budget = dict(population_size=30, generations=3, max_complexity=15, unary_operators=[])
    one = S.fit_formula(X, y, ["a", "b", "c"], engine="operon", seed=5, **budget)
    three = S.fit_formula(X, y, ["a", "b", "c"], engine="operon", seed=5, restarts=3, **budget)
    # the merged front contains the first search (same seed): at every complexity it is as
    # good, and it is the Pareto front of the union (loss falls with complexity)
    for c, loss in zip(one.pareto["complexity"], one.pareto["loss"]):
        assert three.pareto.loc[three.pareto["complexity"] <= c, "loss"].min() <= loss
    assert np.all(np.diff(three.pareto["loss"].values) < 0)


@pytest.mark.skipif(
    not S.pysr_available()[0], reason=f"PySR unusable here: {S.pysr_available()[1]}"
)
def test_recovers_product_formula_with_pysr():
    X = _data("pysr", 200, 4, -2, 2)
    y = X[:, 0] * X[:, 3] - X[:, 1] * X[:, 2]
    res = S.fit_formula(
        X,
        y,
        ["x0", "x1", "x2", "x3"],
        engine="pysr",
        seed=3,
        niterations=30,
        populations=8,
        population_size=30,
        unary_operators=[],
    )
    assert res.engine == "pysr"
    assert S.equivalent(res.sympy_expr, "x0*x3 - x1*x2", "exact", tol=1e-4)


def test_bad_inputs_are_named():
    X, y = np.ones((10, 2)), np.ones(10)
    with pytest.raises(ValueError, match="unknown operator"):
        S.fit_formula(X, y, ["a", "b"], engine="operon", unary_operators=["gamma"])
    with pytest.raises(ValueError, match="2 columns but 3 feature names"):
        S.fit_formula(X, y, ["a", "b", "c"], engine="operon")
    with pytest.raises(TypeError, match="budget key"):
        S.fit_formula(X, y, ["a", "b"], engine="operon", generation=3)
    with pytest.raises(ValueError, match="finite"):
        S.fit_formula(X, np.full(10, np.nan), ["a", "b"], engine="operon")


# --- explaining a neuron -----------------------------------------------------------------


@pytest.fixture(scope="module")
def spin_observables():
    from physlens.observables import compute_observables

    g = rng(2024, "test_symbolic", "spins")
    n, L = 400, 10
    p_up = g.uniform(size=(n, 1, 1))
    spins = np.where(g.uniform(size=(n, L, L)) < p_up, 1, -1).astype(np.int8)
    return compute_observables(spins)


EXPLAIN = dict(
    engine="operon",
    seed=1,
    population_size=150,
    generations=15,
    max_complexity=12,
    unary_operators=["exp", "tanh"],
)


def test_explain_neuron_finds_the_observable_behind_a_decision_function(spin_observables):
    obs = spin_observables
    # a phase-classifier output sigmoid(8|M| - 3): a monotone map of |M| alone
    neuron = 1 / (1 + np.exp(-(8 * obs["abs_magnetization"].values - 3)))
    ex = S.explain_neuron(neuron, obs, **EXPLAIN)
    assert "abs_magnetization" in ex.monotone_equivalent_to
    assert not {"energy", "nn_correlation", "magnetization"} & set(ex.monotone_equivalent_to)
    assert ex.heldout_r2 > 0.99


def test_logit_link_recovers_the_decision_function_argument(spin_observables):
    obs = spin_observables
    neuron = 1 / (1 + np.exp(-(6 * obs["energy"].values + 2)))  # sigmoid(w E + b)
    ex = S.explain_neuron(neuron, obs, link="logit", **EXPLAIN)
    # the fitted argument is affine in E: energy and its exact affine equivalents, nothing else
    assert set(ex.affine_equivalent_to) == {"energy", "nn_correlation", "domain_wall_density"}
    assert ex.heldout_r2 > 0.999
    # and the decision function of a phase classifier comes back with its weights
    neuron = 1 / (1 + np.exp(-(8 * obs["abs_magnetization"].values - 3)))
    ex = S.explain_neuron(neuron, obs, link="logit", **EXPLAIN)
    assert S.equivalent(ex.result.sympy_expr, "8*abs_magnetization - 3", "exact", tol=1e-4)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        S.explain_neuron(obs["energy"].values, obs, link="logit", **EXPLAIN)


def test_default_budget_matches_the_config_schema(minimal_config):
    cfg = minimal_config
    sym = cfg["interpret"]["symbolic"]
    assert {k: sym[k] for k in S.DEFAULT_BUDGET} == S.DEFAULT_BUDGET
    kwargs = S.explain_kwargs(sym)
    assert kwargs["engine"] == "auto" and kwargs["tol"] == sym["equivalence_tolerance"]


def test_written_result_has_provenance(tmp_path):
    X = _data("write", 100, 2, 1, 2)
    res = S.fit_formula(
        X,
        X[:, 0] * X[:, 1],
        ["a", "b"],
        engine="operon",
        seed=1,
        population_size=50,
        generations=5,
        max_complexity=9,
        unary_operators=[],
    )
    S.write_symbolic(tmp_path / "fit.json", res, seed=1)
    doc = json.loads((tmp_path / "fit.json").read_text())
    assert doc["provenance"]["seed"] == 1 and doc["engine"] == "operon"
    assert sum(p["selected"] for p in doc["pareto"]) == 1
