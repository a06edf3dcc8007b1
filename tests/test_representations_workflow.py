"""The representations stage (issue #9, parts 1-2, and parsimony): the stage's library
functions against answers known by construction, then the rules' outputs after the tiny
workflow run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
import yaml

from physlens.config import ConfigError, validate_config
from physlens.models.ising import PhaseCNN, ProbeNet
from physlens.observables import compute_observables
from physlens.plots.representations import read_parsimony
from physlens.representations import activations as ACT
from physlens.representations import decision_pipeline as DP
from physlens.representations import embeddings as EMB
from physlens.representations import lattices as LT
from physlens.representations import parsimony as PAR
from physlens.representations import similarity as SIM
from physlens.representations.maximisation import maximise_activation
from physlens.representations.parsimony import aic, bic, compare_explanations

ROOT = Path(__file__).resolve().parents[1]
L = 8


def bond_probe(w=(1.0, 1.0), head=1.0) -> ProbeNet:
    """1x2 probe with one channel tanh(w1 s_i + w2 s_{i+x}), lattice mean, head weight `head`."""
    net = ProbeNet(kernel=(1, 2), channels=1)
    with torch.no_grad():
        net.conv.weight[:] = torch.tensor(w).view(1, 1, 1, 2)
        net.conv.bias.zero_()
        net.head.weight.fill_(head)
        net.head.bias.zero_()
    return net.eval()


def lattices() -> dict[str, np.ndarray]:
    return LT.reference_lattices(L)


@pytest.fixture()
def single_thread():
    """One intra-op torch thread: these 8x8 problems only lose time to thread contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- activations ----------------------------------------------------------------------------


def test_hidden_layers_are_the_nonlinearities_in_forward_order():
    assert list(ACT.hidden_layers(ProbeNet(kernel=(2, 2)))) == ["act"]
    assert list(ACT.hidden_layers(PhaseCNN(channels=(4, 3, 2)))) == [
        "features.1",
        "features.3",
        "features.5",
    ]


def test_pooled_activations_of_a_hand_set_bond_unit():
    up, sx, sy = (lattices()[k] for k in ("uniform", "stagger_x", "stagger_y"))
    x = np.stack([up, -up, sx, sy])
    acts = ACT.layer_activations(bond_probe(), x)
    # lattice mean of tanh(s_i + s_{i+x}): +-tanh(2) on aligned lattices, 0 where every x bond
    # is broken, and 0 for rows of alternating sign (tanh is odd)
    np.testing.assert_allclose(
        acts["act"][:, 0], [math.tanh(2), -math.tanh(2), 0.0, 0.0], atol=1e-6
    )
    flat = ACT.layer_activations(bond_probe(), x, view="flat")["act"]
    assert flat.shape == (4, L * L)
    np.testing.assert_allclose(flat.mean(1), acts["act"][:, 0], atol=1e-6)
    with pytest.raises(ValueError, match="layer_view"):
        ACT.layer_activations(bond_probe(), x, view="max")


# --- embeddings -----------------------------------------------------------------------------


def two_clusters(n=60, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2 * n, d))
    X[n:, 0] += 25.0
    return X, np.r_[np.zeros(n), np.ones(n)]


def nearest_neighbour_accuracy(E, labels) -> float:
    d = ((E[:, None] - E[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((labels[d.argmin(1)] == labels).mean())


def test_embeddings_keep_separated_clusters_apart_and_are_seeded():
    X, lab = two_clusters()
    emb, ratio = EMB.embed(X, ["pca", "tsne", "umap"], seed=3, perplexity=15, n_neighbors=10)
    for m, E in emb.items():
        assert E.shape == (len(X), 2), m
        assert nearest_neighbour_accuracy(E, lab) == 1.0, m
    assert ratio[0] > 0.9  # the cluster offset dominates the variance
    again, _ = EMB.embed(X, ["tsne", "umap"], seed=3, perplexity=15, n_neighbors=10)
    for m in again:
        np.testing.assert_array_equal(again[m], emb[m])


def test_embedding_caps_perplexity_and_pads_one_feature():
    X = np.linspace(0, 1, 12)[:, None]
    emb, _ = EMB.embed(X, ["pca", "tsne"], seed=1, perplexity=30)
    assert emb["pca"].shape == emb["tsne"].shape == (12, 2)
    with pytest.raises(ValueError, match="unknown"):
        EMB.embed(X, ["isomap"], seed=1)


# --- similarity -----------------------------------------------------------------------------


def test_cross_seed_summary_on_a_constructed_matrix():
    members = np.array(["m0", "m0", "m1", "m1"])
    layers = np.array(["a", "b", "a", "b"])
    S = np.array(
        [[1.0, 0.3, 0.9, 0.2], [0.3, 1.0, 0.1, 0.7], [0.9, 0.1, 1.0, 0.4], [0.2, 0.7, 0.4, 1.0]]
    )
    mean, ident = SIM.cross_seed_summary(S, members, layers)
    np.testing.assert_allclose(mean, [0.9, 0.7])
    assert ident == 1.0
    S[1, 2] = S[2, 1] = 0.95  # layer b of m0 now looks most like layer a of m1
    # now (m0, b) and, by symmetry, (m1, a) pick the other layer: 2 of 4 identified
    assert SIM.cross_seed_summary(S, members, layers)[1] == pytest.approx(0.5)


def test_similarity_measures_of_a_rotated_copy_and_constant_input():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 5))
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    cfg = {
        "measures": ["linear_cka", "rbf_cka", "svcca"],
        "debiased": False,
        "rbf_bandwidth": 1.0,
        "svcca_keep_variance": 0.99,
    }
    S = SIM.similarity_table(
        {"x": X, "rotated": 2 * X @ Q, "const": np.ones((80, 3))}, SIM.measure_functions(cfg)
    )
    np.testing.assert_allclose(S[:, 0, 1], 1.0, atol=1e-8)
    assert np.isnan(S[:, 0, 2]).all()


# --- maximisation ---------------------------------------------------------------------------


def test_unit_observables_of_the_bond_extreme_lattices():
    obs = LT.unit_observables(np.stack(list(lattices().values())))
    # magnetization, |M|, E/N, bond energy x, bond energy y
    np.testing.assert_allclose(
        obs,
        [
            [1, 1, -2, -1, -1],
            [-1, 1, -2, -1, -1],
            [0, 0, 0, 1, -1],
            [0, 0, 0, -1, 1],
            [0, 0, 2, 1, 1],
        ],
    )
    rng = np.random.default_rng(0)
    s = np.where(rng.random((5, L, L)) < 0.5, -1, 1)
    np.testing.assert_allclose(
        LT.unit_observables(s)[:, 2], compute_observables(s, ["energy"])["energy"].values
    )


def domain_wall_probe(head: float) -> ProbeNet:
    """Z2-even 1x2 probe: channels tanh(s_i - s_{i+x} - 1) and tanh(-s_i + s_{i+x} - 1) sum to
    -1.52 on an aligned bond and -0.23 on a broken one; head +1 favours broken x bonds."""
    net = ProbeNet(kernel=(1, 2), channels=2)
    with torch.no_grad():
        net.conv.weight[:] = torch.tensor([[1.0, -1.0], [-1.0, 1.0]]).view(2, 1, 1, 2)
        net.conv.bias.fill_(-1.0)
        net.head.weight.fill_(head)
        net.head.bias.zero_()
    return net.eval()


@pytest.mark.parametrize(
    "net, expected, z2_even",
    [
        (bond_probe(head=1.0), -1.0, False),
        (bond_probe(head=-1.0), -1.0, False),
        (domain_wall_probe(1.0), 1.0, True),
        (domain_wall_probe(-1.0), -1.0, True),
    ],
    ids=["bond+", "bond-", "walls+", "walls-"],
)
def test_bond_probe_maximiser_has_the_bond_energy_its_weights_favour(
    net, expected, z2_even, single_thread
):
    for p in net.parameters():
        p.requires_grad_(False)
    res = maximise_activation(
        net, L, seed=4, n_starts=4, steps=300, lr=0.05, normalise_gradient=True
    )
    ds = xr.Dataset(
        {
            "reference_activation": (
                "reference",
                DP._logits(net, np.stack(list(lattices().values()))),
            )
        },
        coords={"reference": list(lattices())},
    )
    assert LT.expected_bond_energy(ds, ("x",), 1.0) == expected
    if z2_even:  # minimising wants the opposite bonds
        assert LT.expected_bond_energy(ds, ("x",), -1.0) == -expected
    else:  # odd in the spins: its minimum is the other aligned lattice
        assert LT.expected_bond_energy(ds, ("x",), -1.0) == -1.0
    # all (or nearly all: a relaxation may leave a pair of antiphase walls) x bonds of that kind
    assert LT.bond_energy(res.config, "x") * expected >= 0.7


def test_normalised_gradient_survives_a_steep_unit(single_thread):
    def steep(s):  # wants every x bond broken, with gradients 1000x those of a local unit
        return -1000.0 * (s * torch.roll(s, -1, dims=-1)).mean(dim=(-2, -1))

    plain = maximise_activation(steep, L, seed=2, n_starts=4, steps=300, lr=0.5)
    normed = maximise_activation(
        steep, L, seed=2, n_starts=4, steps=300, lr=0.05, normalise_gradient=True
    )
    assert LT.bond_energy(normed.config, "x") >= 0.9 > 0.5 > LT.bond_energy(plain.config, "x")


# --- parsimony ------------------------------------------------------------------------------


def test_candidates_fits_and_parameter_counts():
    rng = np.random.default_rng(2)
    q = rng.uniform(-1, 1, 200)
    y = 1 - 2 * q + 0.5 * q**3
    np.testing.assert_allclose(PAR.polynomial_candidate(y, q, 3), y, atol=1e-9)
    step = (q > 0).astype(float)
    pred, k = PAR.isotonic_candidate(step, q)
    np.testing.assert_allclose(pred, step)
    assert k == 2
    sym = {
        "feature_names": ["energy", "magnetization"],
        "expression": "2*energy + 1",
        "expression_full": "2.0*energy + 1.0",
        "selected": 0,
        "pareto": [{"complexity": 5}],
    }
    obs = {"energy": q, "magnetization": -q}
    pred, k, text = PAR.formula_candidate(sym, obs, "complexity")
    np.testing.assert_allclose(pred, 2 * q + 1)
    assert (k, text) == (5, "2*energy + 1")
    assert PAR.formula_candidate(sym, obs, "constants")[1] == 2


def test_parsimony_prefers_the_observable_that_generated_the_output():
    rng = np.random.default_rng(3)
    s = np.where(rng.random((300, L, L)) < 0.5 + 0.45 * rng.uniform(-1, 1, (300, 1, 1)), 1, -1)
    names = ["energy", "nn_correlation", "abs_magnetization", "magnetization"]
    obs = compute_observables(s, names)
    y = 3 * np.tanh(obs["energy"].values) + 0.05 * rng.standard_normal(300)
    ranking = xr.Dataset({"group": ("observable", [0, 0, 1, 2])}, coords={"observable": names})
    cands, info = PAR.explanation_candidates(
        y,
        {n: obs[n].values for n in names},
        ranking,
        {"fit": "polynomial", "degree": 3, "formula_penalty": "complexity"},
    )
    assert list(cands) == [
        "energy",
        "abs_magnetization",
        "magnetization",
    ]  # one per equivalence group
    assert info["energy"]["equivalent_to"] == "nn_correlation"
    table = compare_explanations(y, cands)
    assert table.candidate.iloc[0] == "energy" and table.weight.iloc[0] > 0.99
    assert table.akaike_weight.sum() == pytest.approx(1.0)


def test_aic_and_bic_differ_by_the_parameter_penalty():
    rng = np.random.default_rng(4)
    y, pred = rng.standard_normal(50), rng.standard_normal(50)
    assert bic(y, pred, 3) - aic(y, pred, 3) == pytest.approx(3 * math.log(50) - 6)


# --- config -----------------------------------------------------------------------------------


def test_bad_representations_config_names_the_key(minimal_config):
    cfg = {k: v for k, v in minimal_config.items() if k != "representations"}
    with pytest.raises(
        ConfigError, match=r"representations\.embeddings\.colour_by.*not registered"
    ):
        validate_config(
            {**cfg, "representations": {"embeddings": {"colour_by": ["energy", "entropy"]}}}
        )
    with pytest.raises(ConfigError, match=r"representations\.layer_view = 'max'"):
        validate_config({**cfg, "representations": {"layer_view": "max"}})
    assert minimal_config["representations"]["maximisation"]["normalise_gradient"] is True


# --- the rules, after the tiny workflow run -------------------------------------------------


def _records(path) -> dict:
    return {r["name"]: r for r in json.loads(Path(path).read_text())["records"]}


@pytest.mark.slow
def test_representations_outputs_exist_and_open(tiny_run):
    out = tiny_run / "results" / "representations"
    models = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())["interpret"]["models"]
    for m in models:
        with xr.open_dataset(out / m / "embeddings.h5", engine="h5netcdf") as ds:
            assert set(ds.embedding_method.values) == {"pca", "tsne", "umap"}
            assert np.isfinite(ds.embedding.values).all() and ds.attrs["seed"] is not None
            assert {"temperature", "energy", "abs_magnetization"} <= set(ds.variables)
        with xr.open_dataset(out / m / "maximisation.h5", engine="h5netcdf") as ds:
            assert set(np.unique(ds.maximiser.values)) <= {-1, 1}
            assert ds.sizes["rank"] == 3
        for fig in ("embeddings", "maximisation"):
            assert (out / m / "figures" / f"{fig}.png").stat().st_size > 10_000
    with xr.open_dataset(out / "similarity.h5", engine="h5netcdf") as ds:
        assert (
            ds.sizes["probe_a"] == 3 and len(set(ds.member_a.values)) == 2
        )  # 12x12, 1x2, 1x1; two seeds
        np.testing.assert_allclose(np.diagonal(ds.members.values, axis1=1, axis2=2), 1.0)
    table = read_parsimony(out / "parsimony.csv")
    assert set(table.model) == set(models)
    assert table.groupby("model").weight.sum().round(9).eq(1.0).all()
    for fig in ("similarity", "parsimony"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000


@pytest.mark.slow
def test_classifier_maximiser_is_an_aligned_lattice(tiny_run):
    with xr.open_dataset(
        tiny_run / "results/representations/classifier_member0/maximisation.h5", engine="h5netcdf"
    ) as ds:
        assert (
            float(ds.maximiser_observables.sel(output="ordered", observable="abs_magnetization"))
            >= 0.9
        )
        # the maximiser excites the unit at least as much as any held-out configuration
        assert (
            float(ds.activation.sel(output="ordered"))
            >= float(ds.topk_activation.sel(output="ordered").max()) - 1e-6
        )
    rec = _records(tiny_run / "results/representations/headline_maximisation.json")
    assert (
        rec["representations.maximisation.classifier_member0.ordered.abs_magnetization"]["status"]
        == "met"
    )


@pytest.mark.slow
def test_representations_headlines_reach_the_summary(tiny_run):
    summary = json.loads((tiny_run / "results" / "summary.json").read_text())
    names = {r["name"] for r in summary["records"] if r["stage"] == "representations"}
    assert "representations.parsimony.probe_1x2.energy_preferred" in names
    assert "representations.maximisation.probe_1x2.ordered.kernel_bond_energy" in names
    assert any(n.startswith("representations.similarity.cross_seed_linear_cka[") for n in names)
    assert any(n.startswith("representations.embeddings.classifier_member0.pc1") for n in names)
