"""Decision functions: which observable Q(S) does a network's output F(S) follow?

Fit F(S) = sigmoid(w Q(S) + b) by least squares; R^2 measures how much of the output's
variance the single observable explains (Wetzel & Scherzer 2017).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares
from scipy.special import expit


def observables(energy: np.ndarray, magnetization: np.ndarray) -> dict[str, np.ndarray]:
    """Q candidates: |M| per site and the energy per site (as stored by the Ising stage)."""
    return {"abs_magnetization": np.abs(np.asarray(magnetization)), "energy": np.asarray(energy)}


def fit_sigmoid(q: np.ndarray, f: np.ndarray) -> dict:
    """Least-squares fit of f = sigmoid(w q + b); returns w, b and R^2."""
    q, f = np.asarray(q, float), np.asarray(f, float)
    mu, sd = q.mean(), q.std() or 1.0
    z = (q - mu) / sd  # fit in standardised units for conditioning, convert back afterwards
    fc = np.clip(f, 1e-4, 1 - 1e-4)
    slope0, icpt0 = np.polyfit(z, np.log(fc / (1 - fc)), 1)
    res = least_squares(lambda p: expit(p[0] * z + p[1]) - f, x0=[slope0, icpt0], method="lm")
    wz, bz = res.x
    resid = expit(wz * z + bz) - f
    ss_tot = np.sum((f - f.mean()) ** 2)
    r2 = 1.0 - np.sum(resid**2) / ss_tot if ss_tot > 0 else float("nan")
    return {"w": float(wz / sd), "b": float(bz - wz * mu / sd), "r2": float(r2)}
