"""Bottleneck regression and linear probes on 'networks' whose answer is known by construction."""

import numpy as np
import pytest
import xarray as xr

from physlens.interpret import probing as P
from physlens.interpret.ranking_claims import ranking_headlines
from physlens.observables import compute_observables


@pytest.fixture(scope="module")
def ising():
    """Configurations spanning ordered to disordered (independent spins with a random bias),
    so magnetisation and energy vary and are not functions of each other."""
    rng = np.random.default_rng(1)
    n, L = 600, 12
    p_up = rng.uniform(0, 1, size=(n, 1, 1))
    spins = np.where(rng.uniform(size=(n, L, L)) < p_up, 1, -1).astype(np.int8)
    return spins, compute_observables(spins)


FAST = dict(bootstrap_resamples=50, cv_folds=4, seed=3)


def test_abs_magnetization_neuron_ranks_first(ising):
    _, obs = ising
    neuron = np.tanh(3 * obs["abs_magnetization"].values)  # nonlinear monotone map of |M|
    ds = P.rank_observables(neuron, obs, **FAST)
    assert ds.observable.values[0] == "abs_magnetization"
    # (M/N)^2 is a monotone function of |M|/N: no probe can separate them, so they tie
    assert P.top_observables(ds) == ["abs_magnetization", "magnetization_squared"]
    top = ds.sel(observable="abs_magnetization")
    assert top.spearman == pytest.approx(1.0, abs=1e-12)
    assert top.r2_heldout > 0.99
    assert "magnetization_squared" in str(top.equivalent_to.values)
    # signed M is symmetric around 0: a |M| neuron is uncorrelated with it
    assert abs(float(ds.sel(observable="magnetization").spearman)) < 0.15
    assert int(ds.sel(observable="magnetization")["rank"]) > 1


def test_energy_neuron_ranks_energy_group_first(ising):
    _, obs = ising
    neuron = 1 / (1 + np.exp(4 * obs["energy"].values))  # sigmoid decision function of E
    ds = P.rank_observables(neuron, obs, rank_by="r2", **FAST)
    assert set(P.top_observables(ds)) == {"energy", "nn_correlation", "domain_wall_density"}
    e = ds.sel(observable="energy")
    assert e.spearman == pytest.approx(-1.0, abs=1e-12)
    assert set(str(e.equivalent_to.values).split(",")) == {"nn_correlation", "domain_wall_density"}
    assert e.r2_heldout > 0.99


def test_cross_validation_stops_a_flexible_fit_from_cheating(ising):
    """A neuron of pure noise: in-sample a polynomial/isotonic fit would find some R^2 > 0;
    held out it must not."""
    _, obs = ising
    noise = np.random.default_rng(5).standard_normal(obs.sizes["sample"])
    q = obs["energy"].values
    for kind in P.FIT_KINDS:
        assert P.heldout_r2(noise, q, kind, degree=3, cv_folds=4) < 0.02
    # and a noisy but genuine monotone relation keeps a high held-out R^2
    signal = np.tanh(2 * q) + 0.02 * noise
    assert P.heldout_r2(signal, q, "isotonic") > 0.9
    assert P.heldout_r2(signal, q, "polynomial", degree=3) > 0.9


def test_bootstrap_interval_covers_estimate_and_is_seeded(ising):
    _, obs = ising
    noise = np.random.default_rng(6).standard_normal(obs.sizes["sample"])
    neuron = obs["abs_magnetization"].values + 0.3 * noise
    a = P.rank_observables(neuron, obs, **FAST)
    b = P.rank_observables(neuron, obs, **FAST)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    assert (a.spearman_lo <= a.spearman).all() and (a.spearman <= a.spearman_hi).all()
    # standard error of a correlation ~ (1 - rho^2) / sqrt(n): check the order of magnitude
    row = a.sel(observable="abs_magnetization")
    expected = (1 - float(row.spearman) ** 2) / np.sqrt(obs.sizes["sample"])
    assert 0.5 * expected < float(row.spearman_se) < 2 * expected


def test_linear_probe(ising):
    _, obs = ising
    rng = np.random.default_rng(2)
    n = obs.sizes["sample"]
    m = obs["magnetization"].values
    # a 'hidden layer' of 20 units: 3 carry M linearly (with different weights), the rest noise
    layer = rng.standard_normal((n, 20))
    layer[:, :3] = np.outer(m, [2.0, -1.0, 0.5]) + [0.3, 0.0, -1.0] + 1e-3 * layer[:, :3]
    targets = {"magnetization": m, "random": rng.standard_normal(n)}
    ds = P.linear_probe(layer, targets, cv_folds=4, seed=1)
    assert float(ds.r2_heldout.sel(observable="magnetization")) > 0.99
    assert abs(float(ds.r2_heldout.sel(observable="random"))) < 0.1
    # |M| is not linear in M: a linear probe of this layer cannot reach it
    ds2 = P.linear_probe(layer, {"abs_magnetization": obs["abs_magnetization"].values}, cv_folds=4)
    assert float(ds2.r2_heldout[0]) < 0.2


def test_equivalence_groups():
    x = np.arange(-25, 26) / 25  # exactly symmetric, so x^2 and x^4 tie on the same pairs
    groups = P.equivalence_groups({"a": x, "b": np.exp(x), "c": -(x**3), "d": x**2, "e": x**4 + 1})
    assert groups == [0, 0, 0, 1, 1]


def test_written_file_is_readable_by_h5py_and_xarray(ising, tmp_path):
    import h5py

    _, obs = ising
    ds = P.rank_observables(obs["energy"].values, obs, **FAST)
    path = tmp_path / "ranking.h5"
    P.write_probing(ds, path)
    back = xr.open_dataset(path, engine="h5netcdf")
    assert list(back.observable.values) == list(ds.observable.values)
    np.testing.assert_array_equal(back.spearman.values, ds.spearman.values)
    assert back.attrs["seed"] == 3 and "physlens_version" in back.attrs
    with h5py.File(path) as fh:
        assert "spearman" in fh and "rank" in fh


def test_bad_inputs_are_named(ising):
    _, obs = ising
    with pytest.raises(KeyError, match="'polyakov_loop'"):
        P.rank_observables(np.zeros(obs.sizes["sample"]), obs, names=["polyakov_loop"])
    with pytest.raises(ValueError, match="has 600 samples, activations have 5"):
        P.rank_observables(np.zeros(5), obs, **FAST)
    with pytest.raises(ValueError, match="monotone_fit = 'spline'"):
        P.rank_observables(np.zeros(600), obs, monotone_fit="spline")


def test_config_slice_maps_onto_keywords(minimal_config):
    cfg = minimal_config
    kwargs = P.probing_kwargs(cfg["interpret"]["probing"])
    assert set(kwargs) <= set(P.rank_observables.__code__.co_varnames)
    assert kwargs["rank_by"] in P.RANK_BY


def test_ranking_figure(ising):
    import matplotlib.pyplot as plt

    from physlens.plots.interpret_probing import plot_observable_ranking

    _, obs = ising
    ds = P.rank_observables(np.tanh(3 * obs["abs_magnetization"].values), obs, **FAST)
    fig = plot_observable_ranking(ds)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert (
        labels[0] == "abs_magnetization"
        and len(labels) == len(obs.data_vars)
        and len(ax.patches) == len(labels)
    )
    plt.close(fig)


def test_ranking_figure_shows_the_conditional_ranking_beside_the_pooled_one(ising):
    """Two panels: pooled (sorted by rank) and within each temperature (sorted by rank_cond)."""
    import matplotlib.pyplot as plt

    from physlens.plots.interpret_probing import plot_observable_rankings

    _, obs = ising
    neuron = np.tanh(3 * obs["abs_magnetization"].values)
    strata = np.arange(obs.sizes["sample"]) % 4
    ds = P.rank_observables(neuron, obs, strata=strata, **FAST)
    fig = plot_observable_rankings(ds)
    left, right = fig.axes[:2]
    labels = [[t.get_text() for t in ax.get_yticklabels()] for ax in (left, right)]
    by_cond = ds.sortby(ds.rank_cond).observable.values  # stable: ties keep the pooled order
    assert labels[0] == list(ds.observable.values) and labels[1] == [str(o) for o in by_cond]
    assert labels[1][0] in ("abs_magnetization", "magnetization_squared")
    assert "within each T" in right.get_title()
    plt.close(fig)


def test_headlines_judge_the_expected_observable(ising):
    _, obs = ising
    ds = P.rank_observables(np.tanh(3 * obs["abs_magnetization"].values), obs, **FAST)
    good = {r["name"]: r for r in ranking_headlines(ds, "classifier", "magnetization_squared")}
    assert all(r["status"] == "met" for r in good.values())
    bad = {r["name"]: r for r in ranking_headlines(ds, "classifier", "energy")}
    assert bad["classifier.ranks_first[energy]"]["status"] == "missed"


def test_headlines_judge_which_observable_ranks_first_within_the_control_parameter(ising):
    """With a conditional ranking, 'ranks first' is judged on it (suffix given_<control>) and
    the pooled one is only recorded; the |rho| criterion stays on the pooled ranking."""
    _, obs = ising
    strata = np.arange(obs.sizes["sample"]) % 4
    ds = P.rank_observables(
        np.tanh(3 * obs["abs_magnetization"].values), obs, strata=strata, control="beta", **FAST
    )
    good = {r["name"]: r for r in ranking_headlines(ds, "net", "abs_magnetization")}
    assert good["net.ranks_first_given_beta[abs_magnetization]"]["status"] == "met"
    assert good["net.ranks_first[abs_magnetization]"]["status"] == "info"
    assert good["net.abs_spearman[abs_magnetization]"]["status"] == "met"
    assert good["net.abs_spearman_given_beta[abs_magnetization]"]["value"] == pytest.approx(1.0)
    bad = {r["name"]: r for r in ranking_headlines(ds, "net", "energy")}
    assert bad["net.ranks_first_given_beta[energy]"]["status"] == "missed"


def test_rank_units_of_a_layer(ising):
    """Unit 0 computes |M|, unit 1 the energy, unit 2 is dead: each is identified."""
    _, obs = ising
    layer = np.column_stack(
        [
            np.tanh(2 * obs["abs_magnetization"].values),
            np.exp(obs["energy"].values),
            np.zeros(obs.sizes["sample"]),
        ]
    )
    ds = P.rank_units(layer, obs, bootstrap_resamples=20, cv_folds=3, seed=1)
    assert ds.sizes == {"unit": 3, "observable": len(obs.data_vars)}
    best = [
        str(ds.observable[ds["rank"].sel(unit=u).argmin(dim="observable")].values) for u in range(2)
    ]
    assert best == [
        "abs_magnetization",
        "nn_correlation",
    ]  # first of the energy group in list order
    assert float(ds.abs_spearman.sel(unit=2).max()) == 0.0
