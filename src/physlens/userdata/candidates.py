"""Candidate observables of a user's data set: the built-in registry's (physlens.observables)
for a system physlens knows, the user's own functions, joined to the registry under the
data set's system, precomputed variables of the file, and vectorised expressions.

A user function takes the configurations as stored, (sample, ...), and returns one number
per sample; its docstring's first line becomes its description and an optional ``unit``
attribute its unit. Whatever goes wrong (a module that cannot be imported, a function that
is missing or raises, a wrong shape, a non-finite value, two candidates with one name) stops
with one message naming the config key, the module or expression, and the data file.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from physlens import observables as registry
from physlens.userdata.dataset import UserDataError, UserDataset
from physlens.userdata.expressions import ExpressionError, evaluate_expression

KEY = "userdata.observables"
# (system, name) of every observable a user's module registered in this process: loading the
# module again replaces them, while a clash with a built-in observable stays an error
_USER_REGISTERED: set[tuple[str, str]] = set()


class UserObservableError(UserDataError):
    """A user's observable cannot be loaded or computed."""


@dataclass(frozen=True)
class Candidate:
    name: str
    source: str  # builtin, function, precomputed or expression
    description: str
    unit: str


def load_module(spec: str, base_dir=".") -> ModuleType:
    """A Python file (relative to `base_dir`, the working directory) or an importable module."""
    if spec.endswith(".py") or "/" in spec:
        path = Path(base_dir) / spec
        if not path.is_file():
            raise UserObservableError(f"{KEY}.module = {spec!r}: file {path} not found")
        module_spec = importlib.util.spec_from_file_location(f"physlens_user_{path.stem}", path)
        module = importlib.util.module_from_spec(module_spec)
        loader = module_spec.loader.exec_module
    else:
        module, loader = None, None
    try:
        if loader is not None:
            loader(module)
            return module
        return importlib.import_module(spec)
    except Exception as exc:  # the user's code may raise anything while it is imported
        raise UserObservableError(
            f"{KEY}.module = {spec!r}: importing it raised {type(exc).__name__}: {exc}"
        ) from exc


def ensure_system(system: str) -> bool:
    """Register `system` for user observables if physlens does not know it; True when it is
    a built-in system (its registered observables are candidates too)."""
    if system in registry.list_systems() and any(
        (system, n) not in _USER_REGISTERED for n in registry.list_observables(system)
    ):
        return True
    if system not in registry.list_systems():
        registry.register_system(system, "user configurations (sample, ...)", np.asarray)
    return False


def register_functions(module: ModuleType, names, system: str, spec: str) -> list[Candidate]:
    """Join the module's functions `names` to the registry under `system`."""
    out = []
    for name in names:
        fn = getattr(module, name, None)
        if not callable(fn):
            raise UserObservableError(
                f"{KEY}.functions: {name!r} is not a function of module {spec!r}"
            )
        if name in registry.list_observables(system) and (system, name) not in _USER_REGISTERED:
            raise UserObservableError(
                f"{KEY}.functions: {name!r} of {spec!r} has the name of a built-in {system} "
                "observable; rename the function"
            )
        doc = (fn.__doc__ or "").strip().splitlines()
        desc = doc[0] if doc else f"{spec}:{name}"
        unit = str(getattr(fn, "unit", "1"))
        registry.register_observable(name, system, desc, unit, replace=True)(fn)
        _USER_REGISTERED.add((system, name))
        out.append(Candidate(name, "function", desc, unit))
    return out


def _checked(values, n: int, what: str, path) -> np.ndarray:
    values = np.asarray(values, float)
    if values.shape != (n,):
        raise UserObservableError(
            f"{what} returned shape {values.shape} on the configurations of {path}, "
            f"expected ({n},): one number per sample"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        raise UserObservableError(
            f"{what} is not finite (NaN or inf) on {int(bad.sum())} sample(s) of {path}, "
            f"first at sample {int(np.flatnonzero(bad)[0])}"
        )
    return values


def _add(table: dict, meta: dict, cand: Candidate, values) -> None:
    if cand.name in table:
        raise UserObservableError(
            f"{KEY}: two candidates are named {cand.name!r} ({meta[cand.name].source} and "
            f"{cand.source}); rename one"
        )
    table[cand.name] = values
    meta[cand.name] = cand


def _same_as_builtin(name: str, stored, computed, path) -> None:
    """A stored variable named like a built-in observable must be that observable (a
    Monte Carlo code's own energy, say); then the built-in one stands for both."""
    diff = float(np.max(np.abs(np.asarray(stored, float) - computed)))
    if diff > 1e-6 * max(1.0, float(np.max(np.abs(computed)))):
        raise UserObservableError(
            f"{path}: variable {name!r} differs from the built-in observable {name!r} computed "
            f"from the configurations (by up to {diff:.3g}); rename it or list the precomputed "
            "observables in userdata.variables.observables"
        )


def _builtins(data: UserDataset, system: str, table: dict, meta: dict) -> None:
    names = [n for n in registry.list_observables(system) if (system, n) not in _USER_REGISTERED]
    try:
        ds = registry.compute_observables(data.configurations, names, system)
    except (ValueError, TypeError) as exc:
        raise UserObservableError(
            f"userdata.system = {system!r}: the built-in {system} observables refuse the "
            f"configurations of {data.path}: {exc} (set {KEY}.builtin: false)"
        ) from exc
    for n in names:
        obs = registry.get_observable(n, system)
        _add(table, meta, Candidate(n, "builtin", obs.description, obs.unit), ds[n].values)


def candidate_observables(
    data: UserDataset, system: str, cfg: dict, base_dir="."
) -> tuple[dict[str, np.ndarray], dict[str, Candidate]]:
    """name -> (sample,) values and name -> Candidate, in the order: built-in, functions,
    precomputed, expressions (each expression may use every candidate before it)."""
    table: dict[str, np.ndarray] = {}
    meta: dict[str, Candidate] = {}
    builtin = ensure_system(system)
    user = []
    if cfg.get("functions"):
        if not cfg.get("module"):
            raise UserObservableError(f"{KEY}.functions is set but {KEY}.module is not")
        module = load_module(cfg["module"], base_dir)
        user = register_functions(module, cfg["functions"], system, cfg["module"])
    if builtin and cfg.get("builtin", True):
        _builtins(data, system, table, meta)
    for cand in user:
        fn = registry.get_observable(cand.name, system)
        what = f"{KEY}.functions: {cfg['module']}:{cand.name}"
        try:
            values = fn(data.configurations)
        except Exception as exc:  # the user's code may raise anything
            raise UserObservableError(
                f"{what} raised {type(exc).__name__}: {exc} on the configurations of {data.path}"
            ) from exc
        _add(table, meta, cand, _checked(values, data.n, what, data.path))
    for name, values in data.observables.items():
        if name in table and meta[name].source == "builtin":
            _same_as_builtin(name, values, table[name], data.path)
            continue
        _add(table, meta, Candidate(name, "precomputed", f"{name} from {data.path}", "1"), values)
    for name, text in (cfg.get("expressions") or {}).items():
        what = f"{KEY}.expressions.{name} = {text!r}"
        try:
            values = evaluate_expression(text, data.configurations, table)
        except (ExpressionError, ValueError, TypeError, IndexError) as exc:
            raise UserObservableError(f"{what}: {exc} (data {data.path})") from exc
        _add(
            table,
            meta,
            Candidate(name, "expression", text, "1"),
            _checked(values, data.n, what, data.path),
        )
    if not table:
        raise UserObservableError(
            f"{KEY}: no candidate observables for {data.path} (system {system!r} has no built-in "
            "ones): give functions, expressions or precomputed variables"
        )
    return table, meta
