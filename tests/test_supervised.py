"""Supervised stage: Ising labels and Z2 signs, the classifier's order-parameter scale,
decision functions, the pipeline on tiny data (labels, splits and crossings in general:
test_phase_core.py)."""

import json
import math

import numpy as np
import pytest
import torch
import xarray as xr
from scipy.special import expit

from _ising_fixture import ising_params, make_ising_files
from physlens.config import load_config
from physlens.io import DataFileError
from physlens.slices import classifier_slice, split_slice
from physlens.supervised import decision, pipeline, probes
from physlens.supervised.data import load_ising, phase_labels, z2_signs
from physlens.supervised.names import probe_names

torch.set_num_threads(1)


# --- labels and splits ------------------------------------------------------------------


def test_phase_labels_follow_the_windows():
    labels = phase_labels([1.0, 1.8, 2.0, 2.27, 2.8, 3.5], 1.8, 2.8)
    assert labels.tolist() == [1, 1, -1, -1, 0, 0]
    with pytest.raises(ValueError, match="ordered_max = 2.5 must be below disordered_min = 2.0"):
        phase_labels([1.0], 2.5, 2.0)


def test_z2_signs_are_balanced_plus_minus_one():
    s = z2_signs((50, 200), np.random.default_rng(1))
    assert set(np.unique(s)) == {-1, 1}
    assert abs(s.mean()) < 0.02


# --- the classifier's order-parameter scale ---------------------------------------------------


def test_phase_cnn_order_scale_multiplies_the_pooled_order_parameter():
    from physlens.models.ising import PhaseCNN

    torch.manual_seed(0)
    net = PhaseCNN(channels=(4,), kernel=3, activation="tanh", z2_odd=True).eval()
    x = torch.where(torch.rand(5, 8, 8) < 0.7, 1.0, -1.0)
    with torch.no_grad():
        base = net(x) - net.head.bias
        net.order_scale = 1.5
        scaled = net(x) - net.head.bias
    torch.testing.assert_close(scaled, 1.5 * base)  # the head is linear in the |features|


# --- decision functions ------------------------------------------------------------------------


def test_sigmoid_fit_recovers_w_b_and_r2_of_one():
    q = np.linspace(-2.0, -0.5, 300)
    fit = decision.fit_sigmoid(q, expit(-6.0 * q - 8.0))
    assert fit["w"] == pytest.approx(-6.0, rel=1e-4) and fit["b"] == pytest.approx(-8.0, rel=1e-4)
    assert fit["r2"] == pytest.approx(1.0, abs=1e-9)


def test_sigmoid_fit_of_an_unrelated_output_has_r2_near_zero():
    rng = np.random.default_rng(0)
    fit = decision.fit_sigmoid(rng.random(2000), rng.random(2000))
    assert fit["r2"] < 0.01


# --- data files ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """Tiny Ising data (the test config's Monte Carlo) and the test config's supervised slices."""
    cfg = load_config("config/test.yaml")
    root = tmp_path_factory.mktemp("ising")
    files = make_ising_files(root, cfg["ising"]["sizes"], ising_params())
    return cfg, files


def test_missing_and_corrupted_data_files_are_named(tmp_path, tiny):
    with pytest.raises(DataFileError, match="L99.h5: data file not found"):
        load_ising(tmp_path / "L99.h5")
    bad = tmp_path / "L8.h5"
    bad.write_bytes(tiny[1][8].read_bytes()[:5000])  # truncated
    with pytest.raises(DataFileError, match="L8.h5"):
        load_ising(bad)
    ds = xr.open_dataset(tiny[1][8], engine="h5netcdf").load().drop_vars("energy")
    ds.to_netcdf(tmp_path / "noenergy.h5", engine="h5netcdf")
    with pytest.raises(DataFileError, match="noenergy.h5: missing variable.*energy"):
        load_ising(tmp_path / "noenergy.h5")


def test_probe_names_are_checked_against_the_lattice():
    cfg = load_config("config/test.yaml")["supervised"]["probes"]
    L = cfg["L"]
    too_big = f"{L + 1}x{L + 1}"
    with pytest.raises(ValueError, match=f"{too_big} does not fit the L = {L} lattice"):
        probes.probe_architecture(too_big, cfg)
    with pytest.raises(ValueError, match="expected 'constant'"):
        probes.probe_architecture("big", cfg)
    assert probes.probe_architecture(f"{L}x{L}", cfg)["kernel"] == [L, L]


# --- the extrapolated Tc and how strictly it is judged ---------------------------------------

TC_ONSAGER = 2 / math.log(1 + math.sqrt(2))


def crossing_predictions(tmp_path, sizes, tc_inf, spread, seed=0, members=8, n=60):
    """Prediction files whose members step down at tc_inf + 0.3/L (+ their own offsets)."""
    rng = np.random.default_rng(seed)
    temps = np.linspace(2.0, 2.6, 31)
    paths = {}
    for L in sizes:
        thr = tc_inf + 0.3 / L + rng.normal(0, spread, members)
        clean = expit(-(temps[None, :] - thr[:, None]) * L / 2)
        p = np.clip(clean[:, :, None] + rng.normal(0, 0.05, (members, len(temps), n)), 0, 1)
        paths[L] = tmp_path / f"pred_L{L}.h5"
        xr.Dataset(
            {"p_ordered": (("member", "temperature", "sample"), p)},
            coords={"temperature": temps},
        ).to_netcdf(paths[L], engine="h5netcdf")
    return paths


def test_paper_scale_sizes_tighten_the_tc_criteria():
    assert pipeline.tc_criteria([8, 16, 28, 32]) == (0.01, None)
    assert pipeline.tc_criteria([8, 16, 24, 28, 32, 48, 64]) == (0.003, 0.005)


@pytest.mark.parametrize(
    "sizes, tc_inf, spread, statuses",
    [
        # small lattices: 1 % of Onsager, no bound on the error
        ([8, 16, 32], TC_ONSAGER * 1.008, 0.002, {"supervised.tc_extrapolated": "met"}),
        # up to L = 64: 0.3 %, and the error at most 0.005
        (
            [16, 32, 64],
            TC_ONSAGER * 1.001,
            0.002,
            {"supervised.tc_extrapolated": "met", "supervised.tc_extrapolated_error": "met"},
        ),
        (
            [16, 32, 64],
            TC_ONSAGER * 1.008,
            0.002,
            {"supervised.tc_extrapolated": "missed", "supervised.tc_extrapolated_error": "met"},
        ),
        # members that disagree by ~0.03: the ensemble error exceeds 0.005
        (
            [16, 32, 64],
            TC_ONSAGER,
            0.03,
            {"supervised.tc_extrapolated_error": "missed"},
        ),
    ],
)
def test_extrapolated_tc_is_judged_by_the_sizes_reached(tmp_path, sizes, tc_inf, spread, statuses):
    paths = crossing_predictions(tmp_path, sizes, tc_inf, spread)
    tc = {"bootstrap": 50, "nu": 1.0}
    res = pipeline.analyse_tc(paths, tc, 3, tmp_path / "tc.csv", tmp_path / "tc.json")
    recs = {r["name"]: r for r in json.loads((tmp_path / "tc.json").read_text())["records"]}
    assert abs(res["tc"] - tc_inf) < 4 * res["tc_err"]  # the known Tc is recovered
    for name, status in statuses.items():
        assert recs[name]["status"] == status, recs[name]
    if max(sizes) < 64:
        assert "supervised.tc_extrapolated_error" not in recs
        assert recs["supervised.tc_extrapolated"]["tolerance"] == 0.01
    else:
        assert recs["supervised.tc_extrapolated"]["tolerance"] == 0.003
        err = recs["supervised.tc_extrapolated_error"]
        assert err["value"] == recs["supervised.tc_extrapolated"]["uncertainty"]
        assert err["reference"] == 0.005 and err["tolerance_kind"] == "at_most"


def outputs(root, name):
    return {
        k: root / f"{name}.{ext}"
        for k, ext in (("model", "pt"), ("meta", "json"), ("history", "h5"))
    }


@pytest.fixture(scope="session")
def tiny_stage(tiny, tmp_path_factory):
    """Run the whole stage on the tiny data (every model trains a few steps), each function
    given the config slices its rule passes."""
    cfg, files = tiny
    sup, tr, seed = cfg["supervised"], cfg["training"], cfg["seed"]
    split, classifier, probe_cfg = split_slice(sup), classifier_slice(sup), sup["probes"]
    out = tmp_path_factory.mktemp("supervised")
    L = classifier["L"]
    members = []
    for m in range(sup["classifier"]["members"]):
        o = outputs(out, f"member{m}")
        pipeline.train_phase_classifier(files[L], m, split, classifier, tr, seed, o)
        members.append((o["model"], o["meta"]))
    preds = {size: out / f"pred_L{size}.h5" for size in files}
    for size, path in preds.items():
        pipeline.predict_phase(
            members,
            files[L],
            files[size],
            size,
            split,
            seed,
            path,
            beta_over_nu=sup["tc"]["beta_over_nu"],
        )
    res_tc = pipeline.analyse_tc(preds, sup["tc"], seed, out / "tc.csv", out / "headline_tc.json")
    probe_models = {}
    for name in probe_names(probe_cfg):
        o = outputs(out, f"probe_{name}")
        probes.train_probe(files[probe_cfg["L"]], name, split, probe_cfg, tr, seed, o)
        probe_models[name] = (o["model"], o["meta"])
    res_probes = probes.analyse_probes(
        probe_models,
        files[probe_cfg["L"]],
        split,
        probe_cfg,
        seed,
        out / "outputs.h5",
        out / "losses.csv",
        out / "decision.csv",
        out / "headline_probes.json",
    )
    return cfg, files, out, members, preds, res_tc, res_probes


def test_stage_writes_labelled_files_and_valid_headlines(tiny_stage):
    cfg, files, out, members, preds, res_tc, res_probes = tiny_stage
    with xr.open_dataset(preds[8], engine="h5netcdf") as ds:
        assert ds["p_ordered"].dims == ("member", "temperature", "sample")
        assert ds.sizes["member"] == cfg["supervised"]["classifier"]["members"]
        p = ds["p_ordered"].values
        assert np.all(np.isfinite(p))  # L = 8 was never trained on: every sample is evaluated
        assert np.all((p >= 0) & (p <= 1))
    with xr.open_dataset(preds[12], engine="h5netcdf") as ds:
        # on the training file only the held-out samples are evaluated
        assert 0 < np.isfinite(ds["p_ordered"].values[0]).sum() < ds["p_ordered"].values[0].size
    with xr.open_dataset(out / "member0.h5", engine="h5netcdf") as hist:
        assert {"train_loss", "val_loss"} <= set(hist.data_vars) and "seed" in hist.attrs
    for name in ("headline_tc.json", "headline_probes.json"):
        doc = json.loads((out / name).read_text())  # strict JSON: no NaN
        assert all(r["stage"] == "supervised" for r in doc["records"])
    names = [r["name"] for r in json.loads((out / "headline_tc.json").read_text())["records"]]
    assert "supervised.tc_extrapolated" in names


def test_constant_baseline_loss_is_ln2(tiny_stage):
    losses = {r["receptive_field"]: r for r in tiny_stage[6]["losses"]}
    assert losses["constant"]["val_loss"] == pytest.approx(math.log(2), abs=0.01)


def test_classifier_training_is_deterministic(tiny, tiny_stage, tmp_path):
    cfg, files = tiny
    sup = cfg["supervised"]
    o = outputs(tmp_path, "again")
    pipeline.train_phase_classifier(
        files[sup["classifier"]["L"]],
        0,
        split_slice(sup),
        classifier_slice(sup),
        cfg["training"],
        cfg["seed"],
        o,
    )
    a = torch.load(tiny_stage[3][0][0], weights_only=True)
    b = torch.load(o["model"], weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_prediction_refuses_a_model_trained_on_other_data(tiny, tiny_stage, tmp_path):
    cfg, files = tiny
    members = tiny_stage[3]
    with pytest.raises(DataFileError, match="L8.h5: checksum differs"):
        pipeline.predict_phase(
            members,
            files[8],
            files[8],
            8,
            split_slice(cfg["supervised"]),
            cfg["seed"],
            tmp_path / "p.h5",
        )
