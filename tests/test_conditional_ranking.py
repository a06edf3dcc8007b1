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


def test_stratified_spearman_is_the_size_weighted_mean_of_the_strata():
    """Combined as a plain average: a stratum where neuron and observable are the same
    function (|rho| = 1, as at low T where every candidate counts the same flipped spins)
    adds its share and no more."""
    rng = np.random.default_rng(4)
    t = np.repeat([0, 1, 2], [30, 60, 90])
    x = rng.standard_normal(t.size)
    y = x + rng.standard_normal(t.size)
    y[t == 0] = np.exp(x[t == 0])
    per = [spearmanr(x[t == k], y[t == k]).statistic for k in range(3)]
    assert per[0] == pytest.approx(1.0)
    expected = (30 * per[0] + 60 * per[1] + 90 * per[2]) / 180
    assert stratified_spearman(x, y, t) == pytest.approx(expected, abs=1e-12)
    # strata below min_size are left out
    assert stratified_spearman(x, y, t, min_size=40) == pytest.approx(
        (60 * per[1] + 90 * per[2]) / 150, abs=1e-12
    )


# --- the conditional ranking in rank_observables --------------------------------------------

FAST = dict(bootstrap_resamples=100, cv_folds=3, seed=1)


def _abs_ci(row, c=""):
    lo, hi = float(row[f"spearman{c}_lo"]), float(row[f"spearman{c}_hi"])
    return (
        (min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))
        if lo * hi > 0
        else (0.0, max(abs(lo), abs(hi)))
    )


def test_conditional_ranking_puts_each_neurons_own_observable_first_where_pooled_ties():
    """|M| and the energy follow the same trend in T and fluctuate independently (and little)
    at fixed T; each hand-built neuron is an exact monotone function of one of them plus
    noise as large as its whole spread. Pooled over T the two observables' bootstrap CIs of
    |rho| overlap (a tie); within T the neuron's own observable ranks first, its CI clear of
    the other's, whose true conditional correlation is 0."""
    from physlens.interpret.probing import rank_observables

    rng = np.random.default_rng(0)
    t = np.repeat(np.linspace(1.5, 3.5, 12), 800)
    trend = np.tanh(3 * (2.27 - t))
    m = 0.5 * (1 + trend) + 0.02 * rng.standard_normal(t.size)
    e = -1 - trend + 0.04 * rng.standard_normal(t.size)
    fm, fe = np.exp(m), np.exp(-e / 2)
    neurons = {
        "abs_magnetization": fm + fm.std() * rng.standard_normal(t.size),
        "energy": fe + fe.std() * rng.standard_normal(t.size),
    }
    obs = {"abs_magnetization": m, "energy": e}
    for own, neuron in neurons.items():
        other = next(o for o in obs if o != own)
        r = rank_observables(neuron, obs, strata=t, **FAST)
        a, b = r.sel(observable=own), r.sel(observable=other)
        assert _abs_ci(a)[0] <= _abs_ci(b)[1], f"{own}: the pooled ranking should tie"
        assert int(a.rank_cond) == 1 and int(b.rank_cond) == 2
        assert _abs_ci(a, "_cond")[0] > _abs_ci(b, "_cond")[1]
        assert abs(float(b.spearman_cond)) < 3 * float(b.spearman_cond_se) + 0.01


@pytest.fixture(scope="module")
def ising_ensemble():
    """Metropolis configurations (L = 10, 9 temperatures) and their observables."""
    from _ising_fixture import metropolis_samples
    from physlens.observables import compute_observables

    temps = np.linspace(1.6, 3.6, 9)
    spins = metropolis_samples(10, temps, 120, seed=4, sweeps=300).reshape(-1, 10, 10)
    names = ["magnetization", "abs_magnetization", "energy", "nn_correlation", "nnn_correlation"]
    return np.repeat(temps, 120), compute_observables(spins, names)


@pytest.mark.parametrize(
    "own, f",
    [
        ("abs_magnetization", lambda q: np.tanh(3 * q)),
        ("energy", lambda q: np.exp(-q)),
        ("nnn_correlation", lambda q: q**3),
    ],
)
def test_conditional_ranking_of_ising_neurons(ising_ensemble, own, f):
    """On Ising configurations: an exact monotone function of an observable has conditional
    |rho| = 1 with it (and its exact equivalents); with noise its own observable still ranks
    first within T, clear of every other candidate's CI, including energy vs
    nnn_correlation, whose pooled correlation is 0.98."""
    from physlens.interpret.probing import rank_observables

    t, obs = ising_ensemble
    q = obs[own].values
    exact = rank_observables(f(q), obs, strata=t, **FAST)
    assert float(exact.sel(observable=own).abs_spearman_cond) == pytest.approx(1.0, abs=1e-12)
    assert int(exact.sel(observable=own).rank_cond) == 1
    rng = np.random.default_rng(5)
    y = f(q)
    noisy = rank_observables(
        y + 0.03 * y.std() * rng.standard_normal(y.size), obs, strata=t, **FAST
    )
    row = noisy.sel(observable=own)
    assert int(row.rank_cond) == 1
    rivals = [o for o in obs if int(noisy.sel(observable=o).group) != int(row.group)]
    for o in rivals:
        assert _abs_ci(row, "_cond")[0] > _abs_ci(noisy.sel(observable=o), "_cond")[1], o
    assert noisy.attrs["n_strata_used"] == 9


def test_rank_observables_conditional_columns_and_bad_strata():
    from physlens.interpret.probing import rank_observables

    rng = np.random.default_rng(6)
    t = np.repeat([1.0, 2.0, 3.0], [5, 50, 50])
    x = rng.standard_normal(t.size)
    obs = {"a": x + rng.standard_normal(t.size), "b": rng.standard_normal(t.size)}
    pooled = rank_observables(x, obs, **FAST)
    r = rank_observables(x, obs, strata=t, control="beta", **FAST)
    # the pooled columns are untouched by the conditional ones
    for v in pooled.data_vars:
        np.testing.assert_array_equal(
            pooled[v].values, r[v].sel(observable=pooled.observable).values
        )
    assert {
        "spearman_cond",
        "spearman_cond_se",
        "spearman_cond_lo",
        "spearman_cond_hi",
        "abs_spearman_cond",
        "rank_cond",
    } <= set(r.data_vars)
    assert (r.attrs["control_parameter"], r.attrs["n_strata"], r.attrs["n_strata_used"]) == (
        "beta",
        3,
        2,
    )
    # no stratum large enough: nothing is ranked (rank 0), the values are NaN
    none = rank_observables(x, obs, strata=t, min_stratum_size=60, **FAST)
    assert np.isnan(none.spearman_cond).all() and (none.rank_cond == 0).all()
    with pytest.raises(ValueError, match="strata"):
        rank_observables(x, obs, strata=t[:-1], **FAST)
