"""The L1 regularisation path over the classifier on the correlator features, and the
check of a learned filter's support against a known pattern.

Path: L1-penalised logistic regression on standardised features, intercept unpenalised,

    min_{beta, b}  (1/n) sum_i log(1 + exp(-(2 y_i - 1)(x_i . beta + b))) + lam |beta|_1,

solved by accelerated proximal gradient (FISTA), warm-started down a geometric grid of lam
from lam_max = max_j |x_j . (y - mean y)| / n, the smallest lam at which every coefficient
is zero. At lam just below lam_max the feature with the largest |x_j . (y - mean y)| enters
first (the KKT condition), so the first feature of the path is the feature most correlated
with the label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Path:
    lambdas: np.ndarray  # (n_lambda,), decreasing
    coefs: np.ndarray  # (n_lambda, n_features)
    intercepts: np.ndarray  # (n_lambda,)
    entry_lambda: np.ndarray  # (n_features,), largest lam with a nonzero coefficient (0: never)
    score: np.ndarray  # (n_features,), |x_j . (y - mean y)| / n: the KKT entry point
    mean: np.ndarray  # standardisation used
    scale: np.ndarray

    def entry_order(self) -> np.ndarray:
        """Feature indices by entry: earliest (largest lam) first, ties by the KKT score."""
        return np.lexsort((-self.score, -self.entry_lambda))


def standardise(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)  # a constant feature stays zero and never enters
    return (X - mean) / scale, mean, scale


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _fista(Z, y, lam, beta, b, step, max_iter, tol):
    n = len(y)
    theta_beta, theta_b, t = beta.copy(), b, 1.0
    for _ in range(max_iter):
        r = _sigmoid(Z @ theta_beta + theta_b) - y
        g_beta, g_b = Z.T @ r / n, r.mean()
        new_beta = theta_beta - step * g_beta
        new_beta = np.sign(new_beta) * np.maximum(np.abs(new_beta) - step * lam, 0.0)
        new_b = theta_b - step * g_b
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        mom = (t - 1) / t_new
        theta_beta = new_beta + mom * (new_beta - beta)
        theta_b = new_b + mom * (new_b - b)
        change = max(np.max(np.abs(new_beta - beta), initial=0.0), abs(new_b - b))
        beta, b, t = new_beta, new_b, t_new
        if change < tol:
            break
    return beta, b


def l1_logistic_path(
    X: np.ndarray,
    y: np.ndarray,
    n_lambdas: int = 40,
    min_ratio: float = 1e-3,
    max_iter: int = 5000,
    tol: float = 1e-9,
) -> Path:
    """The regularisation path of L1 logistic regression on standardised X (see module doc)."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    if len(np.unique(y)) != 2:
        raise ValueError("l1_logistic_path: labels must contain both classes")
    Z, mean, scale = standardise(X)
    n, p = Z.shape
    score = np.abs(Z.T @ (y - y.mean())) / n
    lam_max = float(score.max())
    lambdas = lam_max * np.logspace(0.0, np.log10(min_ratio), n_lambdas)
    # Lipschitz constant of the logistic loss gradient (intercept column included)
    lip = 0.25 * np.linalg.norm(np.hstack([Z, np.ones((n, 1))]), 2) ** 2 / n
    step = 1.0 / lip
    beta, b = np.zeros(p), float(np.log(y.mean() / (1 - y.mean())))
    coefs, intercepts = np.zeros((n_lambdas, p)), np.zeros(n_lambdas)
    for i, lam in enumerate(lambdas):
        beta, b = _fista(Z, y, lam, beta, b, step, max_iter, tol)
        coefs[i], intercepts[i] = beta, b
    nonzero = np.abs(coefs) > 1e-10
    entry = np.array(
        [lambdas[np.argmax(nonzero[:, j])] if nonzero[:, j].any() else 0.0 for j in range(p)]
    )
    return Path(lambdas, coefs, intercepts, entry, score, mean, scale)


def normalise_pattern(sites) -> frozenset:
    """A set of (dy, dx) cells moved so that its smallest row and column are 0."""
    sites = [tuple(int(v) for v in s) for s in sites]
    y0, x0 = min(s[0] for s in sites), min(s[1] for s in sites)
    return frozenset((a - y0, b - x0) for a, b in sites)


def top_sites(filt: np.ndarray, n: int) -> list[tuple[int, int]]:
    """The n window cells of largest |f| (ties broken by position)."""
    flat = np.argsort(-np.abs(filt).ravel(), kind="stable")[:n]
    return [tuple(int(v) for v in np.unravel_index(i, filt.shape)) for i in flat]


def support_matches(filt: np.ndarray, patterns) -> bool:
    """Whether the filter's len(pattern) largest-|f| cells form one of `patterns` up to translation."""
    for pattern in patterns:
        if normalise_pattern(top_sites(filt, len(pattern))) == normalise_pattern(pattern):
            return True
    return False


def pattern_weight_share(filt: np.ndarray, patterns) -> float:
    """Largest share of sum |f| on one placement of a pattern inside the window."""
    a = np.abs(np.asarray(filt, float))
    total = a.sum()
    if total == 0:
        return 0.0
    best = 0.0
    h, w = a.shape
    for pattern in patterns:
        cells = normalise_pattern(pattern)
        ph, pw = max(c[0] for c in cells) + 1, max(c[1] for c in cells) + 1
        for oy in range(h - ph + 1):
            for ox in range(w - pw + 1):
                best = max(best, sum(a[oy + cy, ox + cx] for cy, cx in cells) / total)
    return float(best)
