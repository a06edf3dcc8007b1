"""The ccnn stage: correlator maps against the tuple sum they are defined by, ensembles whose
statistics are known by construction, the L1 path against its optimality conditions, the
filter-shape check, the config checks, hand-built CCNNs whose answer is known, and the rules'
outputs after the tiny run.

Known answers:

* correlator maps: c^(n)(x) = sum over n-subsets of window cells of prod f(a) s(x + a),
  enumerated directly (any real spins: the recursion must not assume s^2 = 1);
* block-parity ensembles: inside every aligned block the product over the constrained sites
  is +1 in every configuration of the constrained ensemble; every correlation of fewer
  spins is that of i.i.d. uniform spins (zero), in both ensembles; with random tiling
  offsets the translation average of the constrained product is 1/4;
* a CCNN whose filter is 1 on a 2x2 block: its order-4 feature is the plaquette average, its
  order-2 feature 2 (nn_x + nn_y) + diagonal + antidiagonal;
* the L1 path: at every strength the solution satisfies the KKT conditions of the
  L1-penalised logistic loss; a feature that alone carries the label enters first.
"""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest
import torch

from physlens.ccnn import ensembles as E
from physlens.ccnn import interpret as I
from physlens.ccnn import pipeline as P
from physlens.ccnn.correlators import brute_force_maps, correlator_maps
from physlens.ccnn.path import l1_logistic_path, normalise_pattern, shape_check, standardise
from physlens.config import ConfigError, validate_config
from physlens.crosskeys import cross_key_errors
from physlens.io import to_netcdf_atomic
from physlens.modelfiles import save_model
from physlens.models import build_model
from physlens.slices import ccnn_data_slice, ccnn_path_slice, ccnn_train_slice

SEED = 11
PLAQUETTE = [[0, 0], [0, 1], [1, 0], [1, 1]]
TRIPLE = [[0, 0], [0, 1], [1, 0]]


# --- correlator maps ---------------------------------------------------------------------


@pytest.mark.parametrize("window", [(1, 2), (2, 2), (2, 3), (3, 3)])
def test_recursive_correlators_equal_the_tuple_sum(window, float64_single_thread):
    gen = np.random.default_rng(3)
    spins = gen.normal(size=(3, 5, 6))  # real values: s^2 != 1, no shortcut applies
    filters = gen.normal(size=(2, *window))
    max_order = min(4, window[0] * window[1])
    rec = correlator_maps(torch.as_tensor(spins), torch.as_tensor(filters), max_order).numpy()
    brute = brute_force_maps(spins, filters, max_order)
    assert rec.shape == brute.shape == (3, 2, max_order, 5, 6)
    np.testing.assert_allclose(rec, brute, rtol=1e-10, atol=1e-10)


def test_brute_force_map_at_one_site_is_the_definition():
    """An independent check of the reference itself: one site, one filter, by hand."""
    gen = np.random.default_rng(4)
    spins = np.where(gen.random((1, 4, 4)) < 0.5, -1.0, 1.0)
    filt = gen.normal(size=(1, 2, 2))
    maps = brute_force_maps(spins, filt, 4)
    y, x = 3, 3  # the window wraps around the torus
    cells = [(dy, dx) for dy in range(2) for dx in range(2)]
    v = {a: filt[0][a] * spins[0, (y + a[0]) % 4, (x + a[1]) % 4] for a in cells}
    for n in range(1, 5):
        expected = sum(np.prod([v[a] for a in sub]) for sub in combinations(cells, n))
        assert maps[0, 0, n - 1, y, x] == pytest.approx(expected)


def test_ccnn_features_are_the_block_correlation_functions(float64_single_thread):
    """Filter 1 on a 2x2 block of a 3x3 window: c^(4) is the plaquette, c^(2) the sum of the
    block's six pairs, c^(1) four times the magnetisation (translation averages)."""
    model = build_model({"name": "ccnn", "n_filters": 1, "window": [3, 3], "max_order": 4})
    with torch.no_grad():
        model.filters.zero_()
        model.filters[0, 1:, 1:] = 3.0  # any scale: the net uses the unit-norm filter
    spins = E.block_parity_sample(20, 8, PLAQUETTE, False, np.random.default_rng(5))
    feats = model.features(torch.as_tensor(spins, dtype=torch.float64)).detach().numpy()[:, 0]
    stat = {k: E.pattern_average(spins, s) for k, (_, s) in E.STATISTICS.items()}
    f = 0.5  # unit norm of four equal cells
    np.testing.assert_allclose(feats[:, 0], 4 * f * stat["magnetization"], atol=1e-12)
    pairs = 2 * stat["nn_x"] + 2 * stat["nn_y"] + stat["diagonal"] + stat["antidiagonal"]
    np.testing.assert_allclose(feats[:, 1], f**2 * pairs, atol=1e-12)
    np.testing.assert_allclose(feats[:, 3], f**4 * stat["plaquette"], atol=1e-12)


def test_ccnn_logit_does_not_depend_on_the_filter_scale():
    model = build_model({"name": "ccnn", "n_filters": 2, "window": [2, 2], "max_order": 3})
    model.eval()
    x = torch.as_tensor(E.block_parity_sample(6, 4, TRIPLE, True, np.random.default_rng(6)))
    before = model(x.float()).detach()
    with torch.no_grad():
        model.filters.mul_(7.0)
    torch.testing.assert_close(model(x.float()).detach(), before)


# --- ensembles ---------------------------------------------------------------------------


@pytest.mark.parametrize("sites", [PLAQUETTE, TRIPLE, [[0, 1], [1, 0]]])
def test_block_parity_constraint_holds_exactly_in_every_aligned_block(sites):
    gen = np.random.default_rng(7)
    spins = E.block_parity_sample(50, 8, sites, True, gen, offsets=False).astype(int)
    prod = np.ones((50, 4, 4), int)
    for dy, dx in sites:
        prod *= spins[:, dy::2, dx::2]
    assert (prod == 1).all()
    free = E.block_parity_sample(50, 8, sites, False, gen, offsets=False).astype(int)
    prod = np.ones((50, 4, 4), int)
    for dy, dx in sites:
        prod *= free[:, dy::2, dx::2]
    assert abs(prod.mean()) < 4 / np.sqrt(prod.size)


@pytest.mark.parametrize("sites", [PLAQUETTE, TRIPLE])
def test_block_parity_statistics_agree_below_the_order_and_differ_at_it(sites):
    """Translation averages with random tiling offsets: every statistic below the order is 0
    in both ensembles, the constrained one is 1/4 vs 0 (within 4 standard errors)."""
    gen = np.random.default_rng(8)
    stats = [E.ensemble_statistics(E.block_parity_sample(3000, 8, sites, c, gen)) for c in (1, 0)]
    own = next(k for k, (o, s) in E.STATISTICS.items() if sorted(map(list, s)) == sorted(sites))
    for name in E.STATISTICS:
        for constrained, st in zip((True, False), stats):
            mean, err = st[name]
            exact = 0.25 if (name == own and constrained) else 0.0
            assert abs(mean - exact) < 4 * err, (name, constrained, mean, err)


def test_statistics_report_measures_the_low_orders_equal(tmp_path):
    pair = {"kind": "block_parity", "L": 8, "n_per_class": 600, "sites": TRIPLE}
    data = {"pair": pair, "val_fraction": 0.2, "test_fraction": 0.25}
    out = {"data": tmp_path / "e.h5", "statistics": tmp_path / "s.json"}
    ds = E.write_ensembles("triple", data, SEED, out)
    rep = json.loads(out["statistics"].read_text())
    assert rep["expected_order"] == 3 and ds.attrs["expected_order"] == 3
    rows = rep["statistics"]
    low = [k for k, v in rows.items() if v["order"] < 3]
    assert set(low) == {"magnetization", "nn_x", "nn_y", "diagonal", "antidiagonal"}
    assert max(abs(rows[k]["z"]) for k in low) < 4
    assert rows["triple_without_11"]["z"] > 10  # 1/4 vs 0
    # the split is stratified and complete
    split, label = ds["split"].values, ds["label"].values
    for code in (0, 1, 2):
        assert (label[split == code] == 1).sum() == (label[split == code] == 0).sum()


def test_ising_pair_labels_by_window_balances_and_symmetrises(tmp_path):
    from _ising_fixture import write_fixture

    temps = [1.5, 1.8, 3.0, 3.3]
    path = write_fixture(tmp_path / "L8.h5", 8, temps, 40, seed=2, sweeps=60)
    pair = {
        "kind": "ising",
        "L": 8,
        "ordered": [1.5, 1.8],
        "disordered": [3.0, 3.3],
        "max_per_class": 50,
    }
    ds = E.make_pair("ip", pair, {"val_fraction": 0.2, "test_fraction": 0.2}, SEED, path)
    label, temp = ds["label"].values, ds["temperature"].values
    assert (label == 1).sum() == (label == 0).sum() == 50
    assert (temp[label == 1] <= 1.8).all() and (temp[label == 0] >= 3.0).all()
    m = ds["spins"].values.mean(axis=(1, 2))
    ordered = m[label == 1]
    # both magnetisation branches of the ordered phase appear
    assert (ordered > 0.5).sum() > 10 and (ordered < -0.5).sum() > 10
    assert json.loads(ds.attrs["expected_patterns"]) == [[[0, 0], [0, 1]], [[0, 0], [1, 0]]]
    with pytest.raises(E.EnsembleError, match=r"ip\.ordered"):
        E.make_pair(
            "ip",
            {**pair, "ordered": [2.0, 2.5]},
            {"val_fraction": 0.2, "test_fraction": 0.2},
            SEED,
            path,
        )


# --- path and shapes ---------------------------------------------------------------------


def _kkt_violation(Z, y, beta, b, lam) -> float:
    prob = 1 / (1 + np.exp(-(Z @ beta + b)))
    g = Z.T @ (prob - y) / len(y)
    nz = beta != 0
    on = np.abs(g[nz] + lam * np.sign(beta[nz])).max(initial=0.0)
    off = (np.abs(g[~nz]) - lam).max(initial=0.0)
    return max(on, off, abs((prob - y).mean())) / lam


def test_l1_path_solves_the_penalised_problem_at_every_strength():
    gen = np.random.default_rng(9)
    n, p = 400, 6
    X = gen.normal(size=(n, p))
    X[:, 1] += 0.9 * X[:, 0]  # correlated features, as the correlators of one filter are
    logit = 1.5 * X[:, 0] - 1.0 * X[:, 3]
    y = (gen.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    path = l1_logistic_path(X, y, n_lambdas=15, min_ratio=1e-2)
    Z, _, _ = standardise(X)
    assert (path.coefs[0] == 0).all()  # lam_max: nothing has entered
    for lam, beta, b in zip(path.lambdas[1:], path.coefs[1:], path.intercepts[1:]):
        assert _kkt_violation(Z, y, beta, b, lam) < 1e-3
    assert path.entry_order()[0] == int(np.argmax(np.abs(Z.T @ (y - y.mean()))))


def test_a_feature_that_alone_carries_the_label_enters_first():
    gen = np.random.default_rng(10)
    y = np.repeat([1.0, 0.0], 200)
    X = gen.normal(size=(400, 5))
    X[:, 2] += 1.2 * y
    path = l1_logistic_path(X, y, n_lambdas=10, min_ratio=0.05)
    assert path.entry_order()[0] == 2
    assert path.entry_lambda[2] == path.lambdas[1] and path.entry_lambda[2] > path.entry_lambda[0]


def test_shape_check_finds_the_pattern_the_filter_holds():
    plaquette = np.full((3, 3), 0.05)
    plaquette[1:, :2] = [[1.0, 0.8], [0.9, 0.7]]
    rep = shape_check(plaquette, [PLAQUETTE])
    assert rep["support_matches"] and sorted(rep["support"]) == [[1, 0], [1, 1], [2, 0], [2, 1]]
    assert rep["top"][0]["shape"] == PLAQUETTE
    assert rep["known_share"] == rep["top"][0]["share"] > 2 * rep["top"][1]["share"]
    # a uniform filter has no support of its own (ties go to the first cells, a row of 3)
    assert not shape_check(np.ones((3, 3)), [PLAQUETTE])["support_matches"]
    # the known patterns may be several: the nearest-neighbour pairs of both directions
    nn = [[[0, 0], [0, 1]], [[0, 0], [1, 0]]]
    assert not shape_check(np.eye(2), nn)["support_matches"]  # a diagonal pair
    vertical = shape_check(np.array([[0.1, 0.9], [0.0, 0.8]]), nn)
    assert vertical["support_matches"] and vertical["known_share"] > 0.9
    # shape weights: a uniform 2x2 filter has 4 nearest-neighbour pairs and 2 diagonal ones
    assert shape_check(np.ones((2, 2)), nn)["known_share"] == pytest.approx(4 / 6)
    assert normalise_pattern([[2, 1], [3, 1]]) == normalise_pattern([[0, 0], [1, 0]])


# --- config ------------------------------------------------------------------------------


def test_shipped_configs_have_no_ccnn_errors(tiny_config):
    import yaml
    from snakemake.utils import update_config

    from conftest import ROOT

    assert cross_key_errors(tiny_config) == []
    paper = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(paper, yaml.safe_load((ROOT / "config" / "paper.yaml").read_text()))
    assert cross_key_errors(validate_config(paper)) == []


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (lambda c: c["pairs"]["ising_phases"].update(L=10), r"ising_phases\.L = 10: not in"),
        (
            lambda c: c["pairs"]["ising_phases"].update(ordered=[4.0, 4.5]),
            r"ising_phases: need ordered",
        ),
        (
            lambda c: c["pairs"]["ising_phases"].update(disordered=[5.0, 6.0]),
            r"ising_phases\.disordered = \[5\.0, 6\.0\]: holds none",
        ),
        (lambda c: c["pairs"]["plaquette_parity"].update(L=9), r"plaquette_parity\.L = 9"),
        (
            lambda c: c["architecture"].update(max_order=3),
            r"plaquette_parity: the distinguishing order 4",
        ),
        (
            lambda c: c["pairs"]["triple_parity"].update(window=[1, 2]),
            r"triple_parity: the known pattern",
        ),
        (
            lambda c: c.update(val_fraction=0.5, test_fraction=0.5),
            r"triple_parity\.n_per_class = \d+: cannot be split",
        ),
        (
            lambda c: c["pairs"]["triple_parity"].pop("sites"),
            r"triple_parity: kind 'block_parity' needs sites",
        ),
    ],
)
def test_bad_ccnn_config_names_the_key(tiny_config, edit, pattern):
    edit(tiny_config["ccnn"])
    with pytest.raises(ConfigError, match=pattern):
        validate_config(tiny_config)


def test_config_slices_hold_what_shapes_each_rule(tiny_config):
    c = tiny_config["ccnn"]
    assert (
        ccnn_data_slice(c, "triple_parity")["pair"]["sites"] == c["pairs"]["triple_parity"]["sites"]
    )
    assert ccnn_train_slice(c, "ising_phases")["window"] == c["pairs"]["ising_phases"]["window"]
    assert ccnn_train_slice(c, "triple_parity")["window"] == c["architecture"]["window"]
    assert set(ccnn_path_slice(c)) == {"path", "accuracy_margin", "low_order_z_max"}


# --- the interpretation of hand-built CCNNs ------------------------------------------------


@pytest.fixture()
def parity_files(tmp_path):
    """A plaquette-parity pair and a CCNN whose first filter is the plaquette (the others
    are single cells), saved as the train rule would."""
    pair = {"kind": "block_parity", "L": 8, "n_per_class": 300, "sites": PLAQUETTE}
    data = {"pair": pair, "val_fraction": 0.2, "test_fraction": 0.25}
    out = {"data": tmp_path / "e.h5", "statistics": tmp_path / "s.json"}
    ds = E.write_ensembles("plaq", data, SEED, out)
    model = build_model({"name": "ccnn", "n_filters": 3, "window": [3, 3], "max_order": 4})
    with torch.no_grad():
        model.filters.zero_()
        model.filters[0, :2, 1:] = 1.0
        model.filters[1, 0, 0] = 1.0
        model.filters[2, 2, 2] = 1.0
    model.eval()
    files = {k: tmp_path / f"{k}.json" for k in ("ccnn_meta", "cnn_meta")}
    for key, meta in files.items():
        save_model(
            model,
            tmp_path / f"{key}.pt",
            meta,
            metadata={"seed": 1, "metrics": {"test_accuracy": 0.9, "n_parameters": 40}},
        )
    to_netcdf_atomic(P.features_dataset(model, ds, SEED), tmp_path / "f.h5")
    return tmp_path, out


def test_path_of_a_plaquette_filter_picks_order_four_and_its_shape(parity_files):
    d, ens = parity_files
    cfg = {
        "path": {"n_lambdas": 12, "min_ratio": 0.01},
        "accuracy_margin": 0.05,
        "low_order_z_max": 4,
    }
    out = {k: d / f"{k}.out" for k in ("path", "report", "headline")}
    rep = I.interpret_pair(
        d / "f.h5",
        {k: d / f"{k}.json" for k in ("ccnn_meta", "cnn_meta")},
        ens["statistics"],
        "plaq",
        cfg,
        SEED,
        out,
    )
    assert (rep["first_filter"], rep["first_order"]) == (0, 4)
    assert rep["first_filter_shapes"]["support_matches"]
    assert rep["recursion_relative_error"] < 1e-12
    recs = {r["name"]: r for r in json.loads(out["headline"].read_text())["records"]}
    for name in (
        "first_order",
        "filter_shape",
        "recursion_error",
        "low_order_max_z",
        "test_accuracy",
    ):
        assert recs[f"ccnn.plaq.{name}"]["status"] == "met", recs[f"ccnn.plaq.{name}"]
    assert "Miles" in recs["ccnn.plaq.first_order"]["reference_source"]


def test_ising_shape_is_recorded_not_judged():
    rep = {
        "pair": "ip",
        "kind": "ising",
        "expected_order": 2,
        "expected_patterns": [[[0, 0], [0, 1]], [[0, 0], [1, 0]]],
        "first_filter_shapes": shape_check(np.eye(2), [[[0, 0], [0, 1]], [[0, 0], [1, 0]]]),
        "statistics": {
            "nn_x": {"order": 2, "separation": 2.0},
            "diagonal": {"order": 2, "separation": 2.1},
        },
    }
    rec = I.shape_headline(rep, "known")
    assert rec["status"] == "info" and rec["value"] == 0.0 and "diagonal 2.10" in rec["description"]


# --- the tiny run (config/test.yaml) -------------------------------------------------------


def test_tiny_run_ccnn_outputs(tiny_run):
    out = tiny_run / "results" / "ccnn"
    for pair in ("ising_phases", "plaquette_parity", "triple_parity"):
        recs = json.loads((out / pair / "headline.json").read_text())["records"]
        names = {r["name"] for r in recs}
        assert {
            f"ccnn.{pair}.{k}" for k in ("first_order", "test_accuracy", "filter_shape")
        } <= names
        rep = json.loads((out / pair / "interpretation.json").read_text())
        assert rep["recursion_relative_error"] < 1e-9
        for fig in ("filters", "path", "features"):
            assert (out / pair / "figures" / f"{fig}.png").stat().st_size > 10_000


def test_features_file_without_its_attributes_is_refused_by_name(tmp_path):
    import xarray as xr

    from physlens.io import DataFileError

    bare = xr.Dataset(
        {
            "feature": (("sample", "filter", "order"), np.zeros((4, 1, 2))),
            "filters": (("filter", "wy", "wx"), np.ones((1, 2, 2))),
            "label": ("sample", np.array([0, 1, 0, 1])),
            "split": ("sample", np.zeros(4, int)),
        }
    )
    to_netcdf_atomic(bare, tmp_path / "f.h5")
    with pytest.raises(DataFileError, match=r"f\.h5: attribute\(s\) \['pair'"):
        I.interpret_pair(tmp_path / "f.h5", {}, None, "x", {}, SEED, {})
