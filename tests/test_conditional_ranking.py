"""Rank correlation within temperatures tells apart observables that the pooled one ties."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from physlens.stats import stratified_spearman, stratified_spearman_ci


def _ensemble(rng, n_t=12, per_t=300):
    """Two observables that both track T on average (as |M| and the energy do) but fluctuate
    independently within each temperature, and two 'neurons', each an exact monotone function
    of one of them plus a little noise."""
    t = np.repeat(np.linspace(1.5, 3.5, n_t), per_t)
    mean_m, mean_e = -np.tanh(3 * (t - 2.5)), -np.tanh(3 * (t - 2.5))
    m = mean_m + 0.15 * rng.standard_normal(t.size)
    e = mean_e + 0.15 * rng.standard_normal(t.size)
    neuron_m = np.exp(m) + 0.01 * rng.standard_normal(t.size)
    neuron_e = e**3 + 0.01 * rng.standard_normal(t.size)
    return t, m, e, neuron_m, neuron_e


def test_conditional_ranking_separates_what_the_pooled_ranking_ties():
    rng = np.random.default_rng(7)
    t, m, e, neuron_m, neuron_e = _ensemble(rng)
    for neuron, own, other in ((neuron_m, m, e), (neuron_e, e, m)):
        pooled_own = spearmanr(neuron, own).statistic
        pooled_other = spearmanr(neuron, other).statistic
        # pooled over T both observables look almost equally good
        assert pooled_own > 0.9 and pooled_other > 0.85
        assert abs(pooled_own - pooled_other) < 0.1
        cond_own = stratified_spearman(neuron, own, t)
        cond_other = stratified_spearman(neuron, other, t)
        assert cond_own > 0.95
        assert abs(cond_other) < 0.15


def test_stratified_spearman_matches_plain_spearman_in_one_stratum():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(200)
    y = x + rng.standard_normal(200)
    assert stratified_spearman(x, y, np.zeros(200)) == pytest.approx(
        spearmanr(x, y).statistic, abs=1e-12
    )


def test_stratified_spearman_is_invariant_under_monotone_maps_and_degenerate_strata():
    rng = np.random.default_rng(2)
    t = np.repeat([0, 1, 2], 100)
    x = rng.standard_normal(300)
    y = x + 0.5 * rng.standard_normal(300)
    ref = stratified_spearman(x, y, t)
    assert stratified_spearman(np.exp(x), y**3, t) == pytest.approx(ref, abs=1e-12)
    # a stratum where the neuron is constant carries no information and is skipped
    x2 = x.copy()
    x2[t == 2] = 1.0
    assert np.isfinite(stratified_spearman(x2, y, t))
    assert np.isnan(stratified_spearman(np.ones(300), y, t))


def test_bootstrap_error_matches_the_spread_over_independent_ensembles():
    """The within-stratum bootstrap's standard error is the sampling error of the estimate:
    compare it with the scatter of the estimate over independently drawn ensembles."""
    rng = np.random.default_rng(3)
    t = np.repeat(np.arange(4), 60)

    def draw():
        x = t + rng.standard_normal(t.size)
        return x, x + 1.5 * rng.standard_normal(t.size)

    spread = np.std([stratified_spearman(*draw(), t) for _ in range(200)], ddof=1)
    x, y = draw()
    est, se, lo, hi = stratified_spearman_ci(x, y, t, n_resamples=300, rng=rng)
    assert lo < hi and 0.6 < se / spread < 1.6
