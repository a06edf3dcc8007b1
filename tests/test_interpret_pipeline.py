"""The interpretation stage's glue (physlens.interpret.pipeline) on a hand-set 1x2 probing net
whose answer is known exactly, and the rules' outputs after the tiny workflow run.

Known answer: on "stripe" configurations (every row the same) the vertical bonds are all
aligned, so the energy per site is exactly -1 - (1 - 2 w) with w the fraction of horizontal
domain walls. The hand-set 1x2 net (channels (1, -1) and (-1, 1), bias -1, ReLU, lattice mean,
head weight -a) outputs -a w + b (docs/interpretation.md): an affine, decreasing function of the
energy, and its LRP-0 relevance is (-a / N)(1 + e_i) with e_i the horizontal bond energy of
site i, so the relevance-bond-energy correlation is exactly -1.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import xarray as xr

from physlens import modeldata as M
from physlens.interpret import pipeline as P
from physlens.interpret.ablation import ablation_layers, receptive_field_size
from physlens.interpret.attributions import bond_directions
from physlens.io import to_netcdf_atomic
from physlens.modelfiles import save_model
from physlens.models import build_model
from physlens.observables import ENERGY_GROUP, compute_observables
from physlens.training import seeded_model

SEED = 11
L = 8
TEMPS = np.array([1.0, 1.4, 1.8, 2.3, 2.8, 3.2, 3.6])
N_SAMPLES = 24
SPLIT = {
    "windows": {"ordered_max": 1.8, "disordered_min": 2.8},
    "val_fraction": 0.25,
    "test_fraction": 0.25,
    "symmetrize": True,
}
# b = 0 keeps the logit <= 0 for every sample: captum's LRP scales each sample's relevance by
# f / (f + eps), which vanishes on the decision boundary f = 0 (docs/interpretation.md).
HEAD_W, HEAD_B = -4.0, 0.0


def stripe_configs(rng: np.random.Generator) -> np.ndarray:
    """(temperature, sample, L, L) stripes; the domain-wall probability grows with T."""
    p = np.interp(TEMPS, [TEMPS[0], TEMPS[-1]], [0.02, 0.5])
    rows = np.ones((len(TEMPS), N_SAMPLES, L), np.int8)
    for t, pt in enumerate(p):
        flips = rng.random((N_SAMPLES, L)) < pt
        rows[t] = np.where(np.cumsum(flips, axis=1) % 2 == 0, 1, -1)
    return np.repeat(rows[:, :, None, :], L, axis=2)


def hand_set_1x2() -> torch.nn.Module:
    model = build_model({"name": "probe", "kernel": [1, 2], "channels": 2, "activation": "relu"})
    with torch.no_grad():
        model.conv.weight.copy_(torch.tensor([[[[1.0, -1.0]]], [[[-1.0, 1.0]]]]))
        model.conv.bias.fill_(-1.0)
        # each wall makes one of the two channels 1 at one site: mean over sites = w
        model.head.weight.fill_(HEAD_W)
        model.head.bias.fill_(HEAD_B)
    return model.eval()


def write_files(d: Path, spins: np.ndarray):
    """An Ising-layout data file of `spins` and the hand-set net saved as the supervised stage
    saves its models (checksums, split keys)."""
    from physlens.io import sha256sum

    flat = spins.reshape(-1, L, L)
    obs = compute_observables(flat, ["energy", "magnetization"])
    shape = spins.shape[:2]
    ds = xr.Dataset(
        {
            "spins": (("temperature", "sample", "y", "x"), spins),
            "energy": (("temperature", "sample"), obs["energy"].values.reshape(shape)),
            "magnetization": (
                ("temperature", "sample"),
                obs["magnetization"].values.reshape(shape),
            ),
        },
        coords={"temperature": TEMPS},
    )
    data = d / "L8.h5"
    to_netcdf_atomic(ds, data)
    model = hand_set_1x2()
    meta = dict(
        seed=SEED,
        name="probe",
        keys=["1x2"],
        split_keys=["probe"],
        data_file=str(data),
        data_sha256=sha256sum(data),
        metrics={},
        n_parameters=9,
    )
    save_model(model, d / "model.pt", d / "model.json", metadata=meta)
    return d, data


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_files(
        tmp_path_factory.mktemp("interpret"), stripe_configs(np.random.default_rng(3))
    )


@pytest.fixture()
def md(files):
    d, data = files
    return M.load_model_data("probe_1x2", d / "model.pt", d / "model.json", data, SPLIT, SEED)


def records(path) -> dict:
    return {r["name"]: r for r in json.loads(Path(path).read_text())["records"]}


def test_load_model_data_rebuilds_the_supervised_split(md):
    from physlens.supervised.pipeline import phase_split

    _, split, signs = phase_split(md.ds, SPLIT, SEED, "probe")
    x, T, lab = md.samples("test")
    assert np.array_equal(md.split.test[0], split.test[0]) and np.array_equal(
        md.split.test[1], split.test[1]
    )
    assert len(x) == len(split.test[0]) and set(np.unique(T)) == set(TEMPS)  # unlabelled T are test
    # Z2 signs applied: stripes stay stripes, both signs occur
    assert np.all(x == x[:, :1, :]) and {1.0, -1.0} <= set(np.unique(x[:, 0, 0]))
    assert md.kernel() == (1, 2)


def test_decision_logit_is_the_known_affine_function_of_the_walls(md):
    x, _, _ = md.samples("test")
    walls = np.mean(x != np.roll(x, 1, axis=2), axis=(1, 2))
    assert np.allclose(M.decision_logit(md.model, x), HEAD_W * walls + HEAD_B, atol=1e-6)
    H = M.pooled_hidden(md.model, x)
    assert H.shape == (len(x), 2) and np.allclose(H.sum(axis=1), walls, atol=1e-6)


def test_probing_ranks_the_energy_group_first(md, tmp_path):
    cfg = {
        "observables": {
            "ising": [
                "magnetization",
                "abs_magnetization",
                "energy",
                "nn_correlation",
                "domain_wall_density",
            ]
        },
        "bootstrap_resamples": 20,
        "cv_folds": 3,
    }
    ranking, lin = P.run_probing(
        md, cfg, SEED, tmp_path / "r.h5", tmp_path / "l.h5", tmp_path / "h.json"
    )
    assert set(ENERGY_GROUP) <= set(ranking.observable.values[ranking["rank"].values == 1])
    assert float(ranking.sel(observable="energy").spearman) == pytest.approx(-1.0, abs=1e-9)
    assert (
        float(lin.r2_heldout.sel(observable="energy")) > 0.999
    )  # energy is linear in the pooled layer
    rec = records(tmp_path / "h.json")
    assert rec["interpret.probe_1x2.abs_spearman[energy]"]["status"] == "met"
    # which observable ranks first is judged within each temperature; pooled it is recorded
    assert rec["interpret.probe_1x2.expected_ranks_first_given_T"]["status"] == "met"
    assert rec["interpret.probe_1x2.expected_ranks_first"]["status"] == "info"
    # the logit is an exact monotone function of the energy at every temperature too
    assert float(ranking.sel(observable="energy").spearman_cond) == pytest.approx(-1.0, abs=1e-9)
    assert set(ENERGY_GROUP) <= set(ranking.observable.values[ranking["rank_cond"].values == 1])
    # labelled temperatures keep 6 of 24 samples for testing (< 8): only T = 2.3 is used
    assert ranking.attrs["control_parameter"] == "T"
    assert (ranking.attrs["n_strata"], ranking.attrs["n_strata_used"]) == (len(TEMPS), 1)
    for f in ("r.h5", "l.h5"):  # readable by both h5py and xarray
        with h5py.File(tmp_path / f) as fh:
            assert "observable" in fh
        assert xr.open_dataset(tmp_path / f, engine="h5netcdf").attrs["seed"] == P.stage_seed(
            SEED, "probe_1x2", "probing"
        )


def test_lrp_relevance_anticorrelates_with_bond_energy(md, tmp_path):
    cfg = {
        "methods": ["lrp", "saliency", "integrated_gradients"],
        "samples_per_temperature": 3,
        "lrp_rule": "zero",
        "lrp_epsilon": 1e-6,
        "lrp_gamma": 0.25,
        "ig_steps": 16,
        "smoothgrad_samples": 4,
        "smoothgrad_stdev": 0.5,
        "baseline": 0.0,
        "bond_directions": ["x", "y"],
    }
    ds = P.run_attributions(md, cfg, SEED, tmp_path / "a.h5", tmp_path / "h.json")
    assert ds.attrs["bond_directions"] == "x"  # a 1x2 kernel spans horizontal bonds only
    assert float(ds.relevance_bond_energy_r.sel(explainer="lrp", phase="all")) == pytest.approx(
        -1.0, abs=1e-6
    )
    # LRP-0 gives each wall's two sites the wall's relevance each and the conv bias absorbs
    # one share: sum(R) = 2 f, so delta = f - sum(R) = -f and the relative leftover is 1
    out = ds["output"].values
    assert np.allclose(ds["delta"].sel(explainer="lrp").values, -out, atol=1e-6)
    assert float(ds.median_relative_leftover.sel(explainer="lrp")) == pytest.approx(1.0, abs=1e-5)
    # integrated gradients: completeness (sum = f(x) - f(0)) holds to quadrature error
    assert float(ds.median_relative_leftover.sel(explainer="integrated_gradients")) < 0.05
    assert math.isnan(float(ds.median_relative_leftover.sel(explainer="saliency")))
    rec = records(tmp_path / "h.json")
    assert rec["interpret.probe_1x2.relevance_bond_energy_r[lrp]"]["status"] == "met"
    assert ds.sizes["sample"] == 3 * len(TEMPS)
    back = xr.open_dataset(tmp_path / "a.h5", engine="h5netcdf")
    assert list(back.explainer.values) == cfg["methods"]


def test_symbolic_fit_of_the_decision_logit_is_a_function_of_the_energy(md, tmp_path):
    cfg = {
        "engine": "operon",
        "link": "logit",
        "population_size": 50,
        "generations": 5,
        "max_complexity": 7,
        "time_limit_s": 30,
        "max_samples": 120,
    }
    names = ["magnetization", "abs_magnetization", "energy"]
    ex = P.run_symbolic(
        md, cfg, names, SEED, tmp_path / "s.json", tmp_path / "p.h5", tmp_path / "h.json"
    )
    assert "energy" in ex.affine_equivalent_to  # logit = -4 w = 2 (energy + 1) on stripes
    assert ex.heldout_r2 > 0.999
    rec = records(tmp_path / "h.json")["interpret.probe_1x2.formula_is_function_of_energy"]
    assert rec["status"] == "met" and rec["context"]["engine"].startswith("operon")
    front = xr.open_dataset(tmp_path / "p.h5", engine="h5netcdf")
    assert int(front.selected.sum()) == 1 and front.attrs["formula"] == ex.result.expression
    assert json.loads((tmp_path / "s.json").read_text())["engine"] == "operon"


def test_ablation_of_a_channel_matches_silencing_it_by_hand(md, tmp_path):
    cfg = {"mode": "zero", "layers": ["conv"], "occlusion_patch": [4, 4], "occlusion_stride": 4}
    units, occ = P.run_ablation(md, cfg, 2, SEED, tmp_path / "u.h5", tmp_path / "o.h5")
    assert list(units.layer.values) == ["conv"] and units.sizes["unit"] == 2
    x, _, lab = md.samples("test")
    keep = lab >= 0
    y = torch.as_tensor(lab[keep] == 1, dtype=torch.float32)
    X = torch.as_tensor(x[keep])
    with torch.no_grad():
        h = torch.relu(md.model.conv(X.unsqueeze(1)))
        h[:, 0] = 0.0  # channel 0's output silenced (zero mode acts on the conv output)
        silenced = torch.nn.functional.binary_cross_entropy_with_logits(
            md.model.head(torch.relu(h).mean(dim=(-2, -1))).squeeze(-1), y
        )
    assert float(units.loss.sel(layer="conv", unit=0)) == pytest.approx(float(silenced), rel=1e-5)
    assert occ["occlusion"].shape == occ["input"].shape and "temperature" in occ.coords


def test_ablation_layers_resolve_convolutions_and_reject_unknown_names():
    cnn = build_model(
        {"name": "phase_cnn", "channels": [2, 3], "kernel": 3, "activation": "tanh", "z2_odd": True}
    )
    assert ablation_layers(cnn, ["conv"]) == ["features.0", "features.2"]
    assert ablation_layers(cnn, ["features.2", "conv"]) == ["features.2", "features.0"]
    with pytest.raises((ValueError, KeyError, AttributeError), match="nope"):
        ablation_layers(cnn, ["nope"])


def test_capacity_on_the_published_loss_table(tmp_path):
    """Wetzel & Scherzer 2017 (L = 28): 1x2 is sufficient and the loss drops from 1x2 to 1x1."""
    table = tmp_path / "loss_table.csv"
    with open(table, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["receptive_field", "train_loss", "val_loss"])
        for row in (
            ["28x28", 6.1588e-04, 0.0232],
            ["1x2", 1.2559e-04, 1.2105e-07],
            ["1x1", 0.2015, 0.1886],
            ["constant", math.log(2), math.log(2)],
        ):
            w.writerow(row)
        fh.write("# comment lines (as the supervised stage writes them) are skipped\n")
    cfg = {"capacity_factor": 2.0, "capacity_atol": 0.0, "jump_factor": 10.0, "jump_atol": 0.01}
    res = P.run_capacity(table, cfg, SEED, tmp_path / "c.h5", tmp_path / "h.json")
    assert res["sufficient"] == "1x2" and (res["drop"]["from"], res["drop"]["to"]) == ("1x2", "1x1")
    rec = records(tmp_path / "h.json")
    assert rec["interpret.capacity.sufficient_is_1x2"]["status"] == "met"
    assert rec["interpret.capacity.drop_below_1x2"]["status"] == "met"
    ds = xr.open_dataset(tmp_path / "c.h5", engine="h5netcdf")
    assert ds.capacity.sel(receptive_field="1x2") == 2 and ds.attrs["drop_to"] == "1x1"


def test_bond_directions_follow_the_kernel(md):
    assert bond_directions(md, ["x", "y"]) == ("x",)
    assert receptive_field_size("constant") == 0 and receptive_field_size("2x3") == 6


def test_influence_predicts_leave_one_out_retraining(tmp_path):
    # independent site flips (not stripes): many distinct configurations and effects
    gen = np.random.default_rng(5)
    p = np.interp(TEMPS, [TEMPS[0], TEMPS[-1]], [0.05, 0.5])[:, None, None, None]
    spins = np.where(gen.random((len(TEMPS), N_SAMPLES, L, L)) < p, -1, 1).astype(np.int8)
    d, data = write_files(tmp_path, spins)
    md = M.load_model_data("probe_1x2", d / "model.pt", d / "model.json", data, SPLIT, SEED)
    # a smooth (tanh) net: influence functions need a twice-differentiable loss
    md.model = seeded_model(
        {"name": "probe", "kernel": [1, 2], "channels": 1, "activation": "tanh"}, 1
    )
    cfg = {
        "l2": 0.05,
        "method": "exact",
        "damping": 0.0,
        "lissa_depth": 10,
        "lissa_repeats": 1,
        "lissa_batch_size": 8,
        "loo_points": 5,
        "train_points": 24,
        "test_points": 24,
    }
    torch.set_num_threads(1)
    ds = P.run_influence(md, cfg, SEED, tmp_path / "i.h5", tmp_path / "h.json")
    assert ds.sizes["train"] == 24 and ds.sizes["removed"] == 5
    assert ds.attrs["pearson_r"] > 0.95
    assert (
        records(tmp_path / "h.json")["interpret.probe_1x2.influence_pearson_r"]["status"] == "met"
    )


def test_left_out_window_without_training_samples_changes_nothing(md, tmp_path):
    """Retraining is deterministic: leaving out a window that holds no training sample (the
    unlabelled middle) reproduces the reference exactly, Δ = 0."""
    probes = {"train": {"epochs": 2, "lr": 0.05, "batch_size": 16, "patience": 2}}
    training = {
        "device": "cpu",
        "mixed_precision": False,
        "epochs": 2,
        "batch_size": 16,
        "lr": 0.01,
        "patience": 2,
    }
    ds = P.run_windows(
        md,
        probes,
        training,
        {"temperature_windows": 3, "window_epochs": 2},
        SEED,
        tmp_path / "w.h5",
        tmp_path / "h.json",
    )
    x_tr, T_tr, _ = md.samples("train")
    empty = [w for w in ds.window.values if int(ds.n_removed.sel(window=w)) == 0]
    assert empty, "the middle window holds only unlabelled temperatures"
    for w in empty:
        assert float(ds.delta_val_loss.sel(window=w)) == 0.0
    assert int(ds.n_removed.sum()) == len(x_tr)


def test_draw_figure_dispatches_by_rule(tmp_path):
    from physlens.plots import interpret as figures

    with pytest.raises(KeyError, match="no figure"):
        figures.draw_figure("plot_nothing", [], [])
    assert set(figures.FIGURES) == {
        f"plot_interpret_{k}"
        for k in (
            "ranking",
            "symbolic",
            "attributions",
            "ablation",
            "capacity",
            "influence",
            "windows",
        )
    }


# --- the rules, after the tiny workflow run -------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_interpret_rules_outputs_exist_and_are_readable(tiny_run):
    out = tiny_run / "results" / "interpret"
    import yaml

    cfg = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())["interpret"]
    for model in cfg["models"]:
        for name in (
            "ranking.h5",
            "linear_probe.h5",
            "attributions.h5",
            "unit_ablation.h5",
            "occlusion.h5",
        ):
            with xr.open_dataset(out / model / name, engine="h5netcdf") as ds:
                assert ds.attrs["seed"] is not None
                if name == "ranking.h5":  # the conditional ranking beside the pooled one
                    assert {"spearman_cond", "rank_cond"} <= set(ds.data_vars)
            with h5py.File(out / model / name):
                pass
        for fig in ("ranking", "relevance_maps", "unit_ablation", "occlusion"):
            assert (out / model / "figures" / f"{fig}.png").stat().st_size > 0
        assert records(out / model / "headline_probing.json")
    for model in [m for m in cfg["models"] if m.startswith("probe_")]:
        fit = json.loads((out / model / "symbolic.json").read_text())
        assert fit["engine"] == "operon" and fit["expression"]
    inf = xr.open_dataset(out / cfg["influence_model"] / "influence.h5", engine="h5netcdf")
    assert math.isfinite(inf.attrs["pearson_r"])
    assert (out / "capacity.h5").exists() and (out / "figures" / "capacity.png").exists()
