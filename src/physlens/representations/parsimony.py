"""Parsimony: compare candidate explanations of a unit by the Bayesian information criterion.

Each candidate is a prediction of the unit's output (a monotone fit of an observable, a
symbolic formula) with its number of free parameters. BIC = n ln(RSS/n) + k ln n under a
Gaussian residual model; Schwarz weights exp(-dBIC/2), normalised, approximate the posterior
probability of each candidate under equal priors (Vasudevan et al.: simplest adequate
explanation wins). The Akaike criterion AIC = n ln(RSS/n) + 2k and its weights are listed
beside them: AIC penalises parameters less (2 instead of ln n each). The candidates of a
decision neuron are :func:`explanation_candidates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import xarray as xr


def bic(y: np.ndarray, prediction: np.ndarray, n_params: int) -> float:
    y, prediction = np.asarray(y, float), np.asarray(prediction, float)
    n = len(y)
    rss = float(np.sum((y - prediction) ** 2))
    rss = max(rss, n * np.finfo(float).tiny)  # exact fits: avoid log(0)
    return n * np.log(rss / n) + n_params * np.log(n)


def aic(y: np.ndarray, prediction: np.ndarray, n_params: int) -> float:
    y, prediction = np.asarray(y, float), np.asarray(prediction, float)
    n = len(y)
    return bic(y, prediction, n_params) - n_params * np.log(n) + 2 * n_params


def _weights(delta: pd.Series) -> pd.Series:
    w = np.exp(-0.5 * delta)
    return w / w.sum()


def compare_explanations(
    y: np.ndarray, candidates: dict[str, tuple[np.ndarray, int]]
) -> pd.DataFrame:
    """Table of BIC, dBIC and Schwarz weight (``weight``) per candidate, best (lowest BIC)
    first; AIC, dAIC and the Akaike weight beside them."""
    rows = [
        {"candidate": name, "n_params": k, "bic": bic(y, pred, k), "aic": aic(y, pred, k)}
        for name, (pred, k) in candidates.items()
    ]
    df = pd.DataFrame(rows)
    df["delta_bic"] = df["bic"] - df["bic"].min()
    df["weight"] = _weights(df["delta_bic"])
    df["delta_aic"] = df["aic"] - df["aic"].min()
    df["akaike_weight"] = _weights(df["delta_aic"])
    return df.sort_values("bic", kind="stable").reset_index(drop=True)


def polynomial_candidate(y, q, degree: int) -> np.ndarray:
    """In-sample least-squares polynomial of `degree` in standardised q (degree + 1 parameters)."""
    q = np.asarray(q, float)
    z = (q - q.mean()) / (q.std() or 1.0)
    coef = np.polynomial.polynomial.polyfit(z, np.asarray(y, float), degree)
    return np.polynomial.polynomial.polyval(z, coef)


def isotonic_candidate(y, q) -> tuple[np.ndarray, int]:
    """Monotone (isotonic) fit in the direction of the rank correlation; its effective number
    of parameters is the number of constant blocks (Meyer & Woodroofe 2000)."""
    from sklearn.isotonic import IsotonicRegression

    from physlens.interpret.probing import spearman

    y, q = np.asarray(y, float), np.asarray(q, float)
    pred = IsotonicRegression(increasing=spearman(y, q) >= 0).fit_transform(q, y)
    return pred, int(len(np.unique(pred)))


def formula_candidate(
    symbolic: dict, observables: Mapping[str, np.ndarray], penalty: str
) -> tuple[np.ndarray, int, str]:
    """Prediction of a symbolic fit (physlens.symbolic JSON) on the data, its parameter count
    (`penalty`: 'complexity' = expression nodes of the chosen Pareto member, 'constants' =
    fitted numbers in it) and the formula."""
    import sympy

    from physlens.formula import parse_formula
    from physlens.symbolic import evaluate

    names = list(symbolic["feature_names"])
    missing = [n for n in names if n not in observables]
    if missing:
        raise KeyError(
            f"symbolic formula uses {missing}, not among the observables {list(observables)}"
        )
    expr = parse_formula(symbolic["expression_full"], names)
    X = np.column_stack([np.asarray(observables[n], float) for n in names])
    pred = evaluate(expr, X, names)
    if penalty == "complexity":
        k = int(symbolic["pareto"][int(symbolic["selected"])]["complexity"])
    elif penalty == "constants":
        k = max(1, len(expr.atoms(sympy.Float)))
    else:
        raise ValueError(
            f"representations.parsimony.formula_penalty = {penalty!r}: choose complexity or constants"
        )
    return pred, k, str(symbolic["expression"])


def explanation_candidates(
    y,
    observables: Mapping[str, np.ndarray],
    ranking: xr.Dataset,
    cfg: dict,
    symbolic: dict | None = None,
) -> tuple[dict, dict]:
    """Candidates {name: (prediction, n_params)} for :func:`compare_explanations`: one per
    equivalence group of the probing ranking (its best-ranked member; exact monotone
    equivalents cannot be told apart) and the symbolic formula; and {name: description}."""
    cands, info = {}, {}
    seen = set()
    for o in ranking.observable.values:
        row = ranking.sel(observable=o)
        g = int(row.group)
        if g in seen:
            continue
        seen.add(g)
        q = observables[str(o)]
        if cfg["fit"] == "polynomial":
            pred, k = polynomial_candidate(y, q, cfg["degree"]), cfg["degree"] + 1
        else:
            pred, k = isotonic_candidate(y, q)
        cands[str(o)] = (pred, k)
        eq = [
            str(e)
            for e in ranking.observable.values
            if int(ranking.sel(observable=e).group) == g and e != o
        ]
        info[str(o)] = {
            "kind": "observable",
            "equivalent_to": ",".join(eq),
            "fit": f"{cfg['fit']}"
            + (f" degree {cfg['degree']}" if cfg["fit"] == "polynomial" else ""),
        }
    if symbolic is not None:
        pred, k, text = formula_candidate(symbolic, observables, cfg["formula_penalty"])
        cands["formula"] = (pred, k)
        info["formula"] = {
            "kind": "formula",
            "equivalent_to": ",".join(symbolic.get("monotone_equivalent_to", [])),
            "fit": text,
        }
    return cands, info


def explanation_table(
    y: np.ndarray, cands: dict, info: dict, columns: tuple[str, ...] = ("equivalent_to", "fit")
) -> pd.DataFrame:
    """:func:`compare_explanations` of `y` with each candidate's R^2 and the `columns` of
    :func:`explanation_candidates`' info beside it."""
    table = compare_explanations(y, cands)
    ss = float(np.sum((y - y.mean()) ** 2)) or float("nan")
    table["r2"] = [1 - float(np.sum((y - cands[c][0]) ** 2)) / ss for c in table.candidate]
    for col in columns:
        table[col] = [info[c][col] for c in table.candidate]
    return table
