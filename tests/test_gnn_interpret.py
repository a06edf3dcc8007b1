"""The graph network and the reading of its messages, on answers known by construction:
message passing equals a per-pair loop; messages that are a linear map of the true pair force
pass the sparsity, linearity and formula checks, random or dense messages fail them; the
config checks name their keys."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physlens.crosskeys import cross_key_errors
from physlens.gnn import interpret as I
from physlens.gnn.data import node_features, split_simulations
from physlens.gnn.simulate import simulate
from physlens.gnn.train import message_l1_loss, variant_settings
from physlens.models.gnn import GraphNetwork, aggregate, complete_graph
from physlens.seeding import rng

DIM, N = 2, 4
EPS = 0.01


def _network(n_params=1, message_dim=5):
    torch.manual_seed(0)
    return GraphNetwork(DIM, n_params, N, message_dim, hidden=8, layers=2, activation="relu")


def test_complete_graph_lists_every_ordered_pair_once():
    recv, send = complete_graph(N)
    pairs = sorted(zip(recv.tolist(), send.tolist()))
    assert pairs == [(i, j) for i in range(N) for j in range(N) if i != j]


def test_message_passing_equals_a_per_pair_loop(float64_single_thread):
    net = _network().double()
    nodes = torch.randn(3, N, 2 * DIM + 1)
    out = net(nodes)
    for b in range(len(nodes)):
        for i in range(N):
            summed = 0
            for j in range(N):
                if j == i:
                    continue
                xi, xj = nodes[b, i], nodes[b, j]
                dx = xi[:DIM] - xj[:DIM]
                edge_in = torch.cat([xi, xj, dx, dx.norm().view(1)])
                summed = summed + net.edge_fn(edge_in)
            expected = net.node_fn(torch.cat([nodes[b, i], summed]))
            torch.testing.assert_close(out[b, i], expected, rtol=1e-12, atol=1e-12)
    # the messages the L1 penalty sees are those of the last forward pass, per ordered pair
    assert net.last_messages.shape == (3, N * (N - 1), 5)


def test_aggregate_sums_messages_per_receiver():
    gen = torch.Generator().manual_seed(1)
    recv, _ = complete_graph(N)
    msg = torch.randn(2, len(recv), 3, generator=gen)
    out = aggregate(msg, recv, N)
    for b in range(2):
        for i in range(N):
            torch.testing.assert_close(out[b, i], msg[b, recv == i].sum(0))


def test_l1_loss_adds_the_mean_per_edge_message_norm():
    net = _network()
    nodes = torch.randn(2, N, 2 * DIM + 1)
    target = torch.zeros(2, N, DIM)
    pred = net(nodes)
    mae = (pred - target).abs().mean()
    l1 = net.last_messages.abs().sum(-1).mean()
    torch.testing.assert_close(message_l1_loss(net, 0.3)(pred, target), mae + 0.3 * l1)
    torch.testing.assert_close(message_l1_loss(net, 0.0)(pred, target), mae)


def test_variants_set_message_width_and_penalty():
    cfg = {"dim": 3, "architecture": {"message_dim": 100}, "l1_weight": 0.01}
    assert variant_settings("standard", cfg) == (100, 0.0)
    assert variant_settings("l1", cfg) == (100, 0.01)
    assert variant_settings("bottleneck", cfg) == (3, 0.0)
    with pytest.raises(ValueError, match="kl"):
        variant_settings("kl", cfg)


def test_splits_are_disjoint_seeded_and_nonempty():
    split = split_simulations(20, 0.15, 0.15, seed=3, law="spring")
    assert set(np.unique(split)) == {0, 1, 2} and (split == 1).sum() == 3
    np.testing.assert_array_equal(split, split_simulations(20, 0.15, 0.15, 3, "spring"))


# --- interpretation on hand-built messages -------------------------------------------------


@pytest.fixture(scope="module")
def spring_edges():
    """Edges of a few short spring simulations: the table of pair geometry and true force."""
    cfg = {
        "dim": DIM,
        "n_particles": N,
        "n_simulations": 12,
        "n_stored": 10,
        "dt": {"spring": 0.01},
        "stride": {"spring": 5},
        "softening": EPS,
        "log_mass_sigma": 0.5,
    }
    ds = simulate("spring", cfg, seed=11)
    nodes = node_features(ds)[0].reshape(-1, N, 2 * DIM + 1)
    table = I.edge_table(nodes, "spring", DIM, EPS)
    icfg = {"force_quantile": 1.0, "max_edges": 4000}
    fit, hold, n_extreme = I.edge_split(len(table["r"]), table, icfg, rng(1, "t"))
    assert n_extreme == 0
    return table, fit, hold


def _force(table):
    return np.column_stack([table["Fx"], table["Fy"]])


def test_edge_table_force_is_the_spring_law(spring_edges):
    table, _, _ = spring_edges
    r = np.hypot(table["dx"], table["dy"])
    np.testing.assert_allclose(table["r"], r)
    np.testing.assert_allclose(table["Fx"], -2 * (r + EPS - 1) * table["dx"] / r, rtol=1e-10)


def test_sparse_linear_messages_pass_every_check(spring_edges):
    """100 components, two of them a rotation-and-scale of the pair force, the rest ~0."""
    table, fit, hold = spring_edges
    gen = rng(2, "t")
    msg = 1e-4 * gen.standard_normal((len(table["r"]), 100))
    A = np.array([[0.6, -0.8], [0.8, 0.6]]) * 3.0
    msg[:, [17, 42]] = _force(table) @ A.T + 0.5
    a = I.message_analysis(msg, table, fit, hold, DIM, significance=0.1)
    assert a["n_significant"] == a["n_significant_principal"] == DIM
    assert sorted(c["component"] for c in a["per_component"]) == [17, 42]
    assert a["force_r2_min"] > 0.999 and a["force_target"] == "force"
    # the affine fit recovers the map and the offset
    coef = {c["component"]: c["coefficients"] for c in a["per_component"]}
    np.testing.assert_allclose(coef[17], [1.8, -2.4, 0.5], atol=1e-6)


def test_messages_linear_in_force_per_receiving_mass_are_recognised(spring_edges):
    table, fit, hold = spring_edges
    msg = np.zeros((len(table["r"]), 10))
    msg[:, :2] = _force(table) / table["m1"][:, None]
    a = I.message_analysis(msg, table, fit, hold, DIM, significance=0.1)
    assert a["force_target"] == "force_per_receiver_mass" and a["force_r2_min"] > 0.999


def test_dense_linear_messages_fail_sparsity_but_not_linearity(spring_edges):
    """The standard model's pattern: every component a different linear map of the force."""
    table, fit, hold = spring_edges
    A = rng(3, "t").standard_normal((100, DIM))
    a = I.message_analysis(_force(table) @ A.T, table, fit, hold, DIM, significance=0.1)
    assert a["n_significant"] > 10 and a["force_r2_min"] > 0.999
    # ... yet they span only the force's two directions
    assert a["n_significant_principal"] == DIM


def test_random_messages_fail_sparsity_and_linearity(spring_edges):
    table, fit, hold = spring_edges
    msg = rng(4, "t").standard_normal((len(table["r"]), 100))
    a = I.message_analysis(msg, table, fit, hold, DIM, significance=0.1)
    assert a["n_significant"] > 50 and a["force_r2_min"] < 0.05
    assert a["n_significant_principal"] > 50


def test_formula_check_accepts_the_force_law_and_rejects_others(spring_edges):
    table, _, hold = spring_edges
    dx, dy, r = (table[k][hold] for k in ("dx", "dy", "r"))
    spring_x = -2 * (r + EPS - 1) * dx / r
    ok = I.formula_force_r2(0.4 * spring_x - 2.0, table, hold, DIM)
    assert ok["force_r2"] > 0.999
    inverse_square = I.formula_force_r2(-dx / (r + EPS) ** 3, table, hold, DIM)
    assert inverse_square["force_r2"] < 0.5
    noise = I.formula_force_r2(rng(5, "t").standard_normal(len(hold)), table, hold, DIM)
    assert noise["force_r2"] < 0.05
    # a formula that breaks on some edges is judged on the rest, and says how many
    broken = spring_x.copy()
    broken[:3] = np.nan
    assert I.formula_force_r2(broken, table, hold, DIM)["n_heldout"] == len(hold) - 3


def test_symbolic_regression_recovers_a_linear_map_of_the_spring_force(spring_edges):
    """pyoperon on messages that are exactly 2 F_x - F_y: the chosen formula is the force law
    up to a linear map on held-out edges."""
    table, fit, hold = spring_edges
    F = _force(table)
    target = 2 * F[:, 0] - F[:, 1]
    budget = {
        "engine": "operon",
        "population_size": 200,
        "generations": 30,
        "max_complexity": 20,
        "time_limit_s": 20,
    }
    res, check = I.symbolic_formula(table, target, fit[:1000], hold, DIM, budget, 1, "spring")
    assert check["force_r2"] > 0.95, res.expression
    assert {"complexity", "loss", "expression", "selected"} <= set(res.pareto.columns)


# --- config checks -------------------------------------------------------------------------


def test_shipped_configs_have_no_gnn_errors(tiny_config):
    from conftest import ROOT
    from physlens.config import load_config

    assert not [e for e in cross_key_errors(tiny_config) if "gnn." in e]
    for preset in ("config.yaml", "paper.yaml"):
        assert not [
            e for e in cross_key_errors(load_config(ROOT / "config" / preset)) if "gnn." in e
        ]


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (lambda g: g.update(n_simulations=3, val_fraction=0.5), r"gnn\.n_simulations = 3"),
        (
            lambda g: g["interpret"].update(max_edges=100, symbolic_edges=80),
            r"gnn\.interpret\.symbolic_edges = 80",
        ),
        (
            lambda g: g["architecture"].update(message_dim=2),
            r"gnn\.architecture\.message_dim = 2",
        ),
    ],
)
def test_bad_gnn_config_names_the_key(tiny_config, edit, pattern):
    import re

    from physlens.config import ConfigError, validate_config

    edit(tiny_config["gnn"])
    errors = cross_key_errors(tiny_config)
    assert any(re.search(pattern, e) for e in errors), errors
    with pytest.raises(ConfigError, match=pattern):
        validate_config(tiny_config)
