"""Symbolic regression: fit a closed-form formula, pick it from the Pareto front, compare it.

Two engines behind one call, :func:`fit_formula`:

* ``pysr``   -- PySRRegressor (SymbolicRegression.jl). Needs a Julia runtime, which PySR
  downloads on first import; availability is probed in a *subprocess* with a timeout
  (:func:`pysr_available`), never by importing pysr here.
* ``operon`` -- pyoperon's scikit-learn SymbolicRegressor (C++; NSGA-II on (R^2, length)).
* ``auto``   -- PySR where its Julia runtime starts, pyoperon otherwise (logged).

Both engines return a Pareto front of (complexity, loss, expression). The formula is chosen
from the front by the *same* criterion for both engines (:func:`select_model`): PySR's
"best" rule -- among expressions whose loss is within a factor of the lowest loss, take the
one with the steepest drop of log(loss) per unit of complexity.

Fitted constants make purely symbolic comparison brittle (3.0001*x vs 3*x), so
:func:`equivalent` decides numerically: it evaluates both expressions on sample points and
tests the requested relation (identity, constant ratio, affine map, monotone map by rank
correlation); a symbolic identity check (sympy) is tried first and short-circuits only when
it proves the relation.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import sympy

from physlens.formula import FormulaError, parse_formula  # noqa: F401  (public here too)
from physlens.seeding import derive_seed
from physlens.seeding import rng as seeded_rng

log = logging.getLogger(__name__)

ENGINES = ("auto", "pysr", "operon")
BINARY_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}  # canonical -> PySR
UNARY_OPERATORS = ("exp", "log", "sqrt", "tanh", "sin", "cos", "square", "abs")
RELATIONS = ("exact", "scale", "affine", "monotone")

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


# --- results -----------------------------------------------------------------------------


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


# --- engine availability ---------------------------------------------------------------


@cache
def pysr_available(timeout_s: float = 120.0) -> tuple[bool, str]:
    """(available, reason). Probes `import pysr` in a subprocess so a Julia download or hang
    can never block or pollute this process; offline, juliapkg is told not to fetch."""
    if importlib.util.find_spec("pysr") is None:
        return False, "the pysr package is not installed"
    env = dict(os.environ, PYTHON_JULIAPKG_OFFLINE=os.environ.get("PYTHON_JULIAPKG_OFFLINE", "yes"))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "import pysr, juliacall; print(pysr.__version__)"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return (
            False,
            f"importing pysr did not finish within {timeout_s:g} s (Julia runtime not ready)",
        )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return False, f"importing pysr failed: {last}"
    return True, f"pysr {proc.stdout.strip()} with a working Julia runtime"


def resolve_engine(engine: str) -> str:
    """Map 'auto' to a concrete engine; fail clearly when 'pysr' is asked for but absent."""
    if engine not in ENGINES:
        raise ValueError(f"interpret.symbolic.engine = {engine!r}: choose one of {ENGINES}")
    if engine == "operon":
        return engine
    ok, reason = pysr_available()
    if engine == "pysr" and not ok:
        raise RuntimeError(f"interpret.symbolic.engine = 'pysr' but PySR is unavailable: {reason}")
    chosen = "pysr" if ok else "operon"
    if engine == "auto":
        log.info("symbolic regression engine 'auto' -> %s (%s)", chosen, reason)
    return chosen


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


# --- model selection -------------------------------------------------------------------


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


# --- expressions -----------------------------------------------------------------------

_SYMPY_FUNCS = {
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "tanh": sympy.tanh,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "abs": sympy.Abs,
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "sqrtabs": lambda x: sympy.sqrt(sympy.Abs(x)),
    "logabs": lambda x: sympy.log(sympy.Abs(x)),
    "aq": lambda x, y: x / sympy.sqrt(1 + y**2),
}


def _placeholders(n: int) -> list[sympy.Symbol]:
    return [sympy.Symbol(f"x{i}", real=True) for i in range(n)]


def parse_expression(text: str, n_features: int) -> sympy.Expr:
    """Parse an engine's infix string written in placeholders x0..x{n-1}."""
    local = {f"x{i}": s for i, s in enumerate(_placeholders(n_features))}
    local.update(_SYMPY_FUNCS)
    return sympy.sympify(text.replace("^", "**"), locals=local)


def rename(expr: sympy.Expr, feature_names: Sequence[str]) -> sympy.Expr:
    """Replace placeholders x_i by symbols named after the features (via subs, never by
    parsing names: 'N', 'E', 'S', 'I' would otherwise parse as sympy objects)."""
    return expr.xreplace(
        {
            p: sympy.Symbol(n, real=True)
            for p, n in zip(_placeholders(len(feature_names)), feature_names)
        }
    )


def _round_floats(expr: sympy.Expr, digits: int = 4) -> sympy.Expr:
    return expr.xreplace({f: sympy.Float(f, digits) for f in expr.atoms(sympy.Float)})


def _clean(expr: sympy.Expr) -> sympy.Expr:
    """Drop additive/multiplicative constants that are numerically nothing (engine residue)."""
    tiny = {f: 0 for f in expr.atoms(sympy.Float) if abs(float(f)) < 1e-10}
    return expr.xreplace(tiny) if tiny else expr


def _simplify(expr: sympy.Expr, max_ops: int = 80) -> sympy.Expr:
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


# --- engines -----------------------------------------------------------------------------


def _fit_operon(X, y, budget, seed):
    from pyoperon.sklearn import SymbolicRegressor

    symbols = list(budget["binary_operators"]) + list(budget["unary_operators"])
    reg = SymbolicRegressor(
        allowed_symbols=",".join(symbols + ["constant", "variable"]),
        objectives=["r2", "length"],  # NSGA-II: a whole accuracy/size front
        optimizer="lm",
        optimizer_iterations=5,  # local Levenberg-Marquardt tuning of constants
        max_length=int(budget["max_complexity"]),
        population_size=int(budget["population_size"]),
        generations=int(budget["generations"]),
        max_evaluations=10**9,  # budgeted by generations and time, not evaluations
        max_time=int(budget["time_limit_s"]),
        random_state=int(seed % 2**32),
        n_threads=1,  # deterministic for a fixed seed
    )
    reg.fit(X, y)
    names = [f"x{i}" for i in range(X.shape[1])]
    rows = [
        (p["length"], p["mean_squared_error"], reg.get_model_string(p["tree"], 12, names=names))
        for p in reg.pareto_front_
    ]
    return rows, _version("pyoperon")


def _fit_pysr(X, y, budget, seed):
    from pysr import PySRRegressor  # only reached after pysr_available() said yes

    model = PySRRegressor(
        binary_operators=[BINARY_OPERATORS[b] for b in budget["binary_operators"]],
        unary_operators=list(budget["unary_operators"]),
        niterations=int(budget["niterations"]),
        populations=int(budget["populations"]),
        population_size=int(budget["population_size"]),
        maxsize=int(budget["max_complexity"]),
        timeout_in_seconds=float(budget["time_limit_s"]),
        model_selection="best",
        parallelism="serial",  # with deterministic=True and random_state: reproducible
        deterministic=True,
        random_state=int(seed % 2**32),
        progress=False,
        verbosity=0,
        temp_equation_file=True,
        delete_tempfiles=True,
    )
    model.fit(X, y, variable_names=[f"x{i}" for i in range(X.shape[1])])
    eq = model.equations_
    rows = [
        (int(c), float(loss), str(s))
        for c, loss, s in zip(eq["complexity"], eq["loss"], eq["sympy_format"])
    ]
    return rows, _version("pysr")


# --- public API -------------------------------------------------------------------------


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
    fit = _fit_pysr if concrete == "pysr" else _fit_operon
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
    exprs = [_clean(rename(parse_expression(rows[i][2], X.shape[1]), feature_names)) for i in front]
    chosen = select_model(complexity, loss, budget["selection_loss_ratio"])

    expr = exprs[chosen]
    simple = _round_floats(_simplify(_round_floats(expr, 6)), 4)
    pareto = pd.DataFrame(
        {
            "complexity": complexity.astype(int),
            "loss": loss,
            "expression": [str(_round_floats(e, 4)) for e in exprs],
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


def as_expr(e) -> sympy.Expr:
    """A sympy expression; in strings every identifier that is not a function is a symbol."""
    if isinstance(e, sympy.Basic):
        return e
    return parse_formula(str(e), functions=_SYMPY_FUNCS, constants={})


_as_expr = as_expr  # early callers used the private name


def _symbolic_relation(expr, target, up_to) -> bool:
    """True only when sympy proves the relation; False means 'not proved', not 'false'.
    (Affine and monotone relations are left to the numeric test.)"""
    try:
        if up_to == "exact":
            return _simplify(expr - target) == 0
        if up_to == "scale":
            ratio = _simplify(expr / target)
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


LINKS = ("identity", "logit")


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


def write_symbolic(path, obj: SymbolicResult | NeuronExplanation, seed: int | None = None) -> None:
    """Write a fit (or a neuron explanation) as JSON, atomically, with provenance."""
    from physlens.io import write_json
    from physlens.provenance import base_attrs

    write_json(
        path, {"provenance": base_attrs(seed, algorithm="symbolic regression"), **obj.to_dict()}
    )
