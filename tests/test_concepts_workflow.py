"""The concepts stage (issue #9, parts 3-4): the physlens.concepts pipelines on models whose answer
is known by construction, the config checks, and the rules' outputs after the tiny run.

Known answers:

* counterfactuals: a "decoder" whose expected spins are uniform, m_i = tanh(z_1), and a
  classifier that thresholds |M| at 1/2 (logit 20 (|M| - 1/2)). A decision flip with margin
  0.1 needs sigmoid(logit) = 0.6 (0.4), i.e. |M| = 1/2 + ln(1.5)/20 = 0.5203 (0.4797), and the
  decoded energy per site is then -2 M^2 exactly;
* confounders: a classifier that reads only the correlation of a fixed square with a
  checkerboard (a confounded model by construction) and one that reads only |M| (translation
  invariant): the check flags the first (all relevance inside the square) and passes the
  second (uniform relevance); their accuracies on clean, marked and swapped data are 1/2, 1, 0
  and (physics) high on all three.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
import xarray as xr

from conftest import ROOT
from physlens.concepts import confounder_pipeline as CP
from physlens.concepts import decoded as D
from physlens.concepts import pipeline as C
from physlens.concepts.confounders import check_regions, confounder_check, expected_flag
from physlens.crosskeys import concepts_config_errors
from physlens.io import sha256sum, to_netcdf_atomic
from physlens.modelfiles import save_model
from physlens.models import REGISTRY, register
from physlens.observables import compute_observables

SEED = 5
L = 8
SPLIT = {
    "windows": {"ordered_max": 1.8, "disordered_min": 2.8},
    "val_fraction": 0.25,
    "test_fraction": 0.25,
    "symmetrize": True,
}
TEMPS = np.array([1.0, 1.4, 1.8, 2.8, 3.2, 3.6])
N_SAMPLES = 24


# --- hand-built models (registered once, looked up by name when loaded) ---------------------


class UniformAutoencoder(nn.Module):
    """z = (atanh M, 0) -> logits 2 z_1 on every site: expected spins tanh(z_1), uniform."""

    def __init__(self, L: int):
        super().__init__()
        self.L = int(L)
        self.scale = nn.Parameter(torch.tensor(1.0))

    def encode(self, s):
        m = s.flatten(1).mean(1).clamp(-0.99, 0.99)
        return torch.stack([torch.atanh(m), torch.zeros_like(m)], dim=1)

    def decode(self, z):
        return (2 * self.scale * z[:, :1, None]).expand(-1, self.L, self.L).contiguous()


class AbsMagnetisationClassifier(nn.Module):
    """logit = 20 (|M| - 1/2): a phase classifier that reads the order parameter only."""

    def __init__(self, gain: float = 20.0):
        super().__init__()
        self.gain = nn.Parameter(torch.tensor(float(gain)))

    def forward(self, s):
        return self.gain * (s.mean(dim=(-2, -1)).abs() - 0.5)


class RegionDetector(nn.Module):
    """logit = 10 (|corr(s, checkerboard) on a fixed square| - 0.9): keys on a fixed region (a
    random square reaches 0.9 with probability 2^-15, a marked one has 1)."""

    def __init__(self, L: int, region):
        super().__init__()
        y0, x0, h, w = region
        pattern = torch.zeros(L, L)
        yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        pattern[y0 : y0 + h, x0 : x0 + w] = torch.where((yy + y0 + xx + x0) % 2 == 0, 1.0, -1.0)
        self.register_buffer("pattern", pattern / (h * w), persistent=False)
        self.gain = nn.Parameter(torch.tensor(10.0))

    def forward(self, s):
        return self.gain * ((s * self.pattern).sum(dim=(-2, -1)).abs() - 0.9)


for _name, _cls in (
    ("test_concepts_uniform_ae", UniformAutoencoder),
    ("test_concepts_abs_m", AbsMagnetisationClassifier),
    ("test_concepts_region", RegionDetector),
):
    if _name not in REGISTRY:
        register(_name)(_cls)


def _save(model, arch, d: Path, name: str, data: Path, split_keys=("phase_cnn", L)):
    model.arch = arch
    meta = dict(
        seed=SEED,
        name=name,
        keys=[0],
        split_keys=list(split_keys),
        data_file=str(data),
        data_sha256=sha256sum(data),
        metrics={},
        n_parameters=1,
    )
    save_model(model, d / f"{name}.pt", d / f"{name}.json", metadata=meta)
    return d / f"{name}.pt", d / f"{name}.json"


def ising_file(path: Path, temps, p_up, rng) -> Path:
    """Ising-layout file of independent spins with P(s = +1) = p_up per temperature (no sample
    has M = 0 exactly, where |M| has no gradient)."""
    spins = np.empty((len(temps), N_SAMPLES, L, L), np.int8)
    for t, p in enumerate(p_up):
        for s in range(N_SAMPLES):
            while True:
                c = np.where(rng.random((L, L)) < p, 1, -1).astype(np.int8)
                if c.sum() != 0:
                    break
            spins[t, s] = c
    obs = compute_observables(spins.reshape(-1, L, L), ["energy", "magnetization"])
    shape = spins.shape[:2]
    to_netcdf_atomic(
        xr.Dataset(
            {
                "spins": (("temperature", "sample", "y", "x"), spins),
                "energy": (("temperature", "sample"), obs["energy"].values.reshape(shape)),
                "magnetization": (
                    ("temperature", "sample"),
                    obs["magnetization"].values.reshape(shape),
                ),
            },
            coords={"temperature": np.asarray(temps, float)},
        ),
        path,
    )
    return path


# --- decoded configurations ----------------------------------------------------------------


def test_mean_field_observables_equal_the_exact_observables_on_spins():
    s = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), size=(20, 6, 6))
    exact = compute_observables(s, ["magnetization", "abs_magnetization", "energy"])
    mf = D.mean_field_observables(s)
    for k in ("magnetization", "abs_magnetization", "energy"):
        np.testing.assert_allclose(mf[k], exact[k].values, atol=1e-12)


def test_mean_field_energy_and_magnetisation_are_expectations_of_the_product_distribution():
    """Exact enumeration of all 2^9 configurations of a 3x3 torus with independent sites."""
    m = np.random.default_rng(1).uniform(-0.9, 0.9, (3, 3))
    p_up = (1 + m) / 2
    E = M = 0.0
    for bits in itertools.product((-1, 1), repeat=9):
        s = np.array(bits, float).reshape(3, 3)
        w = np.prod(np.where(s > 0, p_up, 1 - p_up))
        o = compute_observables(s[None].astype(np.int8), ["energy", "magnetization"])
        E += w * float(o["energy"][0])
        M += w * float(o["magnetization"][0])
    mf = D.mean_field_observables(m)
    assert mf["energy"][0] == pytest.approx(E, abs=1e-12)
    assert mf["magnetization"][0] == pytest.approx(M, abs=1e-12)


def test_expected_spins_are_the_mean_of_the_decoders_bernoulli_sites():
    ae = UniformAutoencoder(4)
    z = torch.tensor([[0.3, 0.0], [-1.2, 0.0]])
    m = D.expected_spin_decoder(ae)(z)
    p = torch.sigmoid(ae.decode(z))  # P(s = +1)
    torch.testing.assert_close(m, 2 * p - 1)


def test_branch_directions_recover_even_concepts_that_no_global_direction_fits():
    """Codes (M, u) of Z2-symmetric data: |M| and T = 3 - 2|M| are V-shaped in z_1."""
    from physlens.concepts.counterfactuals import concept_directions

    rng = np.random.default_rng(2)
    M = rng.uniform(-1, 1, 400)
    Z = np.stack([M, rng.normal(size=400)], 1)
    concepts = {"abs_magnetization": np.abs(M), "temperature": 3 - 2 * np.abs(M)}
    assert concept_directions(Z, concepts)["abs_magnetization"].r2 < 0.05
    dirs = D.branch_concept_directions(Z, concepts, M)
    for b in (1, -1):
        d = dirs[b]["abs_magnetization"]
        np.testing.assert_allclose(d.direction, [b, 0], atol=1e-9)
        assert d.r2 == pytest.approx(1.0) and d.slope == pytest.approx(1.0)
        t = dirs[b]["temperature"]
        np.testing.assert_allclose(t.direction, [-b, 0], atol=1e-9)
        assert t.slope == pytest.approx(2.0) and t.intercept == pytest.approx(3.0)
        assert t.value(np.array([0.5 * b, 7.0])) == pytest.approx(2.0)


# --- counterfactuals end to end on the hand-built decoder and classifier ----------------------


@pytest.fixture(scope="module")
def counterfactual_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("counterfactuals")
    rng = np.random.default_rng(3)
    data = ising_file(d / "L8.h5", TEMPS, [0.97, 0.95, 0.93, 0.55, 0.52, 0.5], rng)
    clf = _save(
        AbsMagnetisationClassifier(), {"name": "test_concepts_abs_m"}, d, "classifier", data
    )
    ae_model = UniformAutoencoder(L)
    ae = _save(ae_model, {"name": "test_concepts_uniform_ae", "L": L}, d, "ae", data)
    # the unsupervised stage's latent.h5: codes of the (symmetrised) data with M, E, T
    ds = xr.open_dataset(data, engine="h5netcdf").load()
    sign = np.where(rng.random(ds["magnetization"].shape) < 0.5, -1, 1)
    spins = ds["spins"].values * sign[..., None, None]
    with torch.no_grad():
        codes = ae_model.encode(
            torch.as_tensor(spins.reshape(-1, L, L), dtype=torch.float32)
        ).numpy()
    latent = d / "latent.h5"
    to_netcdf_atomic(
        xr.Dataset(
            {
                "code": (
                    ("temperature", "sample", "latent"),
                    codes.reshape(len(TEMPS), N_SAMPLES, 2),
                ),
                "magnetization": (("temperature", "sample"), ds["magnetization"].values * sign),
                "energy": (("temperature", "sample"), ds["energy"].values),
            },
            coords={"temperature": TEMPS},
        ),
        latent,
    )
    cfg = {
        "samples_per_phase": 4,
        "lam": 10.0,
        "lr": 0.05,
        "max_steps": 1000,
        "margin": 0.1,
        "spin_samples": 16,
        "knob_starts": 2,
        "knob_points": 9,
        "knob_quantiles": [0.01, 0.99],
    }
    out = {k: d / f"{k}" for k in ("cf.h5", "knobs.h5", "cf.json", "headline.json")}
    ds = C.run_counterfactuals(
        clf,
        ae,
        data,
        latent,
        SPLIT,
        cfg,
        SEED,
        *out.values(),
        names={"classifier": "abs_m", "autoencoder": "uniform"},
    )
    return ds, out


def test_counterfactual_stops_at_the_known_decision_boundary(counterfactual_run):
    ds, _ = counterfactual_run
    assert ds["flipped"].values.all()
    to_ord = ds["target"].values == 1
    assert to_ord.sum() == 4 and (~to_ord).sum() == 4
    edge = math.log(1.5) / 20  # sigmoid(20 (|M| - 1/2)) = 0.6 <=> |M| = 1/2 + ln(1.5)/20
    after = ds["abs_magnetization_after"].values
    # Adam stops at the first step past the boundary: within one step (lr 0.05 in atanh M)
    assert np.all((after[to_ord] >= 0.5 + edge) & (after[to_ord] < 0.5 + edge + 0.05))
    assert np.all((after[~to_ord] <= 0.5 - edge) & (after[~to_ord] > 0.5 - edge - 0.05))
    np.testing.assert_allclose(ds["energy_after"], -2 * ds["magnetization_after"] ** 2, atol=1e-6)
    # the flips move |M| and E the way physics says, and the unused latent axis stays put
    assert np.all(np.sign(after - ds["abs_magnetization_before"].values) == np.where(to_ord, 1, -1))
    np.testing.assert_allclose(ds["z_after"].values[:, 1], 0.0, atol=1e-6)


def test_counterfactual_descriptions_and_headlines(counterfactual_run):
    ds, out = counterfactual_run
    doc = json.loads(out["cf.json"].read_text())
    texts = [c["description"] for c in doc["counterfactuals"]]
    assert len(texts) == 8
    assert any("would be called ordered if |M| rose from" in t for t in texts)
    assert any("would be called disordered if |M| fell from" in t for t in texts)
    rec = {r["name"]: r for r in json.loads(out["headline.json"].read_text())["records"]}
    assert rec["concepts.counterfactuals.flip_rate"]["status"] == "met"
    for c in D.CONCEPTS:
        assert rec[f"concepts.counterfactuals.direction_consistent[{c}]"]["value"] == 1.0
    assert rec["concepts.counterfactuals.knob_response[abs_magnetization]"]["status"] == "met"
    assert rec["concepts.counterfactuals.to_ordered.median_after[abs_magnetization]"][
        "value"
    ] == pytest.approx(0.5 + math.log(1.5) / 20, abs=0.05)


def test_knob_sweep_along_magnetisation_crosses_the_threshold_once(counterfactual_run):
    _, out = counterfactual_run
    k = xr.open_dataset(out["knobs.h5"], engine="h5netcdf").load().sel(concept="abs_magnetization")
    for s in range(k.sizes["start"]):
        p, am = k["p_ordered"].values[s], k["abs_magnetization"].values[s]
        assert np.all(np.diff(am) > 0)  # the knob raises the decoded |M|
        assert np.all(np.diff(p) >= -1e-6) and p[0] < 0.5 < p[-1]


def test_autoencoder_of_another_size_is_refused_naming_both_keys(tmp_path, counterfactual_run):
    _, out = counterfactual_run
    d = out["cf.h5"].parent
    other = _save(
        UniformAutoencoder(4),
        {"name": "test_concepts_uniform_ae", "L": 4},
        tmp_path,
        "ae4",
        d / "L8.h5",
    )
    with pytest.raises(ValueError, match=r"unsupervised\.L.*supervised\.classifier\.L"):
        C.run_counterfactuals(
            (d / "classifier.pt", d / "classifier.json"),
            other,
            d / "L8.h5",
            d / "latent.h5",
            SPLIT,
            {},
            SEED,
            *(tmp_path / n for n in ("a.h5", "b.h5", "c.json", "d.json")),
            names={"classifier": "a", "autoencoder": "b"},
        )


# --- confounders ---------------------------------------------------------------------------

CONF = {
    "temperatures": [1.4, 3.2],
    "windows": {"ordered_max": 1.8, "disordered_min": 2.8},
    "marker": {"region": [0, 0, 4, 4], "pattern": "checkerboard"},
    "samples_per_class": 6,
    "explainers": ["integrated_gradients", "saliency"],
    "patches": [2, 4],
    "threshold": 2.0,
}
ATTRIBUTIONS = {
    "lrp_rule": "epsilon",
    "lrp_epsilon": 1e-6,
    "lrp_gamma": 0.25,
    "baseline": 0.0,
    "ig_steps": 16,
    "smoothgrad_samples": 4,
    "smoothgrad_stdev": 0.5,
}


@pytest.fixture(scope="module")
def confounder_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("confounders")
    source = ising_file(
        d / "L8.h5", TEMPS, [0.97, 0.95, 0.93, 0.55, 0.52, 0.5], np.random.default_rng(4)
    )
    paths = {n: d / f"{n}.h5" for n in ("clean", "confounded", "swapped")}
    written = CP.write_confounder_data(source, CONF, SEED, paths)
    return d, source, paths, written


def test_confounder_data_marks_exactly_the_chosen_class(confounder_files):
    _, source, paths, w = confounder_files
    band = TEMPS[(TEMPS >= 1.4) & (TEMPS <= 3.2)]
    src = xr.open_dataset(source, engine="h5netcdf").load().sel(temperature=band)
    clean, conf, swap = w["clean"], w["confounded"], w["swapped"]
    np.testing.assert_array_equal(clean["spins"].values, src["spins"].values)
    np.testing.assert_array_equal(clean["label"].values, [1, 1, 0, 0])
    board = np.where(np.add.outer(np.arange(4), np.arange(4)) % 2 == 0, 1, -1)
    for marked, ds in (([0, 1], conf), ([2, 3], swap)):
        for t in range(4):
            s = ds["spins"].values[t]
            if t in marked:
                assert (s[:, :4, :4] == board).all()
                np.testing.assert_array_equal(s[:, 4:, :], src["spins"].values[t][:, 4:, :])
            else:
                np.testing.assert_array_equal(s, src["spins"].values[t])
        # energies and magnetisations describe the stored (marked) spins
        o = compute_observables(ds["spins"].values.reshape(-1, L, L), ["energy", "magnetization"])
        np.testing.assert_allclose(ds["energy"].values.ravel(), o["energy"].values)
        np.testing.assert_allclose(ds["magnetization"].values.ravel(), o["magnetization"].values)
    np.testing.assert_allclose(clean["energy"].values, src["energy"].values)
    assert conf.attrs["marked_class"] == "ordered" and swap.attrs["marked_class"] == "disordered"


def test_band_without_one_phase_is_refused_naming_the_keys(tmp_path, confounder_files):
    _, source, _, _ = confounder_files
    with pytest.raises(ValueError, match=r"concepts\.confounders\.temperatures"):
        CP.write_confounder_data(
            source, {**CONF, "temperatures": [2.5, 3.6]}, SEED, {"clean": tmp_path / "x.h5"}
        )


@pytest.fixture(scope="module")
def confounder_models(confounder_files):
    d, _, paths, _ = confounder_files
    region = _save(
        RegionDetector(L, CONF["marker"]["region"]),
        {"name": "test_concepts_region", "L": L, "region": CONF["marker"]["region"]},
        d,
        "region",
        paths["confounded"],
    )
    absm = _save(
        AbsMagnetisationClassifier(), {"name": "test_concepts_abs_m"}, d, "abs_m", paths["clean"]
    )
    return {"confounded": (*region, paths["confounded"]), "clean": (*absm, paths["clean"])}


def test_confounder_accuracy_of_a_marker_reader_and_of_a_physics_reader(
    confounder_files, confounder_models, tmp_path
):
    _, _, paths, _ = confounder_files
    acc = CP.confounder_accuracy(
        confounder_models,
        paths,
        {**SPLIT, "windows": CONF["windows"]},
        SEED,
        tmp_path / "acc.h5",
        tmp_path / "acc.json",
    )["accuracy"]
    marker = acc.sel(model="confounded")
    assert float(marker.sel(dataset="confounded")) == 1.0
    assert float(marker.sel(dataset="clean")) == 0.5  # every unmarked sample looks disordered
    assert float(marker.sel(dataset="swapped")) == 0.0
    assert (acc.sel(model="clean") > 0.9).all()  # |M| decides: p_up 0.95 vs 0.52
    rec = {r["name"]: r for r in json.loads((tmp_path / "acc.json").read_text())["records"]}
    assert (
        rec["concepts.confounders.accuracy_drop_without_marker[confounded_model]"]["status"]
        == "met"
    )


@pytest.mark.parametrize("model, flagged", [("confounded", True), ("clean", False)])
def test_confounder_check_flags_the_region_reader_and_passes_the_physics_reader(
    confounder_files, confounder_models, tmp_path, model, flagged
):
    _, _, paths, _ = confounder_files
    out = CP.run_confounder_check(
        model,
        confounder_models[model],
        "confounded",
        paths["confounded"],
        {**SPLIT, "windows": CONF["windows"]},
        CONF,
        ATTRIBUTIONS,
        SEED,
        tmp_path / "rel.h5",
        tmp_path / "report.json",
        tmp_path / "headline.json",
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == ("FLAGGED" if flagged else "passed")
    for e in CONF["explainers"]:
        r = report["explainers"][e]
        assert r["flagged"] is flagged and r["region"] in r["message"]
        if flagged:  # all relevance inside the 4x4 square: enrichment 64/16 = 4 in its squares
            assert r["marker_share"] == pytest.approx(1.0)
            y, x = (tuple(int(v) for v in part[1:].split(":")) for part in r["region"].split(","))
            assert y[1] <= 4 and x[1] <= 4 and r["enrichment"] == pytest.approx(4.0)
        else:  # |d logit / d s_i| is the same on every site: uniform relevance
            assert r["enrichment"] == pytest.approx(1.0, abs=1e-6)
            assert r["marker_share"] == pytest.approx(16 / 64, abs=1e-6)
    # the stored maps reproduce the verdict, and the headline is judged by the expectation
    regions = check_regions(L, CONF["patches"])
    for e in CONF["explainers"]:
        rep = confounder_check(out["relevance"].sel(explainer=e).values, regions, CONF["threshold"])
        assert bool(rep.flagged) is flagged
    rec = {r["name"]: r for r in json.loads((tmp_path / "headline.json").read_text())["records"]}
    pre = f"concepts.confounders.check.{model}_model-confounded_data"
    assert rec[f"{pre}.flagged"]["status"] == "met"  # the judged verdict (any explainer)
    assert rec[f"{pre}.flagged[saliency]"]["value"] == float(flagged)  # per explainer: recorded


def test_check_regions_and_expected_verdicts():
    regions = check_regions(8, [4, 8])
    assert len(regions) == 4 + 1 and "y0:8,x0:8" in regions
    assert expected_flag("confounded", "confounded") and expected_flag("confounded", "swapped")
    assert not expected_flag("confounded", "clean") and not expected_flag("clean", "confounded")


# --- config --------------------------------------------------------------------------------


def test_shipped_configs_have_no_concepts_errors(tiny_config):
    from physlens.config import load_config

    assert concepts_config_errors(tiny_config) == []
    assert concepts_config_errors(load_config(ROOT / "config" / "config.yaml")) == []


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (
            lambda c: c["unsupervised"].update(L=10),
            r"unsupervised\.L = 10 .*supervised\.classifier\.L = 12",
        ),
        (
            lambda c: c["concepts"]["counterfactuals"].update(autoencoder="vae7"),
            r"concepts\.counterfactuals\.autoencoder = 'vae7'",
        ),
        (
            lambda c: c["concepts"]["counterfactuals"].update(classifier_member=5),
            r"concepts\.counterfactuals\.classifier_member = 5",
        ),
        (
            lambda c: c["concepts"]["confounders"]["marker"].update(region=[8, 8, 6, 6]),
            r"concepts\.confounders\.marker\.region",
        ),
        (
            lambda c: c["concepts"]["confounders"].update(temperatures=[3.0, 3.5]),
            r"leave 0 ordered",
        ),
        (
            lambda c: c["concepts"]["confounders"].update(patches=[13]),
            r"concepts\.confounders\.patches",
        ),
    ],
)
def test_bad_concepts_config_names_the_key(tiny_config, edit, pattern):
    import re

    edit(tiny_config)
    errors = concepts_config_errors(tiny_config)
    assert any(re.search(pattern, e) for e in errors), errors


def test_schema_rejects_an_unknown_concepts_key(tiny_config):
    from physlens.config import ConfigError, validate_config

    tiny_config["concepts"]["confounders"]["marker"]["colour"] = "red"
    with pytest.raises(ConfigError, match=r"concepts\.confounders\.marker\.colour"):
        validate_config(tiny_config)


# --- the tiny workflow run -----------------------------------------------------------------

CON = "results/concepts"


def _h5(tiny_run, rel) -> xr.Dataset:
    with xr.open_dataset(tiny_run / rel, engine="h5netcdf") as ds:
        return ds.load()


def test_tiny_run_counterfactual_outputs(tiny_run):
    ds = _h5(tiny_run, f"{CON}/counterfactuals/counterfactuals.h5")
    n = 2 * 3  # config/test.yaml: samples_per_phase 3
    assert ds.sizes["case"] == n and ds.attrs["autoencoder"] == "vae2"
    assert np.abs(ds["decoded_after"].values).max() <= 1.0
    mf = D.mean_field_observables(ds["decoded_after"].values)
    np.testing.assert_allclose(ds["energy_after"].values, mf["energy"], atol=1e-5)
    assert set(ds["target"].values.tolist()) == {0, 1}
    assert ((ds["p_before"] >= 0) & (ds["p_before"] <= 1)).all()
    knobs = _h5(tiny_run, f"{CON}/counterfactuals/knob_sweeps.h5")
    assert list(knobs["concept"].values) == list(D.CONCEPTS) and knobs.sizes["knob"] == 7
    doc = json.loads((tiny_run / f"{CON}/counterfactuals/counterfactuals.json").read_text())
    assert len(doc["counterfactuals"]) == n and all(
        c["description"].startswith("T = ") for c in doc["counterfactuals"]
    )
    rec = {
        r["name"]: r
        for r in json.loads((tiny_run / f"{CON}/counterfactuals/headline.json").read_text())[
            "records"
        ]
    }
    assert rec["concepts.counterfactuals.flip_rate"]["reference"] == 1.0  # judged
    for fig in ("counterfactual_pairs", "knob_sweeps"):
        assert (tiny_run / f"{CON}/counterfactuals/figures/{fig}.png").stat().st_size > 10_000


def test_tiny_run_confounder_outputs(tiny_run):
    acc = _h5(tiny_run, f"{CON}/confounders/accuracy.h5")["accuracy"]
    assert acc.shape == (2, 3) and ((acc >= 0) & (acc <= 1)).all()
    shares = {}
    for model in ("clean", "confounded"):
        d = tiny_run / f"{CON}/confounders/check/{model}_on_confounded"
        ds = _h5(tiny_run, d / "relevance.h5")
        assert list(ds["explainer"].values) == ["lrp", "integrated_gradients"]
        assert ds["relevance"].shape == (2, 2 * 4, 12, 12)  # 4 samples per class, L = 12
        report = json.loads((d / "report.json").read_text())
        assert report["verdict"] in ("passed", "FLAGGED")
        for e, r in report["explainers"].items():
            assert r["region"] in r["message"] and 0 <= r["share"] <= 1
            # the verdict is reproducible from the stored maps
            rep = confounder_check(
                ds["relevance"].sel(explainer=e).values, check_regions(12, [3, 6]), 2.0
            )
            assert rep.flagged == r["flagged"] and rep.region == r["region"]
        shares[model] = ds["marker_share"]
        rec = {r["name"]: r for r in json.loads((d / "headline.json").read_text())["records"]}
        judged = [r for r in rec.values() if r["status"] != "info"]
        assert [r["name"].rsplit(".", 1)[1] for r in judged] == ["flagged"]
        assert judged[0]["value"] == float(report["verdict"] == "FLAGGED")
    # both models saw the very same samples
    a = _h5(tiny_run, f"{CON}/confounders/check/clean_on_confounded/relevance.h5")["input"]
    b = _h5(tiny_run, f"{CON}/confounders/check/confounded_on_confounded/relevance.h5")["input"]
    np.testing.assert_array_equal(a, b)
    assert (tiny_run / f"{CON}/confounders/figures/relevance_maps.png").stat().st_size > 10_000
    meta = json.loads((tiny_run / f"{CON}/confounders/confounded/model.json").read_text())
    assert meta["architecture"]["name"] == "phase_cnn" and meta["config"]["windows"] == {
        "disordered_min": 2.3,
        "ordered_max": 2.1,
    }
