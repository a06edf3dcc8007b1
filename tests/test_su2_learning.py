"""SU(2) learning: the su2_cnn model, centre and gauge symmetries, beta_c, probing wiring,
determinism, and a short training that separates the beta extremes of the test config."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
import yaml

import physlens.su2.learning as learning  # registers su2_cnn and the su2 observables
from physlens.config import validate_config
from physlens.io import sha256sum
from physlens.modelfiles import save_model
from physlens.models import ArchitectureError, build_model
from physlens.observables import compute_observables
from physlens.su2 import sampling
from physlens.su2.candidates import (
    center_flip,
    random_center_slices,
    random_gauge_transform,
)
from physlens.su2.lattice import make_lattice
from physlens.su2.observables import polyakov_loop
from physlens.su2.quaternion import random_su2
from physlens.training import seeded_model

torch.set_num_threads(1)  # other test processes share the cores (oversubscription: 30x slower)

ROOT = Path(__file__).resolve().parents[1]
ETA = np.array([1.0, -1.0, -1.0, -1.0])  # 1/2 tr(A B) = a0 b0 - a.b for quaternions a, b


def load_test_config():
    return validate_config(yaml.safe_load(open(ROOT / "config" / "test.yaml")))


@pytest.fixture(scope="module")
def cfg():
    return load_test_config()


@pytest.fixture(scope="module")
def su2_file(tmp_path_factory, cfg):
    """The test config's SU(2) Monte Carlo data (4^3 x 2, a few betas)."""
    path = tmp_path_factory.mktemp("su2_learning") / "configs.h5"
    sampling.simulate_to_file({"seed": cfg["seed"], **cfg["su2"]}, path, threads=1, progress=False)
    return path


def haar_links(rng, n, n_t=2, n_s=4):
    return random_su2(rng, (n, n_t, n_s, n_s, n_s, 4))


# --- model --------------------------------------------------------------------------------


def test_su2_cnn_maps_link_batches_to_one_logit_each():
    model = build_model({"name": "su2_cnn", "channels": 3, "kernel": 2, "hidden": 5})
    for n_t, n_s in ((2, 4), (4, 6)):
        x = torch.as_tensor(haar_links(np.random.default_rng(0), 3, n_t, n_s), dtype=torch.float32)
        assert model(x).shape == (3,)
    with pytest.raises(ValueError, match="N_t, N_s, N_s, N_s, 4, 4"):
        model(torch.zeros(3, 2, 4, 4, 4, 16))
    with pytest.raises(ArchitectureError, match="su2_cnn"):
        build_model({"name": "su2_cnn", "channels": 0})


def hand_built_polyakov_features(channels=4):
    """su2_cnn whose channel c is mean_x a_c(x) b_c(x), a and b the two time links at x."""
    model = build_model({"name": "su2_cnn", "channels": channels, "kernel": 1, "hidden": 2})
    with torch.no_grad():
        model.slice_conv.weight.zero_()
        model.slice_conv.bias.zero_()
        for c in range(4):  # input channel mu * 4 + c with mu = 0 (time)
            model.slice_conv.weight[c, c] = 1.0
    return model


def test_time_product_layer_can_represent_the_polyakov_loop():
    """With hand-set weights, sum_c eta_c feature_c is exactly P (N_t = 2, raw links in)."""
    links = haar_links(np.random.default_rng(1), 5)
    model = hand_built_polyakov_features()
    with torch.no_grad():
        feats = model.features(torch.as_tensor(links, dtype=torch.float32)).double().numpy()
    lat = make_lattice(4, 2)
    expected = [polyakov_loop(u, lat) for u in links]
    np.testing.assert_allclose(feats @ ETA, expected, atol=1e-6)


# --- symmetries -----------------------------------------------------------------------------


def test_center_flip_flips_p_and_leaves_abs_p_and_plaquette_exactly_invariant():
    links = haar_links(np.random.default_rng(2), 4)
    names = ["polyakov_loop", "abs_polyakov_loop", "plaquette"]
    before = compute_observables(links, names, "su2")
    for t in (0, 1):
        after = compute_observables(np.stack([center_flip(u, t) for u in links]), names, "su2")
        np.testing.assert_array_equal(after["polyakov_loop"], -before["polyakov_loop"])
        np.testing.assert_array_equal(after["abs_polyakov_loop"], before["abs_polyakov_loop"])
        np.testing.assert_array_equal(after["plaquette"], before["plaquette"])
    # batched form: one slice per configuration, -1 = untouched
    slices = np.array([-1, 0, 1, -1])
    flipped = compute_observables(center_flip(links, slices), names, "su2")
    np.testing.assert_array_equal(
        flipped["polyakov_loop"], np.where(slices >= 0, -1, 1) * before["polyakov_loop"]
    )
    assert not np.shares_memory(center_flip(links, slices), links)
    drawn = random_center_slices(2000, 2, np.random.default_rng(3))
    assert set(np.unique(drawn)) == {-1, 0, 1} and abs(np.mean(drawn >= 0) - 0.5) < 0.05


def test_random_gauge_transform_keeps_invariants_and_scrambles_links():
    links = haar_links(np.random.default_rng(4), 3).astype(np.float32)
    out = random_gauge_transform(links, np.random.default_rng(5))
    assert out.dtype == np.float32 and out.shape == links.shape
    assert np.abs(out - links).max() > 0.5
    names = ["polyakov_loop", "plaquette"]
    a, b = compute_observables(links, names, "su2"), compute_observables(out, names, "su2")
    for k in names:
        np.testing.assert_allclose(b[k], a[k], atol=1e-5)
    assert np.abs(np.linalg.norm(out.astype(float), axis=-1) - 1).max() < 1e-5


# --- labels and beta_c -----------------------------------------------------------------------


def test_phase_labels_and_bad_windows():
    labels = learning.phase_labels([1.4, 1.8, 2.2, 2.6], 1.5, 2.5)
    np.testing.assert_array_equal(labels, [0, -1, -1, 1])
    with pytest.raises(ValueError, match="confined_max = 2.5 must be below deconfined_min = 1.5"):
        learning.phase_labels([1.0], 2.5, 1.5)


def test_strong_coupling_curve_has_the_small_beta_limit():
    from physlens.plots.su2 import strong_coupling_plaquette

    # I2(b)/I1(b) = b/4 - b^3/96 + ...
    assert strong_coupling_plaquette(1e-3) == pytest.approx(1e-3 / 4, rel=1e-6)


# --- wiring: a hand-built |P| network through predict and probing ------------------------------


def abs_polyakov_network():
    """su2_cnn computing |P| / sqrt(1 + eps) exactly (eval mode): P from the features, then
    relu(P) + relu(-P) in the head."""
    model = hand_built_polyakov_features()
    bn, lin1, _, lin2 = model.head
    with torch.no_grad():
        lin1.weight.copy_(torch.tensor(np.stack([ETA, -ETA]), dtype=torch.float32))
        lin1.bias.zero_()
        lin2.weight.fill_(1.0)
        lin2.bias.zero_()
    assert float(bn.running_mean.abs().sum()) == 0 and float((bn.running_var - 1).abs().sum()) == 0
    return model.eval()


def test_hand_built_abs_p_network_makes_probing_rank_abs_p_first(su2_file, cfg, tmp_path):
    s2l = cfg["su2_learning"]
    model = abs_polyakov_network()
    pt, meta = tmp_path / "model.pt", tmp_path / "model.json"
    save_model(model, pt, meta, metadata={"seed": 0, "data_sha256": sha256sum(su2_file)})
    pred = learning.predict_phase([(pt, meta)], su2_file, s2l, cfg["seed"], tmp_path / "pred.h5")
    test = np.isfinite(pred["logit"].values[0])
    # the logit is |P| of the (centre-flipped) configuration, computed independently
    np.testing.assert_allclose(
        pred["logit"].values[0][test],
        pred["abs_polyakov_loop"].values[test] / np.sqrt(1 + 1e-5),
        atol=1e-5,
    )
    assert (pred["center_slice"].values >= 0).any() and (pred["polyakov_loop"].values < 0).any()
    ranking = learning.probe_logit(
        tmp_path / "pred.h5",
        su2_file,
        s2l,
        cfg["interpret"]["probing"],
        cfg["seed"],
        tmp_path / "rank.h5",
        tmp_path / "rank.json",
    )
    top = [str(o) for o in ranking.observable.values[ranking["rank"].values == 1]]
    assert set(top) == {"abs_polyakov_loop", "polyakov_loop_squared"}
    assert float(ranking.sel(observable="abs_polyakov_loop").abs_spearman) == pytest.approx(
        1.0, abs=1e-9
    )
    # signed P is far behind: the centre flips make its sign random
    assert float(ranking.sel(observable="polyakov_loop").abs_spearman) < 0.8
    # within each beta the logit is still exactly |P|: conditional |rho| = 1 and it ranks first
    # (labelled betas keep 4 of 16 samples for testing, < 8: only the two middle betas count)
    assert ranking.attrs["control_parameter"] == "beta" and ranking.attrs["n_strata_used"] == 2
    row = ranking.sel(observable="abs_polyakov_loop")
    assert float(row.abs_spearman_cond) == pytest.approx(1.0, abs=1e-9) and int(row.rank_cond) == 1
    records = {r["name"]: r for r in json.load(open(tmp_path / "rank.json"))["records"]}
    assert (
        records["su2_learning.logit.ranks_first_given_beta[abs_polyakov_loop]"]["status"] == "met"
    )
    assert records["su2_learning.logit.ranks_first[abs_polyakov_loop]"]["status"] == "info"
    assert records["su2_learning.logit.abs_spearman_given_beta[abs_polyakov_loop]"]["value"] == (
        pytest.approx(1.0, abs=1e-9)
    )
    with xr.open_dataset(tmp_path / "rank.h5", engine="h5netcdf") as ds:
        assert {"abs_spearman", "abs_spearman_cond", "rank_cond"} <= set(ds.data_vars)


# --- training -----------------------------------------------------------------------------------


def train_member(su2_file, cfg, out_dir, member=0, **train_overrides):
    s2l = cfg["su2_learning"]
    s2l = {
        **s2l,
        "classifier": {
            **s2l["classifier"],
            "train": {**s2l["classifier"]["train"], **train_overrides},
        },
    }
    outputs = {
        k: out_dir / f"m{member}.{e}"
        for k, e in (("model", "pt"), ("meta", "json"), ("history", "h5"))
    }
    learning.train_classifier(su2_file, member, s2l, cfg["training"], cfg["seed"], outputs)
    return outputs


def test_same_config_gives_identical_weights_and_predictions(su2_file, cfg, tmp_path):
    runs = []
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        out = train_member(su2_file, cfg, d, epochs=2)
        learning.predict_phase(
            [(out["model"], out["meta"])], su2_file, cfg["su2_learning"], cfg["seed"], d / "pred.h5"
        )
        runs.append((out, xr.open_dataset(d / "pred.h5", engine="h5netcdf").load()))
    (a, pa), (b, pb) = runs
    wa, wb = torch.load(a["model"], weights_only=True), torch.load(b["model"], weights_only=True)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    np.testing.assert_array_equal(pa["logit"].values, pb["logit"].values)
    other = seeded_model(
        {"name": "su2_cnn", **cfg["su2_learning"]["classifier"]["architecture"]}, 123
    )
    assert not torch.equal(other.slice_conv.weight, wa["slice_conv.weight"])


@pytest.mark.slow
def test_short_training_separates_the_beta_extremes(su2_file, cfg, tmp_path):
    """Trained at the extremes of the test grid only (beta 1.4 vs 2.6), the network puts
    held-out configurations on the right side, and beta_c falls between the extremes."""
    out = train_member(su2_file, cfg, tmp_path)
    pred = learning.predict_phase(
        [(out["model"], out["meta"])],
        su2_file,
        cfg["su2_learning"],
        cfg["seed"],
        tmp_path / "pred.h5",
    )
    p = pred["p_mean"].values
    assert p[0] < 0.2 and p[-1] > 0.8, p
    res = learning.estimate_beta_c(
        tmp_path / "pred.h5",
        cfg["su2_learning"],
        cfg["seed"],
        tmp_path / "bc.csv",
        tmp_path / "bc.json",
    )
    betas = pred["beta"].values
    assert betas[0] < res["beta_c"] < betas[-1]
    assert res["accuracy"] >= 0.9
