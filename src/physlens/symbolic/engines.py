"""Symbolic-regression engines behind :func:`physlens.symbolic.fit_formula`.

* ``pysr``   -- PySRRegressor (SymbolicRegression.jl). Needs a Julia runtime, which PySR
  downloads on first import; availability is probed in a *subprocess* with a timeout
  (:func:`pysr_available`), never by importing pysr here.
* ``operon`` -- pyoperon's scikit-learn SymbolicRegressor (C++; NSGA-II on (R^2, length)).
* ``auto``   -- PySR where its Julia runtime starts, pyoperon otherwise (logged).

Each engine returns its Pareto front as rows (complexity, loss, expression in placeholders
x0..x{n-1}) and its version.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
from functools import cache

log = logging.getLogger(__name__)


ENGINES = ("auto", "pysr", "operon")
BINARY_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}  # canonical -> PySR
UNARY_OPERATORS = ("exp", "log", "sqrt", "tanh", "sin", "cos", "square", "abs")


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


def fit_operon(X, y, budget, seed):
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


def fit_pysr(X, y, budget, seed):
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
