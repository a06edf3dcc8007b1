"""Similarity of representations: linear and RBF CKA (Kornblith et al. 2019) and SVCCA
(Raghu et al. 2017). Inputs are activation matrices (n_samples, n_features) of two layers or
models on the same samples; features may differ in number.

No maintained PyPI package provides these for numpy arrays with the debiased estimator, so
they are written here, short and tested against their defining invariances. The stage's
configured measures (:func:`measure_functions`) are tabulated between every pair of
representations (:func:`similarity_table`) and summarised across ensemble members
(:func:`cross_seed_summary`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

MEASURES = ("linear_cka", "rbf_cka", "svcca")


def _as_matrix(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return X.reshape(len(X), -1)


def _center_gram(K: np.ndarray, debiased: bool) -> np.ndarray:
    """Doubly centred Gram matrix; the debiased form gives an unbiased HSIC (Song et al. 2012)."""
    K = K.copy()
    n = len(K)
    if not debiased:
        means = K.mean(0)
        return K - means[None, :] - means[:, None] + means.mean()
    np.fill_diagonal(K, 0.0)
    means = K.sum(0) / (n - 2)
    means -= means.sum() / (2 * (n - 1))
    K -= means[None, :] + means[:, None]
    np.fill_diagonal(K, 0.0)
    return K


def _cka_from_grams(K: np.ndarray, M: np.ndarray, debiased: bool) -> float:
    Kc, Mc = _center_gram(K, debiased), _center_gram(M, debiased)
    hsic = np.sum(Kc * Mc)
    norm = np.sqrt(np.sum(Kc * Kc) * np.sum(Mc * Mc))
    return float(hsic / norm) if norm > 0 else 0.0


def linear_cka(X, Y, debiased: bool = False) -> float:
    """Linear CKA: invariant to orthogonal transforms and isotropic scaling of either input."""
    X, Y = _as_matrix(X), _as_matrix(Y)
    if len(X) != len(Y):
        raise ValueError(f"CKA needs the same samples: {len(X)} vs {len(Y)} rows")
    return _cka_from_grams(X @ X.T, Y @ Y.T, debiased)


def _rbf_gram(X: np.ndarray, bandwidth: float) -> np.ndarray:
    sq = np.sum(X * X, 1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0)
    sigma2 = bandwidth**2 * np.median(d2[np.triu_indices(len(X), 1)])
    return np.exp(-d2 / (2 * sigma2)) if sigma2 > 0 else np.ones_like(d2)


def rbf_cka(X, Y, bandwidth: float = 1.0, debiased: bool = False) -> float:
    """RBF-kernel CKA; the kernel width is `bandwidth` times the median pairwise distance."""
    X, Y = _as_matrix(X), _as_matrix(Y)
    if len(X) != len(Y):
        raise ValueError(f"CKA needs the same samples: {len(X)} vs {len(Y)} rows")
    return _cka_from_grams(_rbf_gram(X, bandwidth), _rbf_gram(Y, bandwidth), debiased)


def _svd_reduce(X: np.ndarray, keep_variance: float) -> np.ndarray:
    X = X - X.mean(0)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    var = s**2 / max(np.sum(s**2), 1e-300)
    k = int(np.searchsorted(np.cumsum(var), keep_variance) + 1)
    return U[:, :k] * s[:k]


def canonical_correlations(X, Y) -> np.ndarray:
    """Canonical correlations of two (centred) data matrices, via QR and an SVD."""
    X, Y = _as_matrix(X), _as_matrix(Y)
    X, Y = X - X.mean(0), Y - Y.mean(0)
    qx, _ = np.linalg.qr(X)
    qy, _ = np.linalg.qr(Y)
    return np.clip(np.linalg.svd(qx.T @ qy, compute_uv=False), 0.0, 1.0)


def svcca(X, Y, keep_variance: float = 0.99) -> float:
    """SVCCA: SVD-reduce each representation to `keep_variance`, then mean CCA correlation."""
    X, Y = _as_matrix(X), _as_matrix(Y)
    if len(X) != len(Y):
        raise ValueError(f"SVCCA needs the same samples: {len(X)} vs {len(Y)} rows")
    rho = canonical_correlations(_svd_reduce(X, keep_variance), _svd_reduce(Y, keep_variance))
    return float(rho.mean())


def similarity_matrix(
    reps: dict[str, np.ndarray], measure=linear_cka
) -> tuple[list[str], np.ndarray]:
    """Pairwise similarity of named representations (for CKA heat maps)."""
    names = list(reps)
    S = np.eye(len(names))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            S[i, j] = S[j, i] = measure(reps[a], reps[names[j]])
    return names, S


def measure_functions(cfg: dict) -> dict:
    """name -> f(X, Y) for the configured measures (NaN when either input is constant)."""
    funcs = {
        "linear_cka": lambda X, Y: linear_cka(X, Y, debiased=cfg["debiased"]),
        "rbf_cka": lambda X, Y: rbf_cka(
            X, Y, bandwidth=cfg["rbf_bandwidth"], debiased=cfg["debiased"]
        ),
        "svcca": lambda X, Y: svcca(X, Y, keep_variance=cfg["svcca_keep_variance"]),
    }
    unknown = [m for m in cfg["measures"] if m not in funcs]
    if unknown:
        raise ValueError(
            f"representations.similarity.measures: unknown {unknown} (known: {MEASURES})"
        )

    def guard(f):
        return lambda X, Y: f(X, Y) if np.ptp(X) > 0 and np.ptp(Y) > 0 else float("nan")

    return {m: guard(funcs[m]) for m in cfg["measures"]}


def similarity_table(reps: Mapping[str, np.ndarray], measures: Mapping) -> np.ndarray:
    """(measure, rep, rep) matrix of every measure between every pair of representations."""
    return np.stack([similarity_matrix(dict(reps), f)[1] for f in measures.values()])


def cross_seed_summary(
    S: np.ndarray, members: np.ndarray, layers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """From a (rep, rep) matrix over (member, layer) representations: the mean similarity of
    matching layers across different members, per layer, and the layer-identification
    accuracy (Kornblith et al. 2019): the share of (member i, layer l, member j != i) for
    which layer l of member j is the most similar of j's layers to layer l of member i."""
    ulayers = list(dict.fromkeys(layers))
    umembers = list(dict.fromkeys(members))
    mean = np.full(len(ulayers), np.nan)
    for k, layer in enumerate(ulayers):
        idx = np.flatnonzero(layers == layer)
        vals = [S[a, b] for a in idx for b in idx if members[a] != members[b]]
        mean[k] = np.nanmean(vals) if vals and np.isfinite(vals).any() else np.nan
    hits, total = 0, 0
    if len(ulayers) > 1:
        for i in umembers:
            for j in umembers:
                if i == j:
                    continue
                rows, cols = np.flatnonzero(members == i), np.flatnonzero(members == j)
                for a in rows:
                    sims = S[a, cols]
                    if not np.isfinite(sims).any():
                        continue
                    total += 1
                    hits += layers[cols[int(np.nanargmax(sims))]] == layers[a]
    return mean, np.array(hits / total if total else np.nan)
