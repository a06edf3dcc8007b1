"""CKA and SVCCA against their defining properties."""

import numpy as np
import pytest
from scipy.stats import ortho_group

from physlens.representations.similarity import (
    canonical_correlations,
    linear_cka,
    rbf_cka,
    similarity_matrix,
    svcca,
)

rng = np.random.default_rng(2026)
X = rng.standard_normal((300, 12)) @ rng.standard_normal((12, 12))


@pytest.mark.parametrize("cka", [linear_cka, rbf_cka])
@pytest.mark.parametrize("debiased", [False, True])
def test_cka_of_a_representation_with_itself_is_one(cka, debiased):
    assert cka(X, X, debiased=debiased) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("cka", [linear_cka, rbf_cka])
def test_cka_is_invariant_to_orthogonal_transforms_and_isotropic_scaling(cka):
    Q = ortho_group.rvs(12, random_state=1)
    Y = rng.standard_normal((300, 7))
    base = cka(X, Y)
    assert cka(3.7 * X @ Q, Y) == pytest.approx(base, rel=1e-9)
    assert cka(X, 0.2 * Y) == pytest.approx(base, rel=1e-9)


def test_linear_cka_is_not_invariant_to_anisotropic_scaling():
    A = rng.standard_normal((300, 12))
    Y = A[:, :1]  # depends on the first feature only
    D = np.diag(np.r_[100.0, np.ones(11)])  # stretching that feature makes A look like Y
    assert linear_cka(A, Y) < 0.5 < 0.99 < linear_cka(A @ D, Y)


def test_independent_features_give_cka_near_zero_at_large_n():
    A, B = rng.standard_normal((3000, 20)), rng.standard_normal((3000, 20))
    assert abs(linear_cka(A, B, debiased=True)) < 0.01
    assert linear_cka(A, B) < 0.02  # biased estimator: O(p/n) offset
    assert abs(rbf_cka(A[:1500], B[:1500], debiased=True)) < 0.01


def test_canonical_correlations_find_a_shared_direction():
    z = rng.standard_normal(500)
    A = np.c_[z, rng.standard_normal((500, 3))]
    B = np.c_[rng.standard_normal((500, 2)), -2 * z + 1]
    rho = canonical_correlations(A, B)
    assert rho[0] == pytest.approx(1.0, abs=1e-10)
    assert rho[1] < 0.25


def test_svcca_is_one_for_invertible_linear_maps_and_small_for_independent():
    M = rng.standard_normal((12, 12))
    assert svcca(X, X @ M, keep_variance=0.999999) == pytest.approx(1.0, abs=1e-8)
    A, B = rng.standard_normal((2000, 5)), rng.standard_normal((2000, 5))
    assert svcca(A, B) < 0.1


def test_similarity_matrix_is_symmetric_with_unit_diagonal():
    names, S = similarity_matrix({"a": X, "b": X[:, :4], "c": rng.standard_normal((300, 3))})
    assert names == ["a", "b", "c"]
    np.testing.assert_allclose(S, S.T)
    np.testing.assert_allclose(np.diag(S), 1.0)


def test_mismatched_samples_are_an_error():
    with pytest.raises(ValueError, match="same samples"):
        linear_cka(X, X[:10])


def test_embedding_headlines_name_the_observable_pc1_tracks_pooled_and_within_t():
    """PC1 of a layer that holds one neuron computing |M| (plus noise) and one weak noise
    unit: within each T, |M| is the best of the colour observables."""
    import xarray as xr

    from physlens.representations.headlines import embedding_headlines
    from physlens.stats import stratified_spearman

    rng = np.random.default_rng(2)
    t = np.repeat(np.linspace(1.5, 3.5, 8), 60)
    trend = np.tanh(3 * (2.27 - t))
    m = 0.5 * (1 + trend) + 0.1 * rng.standard_normal(t.size)
    e = -1 - trend + 0.2 * rng.standard_normal(t.size)
    last = np.column_stack(
        [10 * np.tanh(2 * m) + rng.standard_normal(t.size), 0.1 * rng.standard_normal(t.size)]
    )
    ds = xr.Dataset(
        {
            "abs_magnetization": ("sample", m),
            "energy": ("sample", e),
            "pca_variance_ratio": (("layer", "pc"), np.full((1, 2), 0.5)),
        },
        coords={"temperature": ("sample", t), "layer": ["h"], "pc": [1, 2]},
        attrs={"colour_by": "abs_magnetization,energy", "layer_view": "pooled"},
    )
    recs = {r["name"]: r for r in embedding_headlines(ds, last, "net")}
    cond = recs["representations.embeddings.net.pc1_abs_spearman_given_T[abs_magnetization]"]
    # PC1 is the strong unit up to sign and a tiny admixture of the weak one
    assert cond["value"] == pytest.approx(abs(stratified_spearman(last[:, 0], m, t)), abs=1e-3)
    assert "representations.embeddings.net.pc1_abs_spearman[abs_magnetization]" in recs
