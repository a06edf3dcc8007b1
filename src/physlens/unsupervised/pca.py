"""Principal component analysis of Ising configurations (scikit-learn).

Physics: for data symmetrised over s -> -s the covariance <s_i s_j> is translation invariant
on the periodic lattice, so its eigenvectors are Fourier modes; with ferromagnetic (positive)
correlations the largest eigenvalue belongs to k = 0. The first component is therefore the
uniform mode 1/sqrt(N) (up to sampling noise) and its projection is sqrt(N) * M.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA


def fit_pca(X: np.ndarray, n_components: int) -> PCA:
    """PCA of configurations (n, L, L) or (n, N); exact SVD (deterministic, no random solver)."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    k = min(n_components, *X.shape)
    return PCA(n_components=k, svd_solver="full").fit(X)


def component_signs(components: np.ndarray) -> np.ndarray:
    """+-1 per component making the sum of its weights non-negative (a component's sign is
    arbitrary; this fixes it so the uniform mode points along +1 and its projection along +M)."""
    s = np.sign(components.sum(axis=1))
    return np.where(s == 0, 1.0, s)


def uniform_overlap(components: np.ndarray) -> np.ndarray:
    """|<w_k, u>| with u = (1, ..., 1)/sqrt(N): 1 when component k is the uniform mode."""
    n = components.shape[1]
    return np.abs(components.sum(axis=1)) / np.sqrt(n)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])
