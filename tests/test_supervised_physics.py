"""Integration at a still-small size: the physics the supervised stage must reproduce.

* correlation probing: the 1x2 net (nearest-neighbour products) solves the task, the 1x1 net
  (magnetisation only, random sign in Z2-symmetric data) cannot beat ln 2;
* the 1x2 net's decision function is a sigmoid of the energy;
* the phase classifier's extrapolated Tc lands within a few percent of Onsager's value.
"""

import math

import pytest
import torch

from _ising_fixture import ising_params, make_ising_files
from physlens.config import TC_EXACT, load_config
from physlens.slices import classifier_slice, split_slice
from physlens.supervised import pipeline, probes

pytestmark = pytest.mark.slow
torch.set_num_threads(1)
SIZES = (8, 12, 16)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    params = ising_params(
        temperatures={
            "coarse": {"start": 1.0, "stop": 3.5, "num": 11},
            "fine": {"start": 2.0, "stop": 2.6, "num": 7},
        },
        samples_per_temperature=128,
    )
    files = make_ising_files(tmp_path_factory.mktemp("ising_small"), SIZES, params)
    cfg = load_config("config/test.yaml")
    sup = cfg["supervised"]
    sup["val_fraction"], sup["test_fraction"] = 0.2, 0.25
    sup["classifier"].update(
        L=16,
        members=1,
        architecture={"channels": [8], "kernel": 3, "activation": "tanh", "z2_odd": True},
        train={"epochs": 30, "lr": 0.01, "patience": 8, "batch_size": 32},
    )
    sup["tc"]["bootstrap"] = 100
    sup["probes"].update(
        L=16, channels=4, train={"epochs": 40, "lr": 0.1, "batch_size": 32, "patience": 10}
    )
    return cfg, files, tmp_path_factory.mktemp("supervised_small")


def paths(root, name):
    return {
        k: root / f"{name}.{ext}"
        for k, ext in (("model", "pt"), ("meta", "json"), ("history", "h5"))
    }


def test_probe_losses_single_out_the_1x2_net(setup):
    cfg, files, out = setup
    split, probe_cfg = split_slice(cfg["supervised"]), cfg["supervised"]["probes"]
    models = {}
    for name in ("1x2", "1x1", "constant"):
        o = paths(out, name)
        probes.train_probe(files[16], name, split, probe_cfg, cfg["training"], cfg["seed"], o)
        models[name] = (o["model"], o["meta"])
    res = probes.analyse_probes(
        models,
        files[16],
        split,
        probe_cfg,
        cfg["seed"],
        out / "o.h5",
        out / "l.csv",
        out / "d.csv",
        out / "h.json",
    )
    val = {r["receptive_field"]: r["val_loss"] for r in res["losses"]}
    assert val["1x2"] < 0.05
    assert val["1x1"] == pytest.approx(math.log(2), abs=0.02)  # no better than the constant
    assert val["1x1"] - val["1x2"] > 0.5
    r2 = {(f["receptive_field"], f["observable"]): f["r2"] for f in res["fits"]}
    assert r2[("1x2", "energy")] > 0.9
    assert r2[("1x2", "energy")] > r2[("1x2", "abs_magnetization")]


def test_classifier_tc_is_within_a_few_percent_of_onsager(setup):
    cfg, files, out = setup
    sup, seed = cfg["supervised"], cfg["seed"]
    split = split_slice(sup)
    o = paths(out, "classifier")
    pipeline.train_phase_classifier(
        files[16], 0, split, classifier_slice(sup), cfg["training"], seed, o
    )
    preds = {}
    for L in SIZES:
        preds[L] = out / f"pred{L}.h5"
        pipeline.predict_phase(
            [(o["model"], o["meta"])], files[16], files[L], L, split, seed, preds[L]
        )
    res = pipeline.analyse_tc(preds, sup["tc"], seed, out / "tc.csv", out / "tc.json")
    tcs = [r["tc"] for r in res["rows"]]
    assert all(t > TC_EXACT for t in tcs)  # finite lattices order above Tc (pseudo-critical shift)
    assert res["tc"] == pytest.approx(TC_EXACT, rel=0.03)
