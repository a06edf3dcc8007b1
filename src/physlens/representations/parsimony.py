"""Parsimony: compare candidate explanations of a unit by the Bayesian information criterion.

Each candidate is a prediction of the unit's output (a monotone fit of an observable, a
symbolic formula) with its number of free parameters. BIC = n ln(RSS/n) + k ln n under a
Gaussian residual model; Schwarz weights exp(-dBIC/2), normalised, approximate the posterior
probability of each candidate under equal priors (Vasudevan et al.: simplest adequate
explanation wins). The Akaike criterion AIC = n ln(RSS/n) + 2k and its weights are listed
beside them: AIC penalises parameters less (2 instead of ln n each).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
