"""The L1 regularisation path over the classifier on the correlator features, and a learned
filter's support and correlator shapes against a known pattern.

Path (the second phase of Miles et al. 2021, whose code runs scikit-learn's L1 logistic
regression over a grid of strengths on the trained CCNN's standardised features):
L1-penalised logistic regression on standardised features, intercept unpenalised,

    min_{beta, b}  (1/n) sum_i log(1 + exp(-(2 y_i - 1)(x_i . beta + b))) + lam |beta|_1,

solved by proximal Newton steps (as glmnet), warm-started down a geometric grid of lam
from lam_max = max_j |x_j . (y - mean y)| / n, the smallest lam at which every coefficient
is zero. Just below lam_max the feature with the largest |x_j . (y - mean y)| enters first
(the KKT condition), so the first feature of the path is the one most correlated with the
label.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numba import njit


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


@njit(cache=True)
def _objective(Z, y, beta, b, lam):
    """Mean logistic loss + lam |beta|_1, and the linear predictor."""
    eta = Z @ beta + b
    loss = 0.0
    for i in range(len(y)):
        m = eta[i] if y[i] > 0.5 else -eta[i]
        loss += np.log1p(np.exp(-abs(m))) + max(-m, 0.0)
    return loss / len(y) + lam * np.abs(beta).sum(), eta


@njit(cache=True)
def _path_kernel(Z, y, lambdas, b0, max_outer, max_inner, tol):
    """Proximal Newton (IRLS outer steps with backtracking, cyclic coordinate descent on the
    weighted lasso inside), warm-started down the lambdas: (coefs, intercepts)."""
    n, p = Z.shape
    beta, b = np.zeros(p), b0
    coefs, intercepts = np.zeros((len(lambdas), p)), np.zeros(len(lambdas))
    for k in range(len(lambdas)):
        lam = lambdas[k]
        f_old, eta = _objective(Z, y, beta, b, lam)
        for _ in range(max_outer):
            prob = 1.0 / (1.0 + np.exp(-eta))
            w = np.maximum(prob * (1.0 - prob), 1e-6)
            # working residual of the quadratic model around (beta, b)
            r = (y - prob) / w
            new_beta, new_b = beta.copy(), b
            xw = np.zeros(p)
            for j in range(p):
                xw[j] = (w * Z[:, j] * Z[:, j]).sum() / n
            sw = w.sum()
            for _ in range(max_inner):
                change = 0.0
                db = (w * r).sum() / sw
                new_b += db
                r -= db
                change = max(change, abs(db))
                for j in range(p):
                    if xw[j] <= 0.0:
                        continue
                    old = new_beta[j]
                    g = (w * Z[:, j] * r).sum() / n + xw[j] * old
                    new = np.sign(g) * max(abs(g) - lam, 0.0) / xw[j]
                    if new != old:
                        r -= Z[:, j] * (new - old)
                        new_beta[j] = new
                        change = max(change, abs(new - old) * np.sqrt(xw[j]))
                if change < tol:
                    break
            # backtracking: the quadratic model can overshoot where the loss is flat
            step = 1.0
            for _ in range(30):
                cand_beta = beta + step * (new_beta - beta)
                cand_b = b + step * (new_b - b)
                f_new, eta_new = _objective(Z, y, cand_beta, cand_b, lam)
                if f_new <= f_old + 1e-15:
                    break
                step *= 0.5
            moved = max(np.abs(cand_beta - beta).max(), abs(cand_b - b))
            beta, b, eta = cand_beta, cand_b, eta_new
            done = f_old - f_new < tol * tol or moved < tol
            f_old = f_new
            if done:
                break
        coefs[k], intercepts[k] = beta, b
    return coefs, intercepts


def l1_logistic_path(
    X: np.ndarray,
    y: np.ndarray,
    n_lambdas: int = 40,
    min_ratio: float = 1e-3,
    max_outer: int = 100,
    max_inner: int = 1000,
    tol: float = 1e-8,
) -> Path:
    """The regularisation path of L1 logistic regression on standardised X (module doc)."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    if len(np.unique(y)) != 2:
        raise ValueError("l1_logistic_path: labels must contain both classes")
    Z, mean, scale = standardise(X)
    n, p = Z.shape
    score = np.abs(Z.T @ (y - y.mean())) / n
    lam_max = float(score.max())
    lambdas = lam_max * np.logspace(0.0, np.log10(min_ratio), n_lambdas)
    b0 = float(np.log(y.mean() / (1 - y.mean())))
    coefs, intercepts = _path_kernel(
        np.ascontiguousarray(Z), y, lambdas, b0, max_outer, max_inner, tol
    )
    # at lam_max the soft threshold |g| - lam is zero up to rounding: no such entry counts
    coefs[np.abs(coefs) < 1e-12] = 0.0
    nonzero = np.abs(coefs) > 0
    entry = np.array(
        [lambdas[np.argmax(nonzero[:, j])] if nonzero[:, j].any() else 0.0 for j in range(p)]
    )
    return Path(lambdas, coefs, intercepts, entry, score, mean, scale)


# --- the shape of a filter's order-n correlator ------------------------------------------------


def normalise_pattern(sites) -> tuple[tuple[int, int], ...]:
    """A set of (row, column) cells moved so that its smallest row and column are 0, sorted:
    equal for two patterns exactly when one is a translate of the other."""
    sites = [tuple(int(v) for v in s) for s in sites]
    y0, x0 = min(s[0] for s in sites), min(s[1] for s in sites)
    return tuple(sorted((a - y0, b - x0) for a, b in sites))


def shape_weights(filt: np.ndarray, n: int) -> dict[tuple, float]:
    """Weight of each n-point shape (up to translation) in the filter's order-n correlator:
    c^(n) = sum over n-subsets S of prod_{a in S} f(a) s(x + a), and the subsets of one
    shape share a weight sum_S prod_{a in S} |f(a)|."""
    filt = np.abs(np.asarray(filt, float))
    out: dict[tuple, float] = {}
    for subset in combinations(np.ndindex(*filt.shape), n):
        shape = normalise_pattern(subset)
        out[shape] = out.get(shape, 0.0) + float(np.prod([filt[a] for a in subset]))
    return out


def support(filt: np.ndarray, n: int) -> list[tuple[int, int]]:
    """The n window cells of largest |f| (ties by position, row-major)."""
    flat = np.argsort(-np.abs(np.asarray(filt, float)).ravel(), kind="stable")[:n]
    return [tuple(int(v) for v in np.unravel_index(i, np.shape(filt))) for i in flat]


def shape_check(filt: np.ndarray, patterns) -> dict:
    """The filter's support against the known patterns (all of one order n).

    ``support_matches``: the n cells of largest |f| form one of `patterns` up to
    translation; ``known_share``: share of the order-n correlator weight on the known
    shapes; ``top``: the three heaviest n-point shapes with their shares.
    """
    n = len(patterns[0])
    weights = shape_weights(filt, n)
    total = sum(weights.values())
    known = {normalise_pattern(p) for p in patterns}
    cells = support(filt, n)
    top = sorted(weights.items(), key=lambda kv: -kv[1])[:3]
    return {
        "support": [list(c) for c in cells],
        "support_matches": normalise_pattern(cells) in known,
        "known_share": float(sum(weights.get(s, 0.0) for s in known) / total) if total else 0.0,
        "top": [
            {"shape": [list(c) for c in s], "share": float(w / total) if total else 0.0}
            for s, w in top
        ],
    }
