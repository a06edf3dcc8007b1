"""2D embeddings of representations: PCA (exact), t-SNE (scikit-learn) and UMAP (umap-learn),
seeded, with every thread pool limited while they run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EMBEDDING_METHODS = ("pca", "tsne", "umap")


def _umap(X: np.ndarray, seed: int, n_neighbors: int, min_dist: float) -> np.ndarray:
    """UMAP on the exact k-nearest-neighbour graph (scikit-learn). The same graph UMAP builds
    itself for small data, passed in precomputed: that skips compiling umap's parallel
    neighbour search (numba), seconds per job on a loaded 2-core machine."""
    try:
        import umap
    except ImportError as exc:  # pragma: no cover - installed with the workflow extra
        raise ImportError(
            "UMAP embeddings need umap-learn: pip install -c constraints.txt umap-learn "
            "(part of physlens[workflow]), or drop 'umap' from representations.embeddings.methods"
        ) from exc
    import warnings

    from sklearn.neighbors import NearestNeighbors

    dist, idx = NearestNeighbors(n_neighbors=n_neighbors).fit(X).kneighbors(X)
    with warnings.catch_warnings():
        # "n_jobs overridden to 1 by setting random_state", transform() unavailable, ...
        warnings.simplefilter("ignore", UserWarning)
        model = umap.UMAP(
            n_components=2,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            random_state=seed % 2**32,
            n_jobs=1,
            precomputed_knn=(idx, dist),
            force_approximation_algorithm=True,
        )
        return model.fit_transform(X)


def embed(
    X,
    methods: Sequence[str] = EMBEDDING_METHODS,
    *,
    seed: int,
    perplexity: float = 30.0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    pca_dims: int = 50,
    threads: int = 1,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """2D embeddings of the rows of X by each method, and the PCA explained-variance ratios.

    PCA is exact (centred SVD). t-SNE and UMAP see the data reduced to its first `pca_dims`
    principal components when it has more features (the usual denoising step); t-SNE's
    perplexity and UMAP's neighbour count are capped for small samples. Seeded.

    Every OpenMP/BLAS pool (scikit-learn's, numba's, torch's) and numba's own are limited to
    `threads` meanwhile: on a loaded 2-core machine t-SNE's Barnes-Hut loop otherwise spun
    idle threads and took 10x the CPU time (measured: 1 s -> 10 s per layer).
    """
    from threadpoolctl import threadpool_limits

    from physlens.parallel import numba_threads

    with threadpool_limits(limits=int(threads)), numba_threads(int(threads)):
        return _embed(
            X,
            methods,
            seed=seed,
            perplexity=perplexity,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            pca_dims=pca_dims,
        )


def _embed(X, methods, *, seed, perplexity, n_neighbors, min_dist, pca_dims):
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    unknown = [m for m in methods if m not in EMBEDDING_METHODS]
    if unknown:
        raise ValueError(
            f"representations.embeddings.methods: unknown {unknown} (known: {EMBEDDING_METHODS})"
        )
    X = np.asarray(X, np.float64)
    X = X.reshape(len(X), -1) - X.reshape(len(X), -1).mean(0)
    n = len(X)
    if n < 5:
        raise ValueError(f"{n} samples are too few to embed (need >= 5)")
    if X.shape[1] < 2:  # t-SNE's PCA initialisation and the 2D PCA need two columns
        X = np.c_[X, np.zeros((n, 2 - X.shape[1]))]
    k = min(X.shape[1], n, 10)
    pca = PCA(n_components=k, svd_solver="full").fit(X)
    ratio = np.nan_to_num(pca.explained_variance_ratio_, nan=0.0)
    out = {}
    Z = X if X.shape[1] <= pca_dims else PCA(pca_dims, svd_solver="full").fit_transform(X)
    for m in methods:
        if m == "pca":
            out[m] = pca.transform(X)[:, :2]
        elif m == "tsne":
            p = float(min(perplexity, (n - 1) / 3.0))
            out[m] = TSNE(
                2, perplexity=p, init="pca", learning_rate="auto", random_state=seed % 2**32
            ).fit_transform(Z)
        else:
            out[m] = _umap(Z, seed, int(min(n_neighbors, n - 1)), min_dist)
    return {m: np.asarray(v, np.float64) for m, v in out.items()}, ratio
