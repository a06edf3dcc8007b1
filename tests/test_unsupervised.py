"""Unsupervised stage: PCA and (variational) autoencoders on Ising-like data whose answers are
known by construction (exact losses, the uniform mode, a planted inflection point, planted
phase clusters), plus the stage's files on a tiny data set (shapes, determinism)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from physlens.config import TC_EXACT, model_names
from physlens.io import DataFileError
from physlens.models import build_model
from physlens.stats import stratified_spearman
from physlens.training import TrainSettings, seeded_model, train
from physlens.unsupervised import data as D
from physlens.unsupervised import latent as Z
from physlens.unsupervised import pca as P
from physlens.unsupervised import pipeline
from physlens.unsupervised.names import data_slice, model_config_slice, parse_model_name
from physlens.unsupervised.tc import steepest_change, tc_with_bootstrap

sys.path.insert(0, str(Path(__file__).parent))
from _ising_fixture import ising_dataset, write_fixture  # noqa: E402


def biased_spins(rng, p_up, L):
    """Independent spins, P(s = +1) = p_up per configuration (translation invariant)."""
    p = np.asarray(p_up, float)[:, None, None]
    return np.where(rng.uniform(size=(len(p), L, L)) < p, 1, -1).astype(np.int8)


# --- models and losses ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["autoencoder", "vae"])
def test_models_reconstruct_lattice_shape_and_encode(name):
    model = build_model({"name": name, "L": 6, "latent_dim": 2, "hidden": [16, 8]})
    x = torch.ones(5, 6, 6)
    out = model(x)
    logits = out[0] if name == "vae" else out
    assert logits.shape == (5, 6, 6)
    assert model.encode(x).shape == (5, 2)
    if name == "vae":
        assert out[1].shape == out[2].shape == (5, 2)


def test_vae_samples_in_training_and_uses_the_mean_in_eval():
    model = seeded_model({"name": "vae", "L": 4, "latent_dim": 1, "hidden": [8]}, seed=1)
    x = torch.from_numpy(biased_spins(np.random.default_rng(0), [0.5] * 3, 4)).float()
    model.train()
    a, b = model(x)[0], model(x)[0]
    assert not torch.equal(a, b)  # reparametrised sample differs between calls
    model.eval()
    logits, mu, _ = model(x)
    assert torch.equal(logits, model.decode(mu))


def test_losses_match_closed_forms():
    spins = torch.from_numpy(biased_spins(np.random.default_rng(2), [0.3, 0.9], 5)).float()
    # a decoder that outputs logit 0 knows nothing: exactly ln 2 per site
    nll = Z.site_nll(torch.zeros(2, 5, 5), spins)
    assert torch.allclose(nll, torch.full((2,), 25 * np.log(2.0)))
    # a confident correct decoder pays ~ nothing, a confident wrong one ~ |logit| per site
    assert float(Z.site_nll(30 * spins, spins).max()) < 1e-9
    assert float(Z.site_nll(-30 * spins, spins).min()) == pytest.approx(25 * 30, rel=1e-6)
    # KL(N(mu, s^2) || N(0, 1)) = (mu^2 + s^2 - 1 - ln s^2) / 2 per dimension
    mu, logvar = torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, np.log(4.0)]])
    assert float(Z.kl_to_standard_normal(mu, logvar)) == pytest.approx(
        0.5 * (1 + 4 - 1 - np.log(4.0))
    )
    loss = Z.vae_loss((torch.zeros(1, 5, 5), mu, logvar), spins[:1], beta=2.0)
    assert float(loss) == pytest.approx(25 * np.log(2.0) + 2.0 * 0.5 * (4 - np.log(4.0)), rel=1e-6)


# --- data -----------------------------------------------------------------------------------


def test_symmetrize_flips_half_at_each_temperature_and_keeps_energy():
    rng = np.random.default_rng(0)
    spins = np.ones((3, 10, 4, 4), np.int8)  # every sample all up
    ds = ising_dataset(spins, [1.0, 2.0, 3.0], 4, seed=0)
    out = D.symmetrize(ds, rng)
    m = out["magnetization"].values
    assert np.array_equal((m < 0).sum(axis=1), [5, 5, 5])
    assert np.array_equal(out["spins"].values.mean(axis=(2, 3)), m)  # M follows the spins
    assert np.array_equal(out["energy"].values, ds["energy"].values)  # E is Z2 invariant


def test_validation_mask_per_temperature_and_bad_fraction():
    mask = D.validation_mask(4, 10, 0.2, np.random.default_rng(0))
    assert np.array_equal(mask.sum(axis=1), [2, 2, 2, 2])
    with pytest.raises(ValueError, match="unsupervised.val_fraction"):
        D.validation_mask(4, 3, 0.1, np.random.default_rng(0))


def test_wrong_lattice_size_names_file_and_key(tmp_path):
    path = write_fixture(tmp_path / "L4.h5", 4, [1.5, 3.0], 4, seed=0, sweeps=2)
    with pytest.raises(DataFileError, match=r"L4\.h5.*unsupervised\.L = 6"):
        D.load_lattices(path, 6)


def test_model_names_and_config_slices():
    unsup = {
        "val_fraction": 0.2,
        "autoencoder": {
            "variants": ["ae", "vae"],
            "latent_dims": [1, 2],
            "hidden": [8],
            "activation": "relu",
            "beta": 1.0,
            "train": {},
        },
    }
    assert model_names(unsup) == ["ae1", "ae2", "vae1", "vae2"]
    assert parse_model_name("vae2") == ("vae", 2)
    with pytest.raises(ValueError, match="ae<d> or vae<d>"):
        parse_model_name("pca")
    # beta shapes the VAEs only; the lists of models shape none
    assert "beta" not in model_config_slice(unsup, "ae1")["autoencoder"]
    assert model_config_slice(unsup, "vae1")["autoencoder"]["beta"] == 1.0
    assert "variants" not in model_config_slice(unsup, "vae1")["autoencoder"]


# --- PCA ------------------------------------------------------------------------------------


def test_first_principal_component_is_the_uniform_mode():
    """A translation-invariant, Z2-symmetric ensemble from ordered to disordered: PC1 must be
    the uniform mode (its projection is then sqrt(N) M exactly)."""
    rng = np.random.default_rng(5)
    L, n = 8, 1500
    p_up = rng.choice([0.02, 0.98, 0.1, 0.9, 0.5], size=n)
    spins = biased_spins(rng, p_up, L)
    pca = P.fit_pca(spins.astype(float), 5)
    comps = pca.components_ * P.component_signs(pca.components_)[:, None]
    assert P.uniform_overlap(comps)[0] > 0.99
    assert np.all(P.uniform_overlap(comps)[1:] < 0.2)
    proj = (
        pca.transform(spins.reshape(n, -1).astype(float))[:, 0]
        * P.component_signs(pca.components_)[0]
    )
    assert P.pearson(proj, spins.mean(axis=(1, 2))) > 0.99
    assert comps.sum(axis=1)[0] > 0  # sign convention: along +M


# --- Tc from the steepest change ------------------------------------------------------------


def test_steepest_change_finds_a_planted_inflection_point():
    t = np.concatenate([np.linspace(1.0, 3.5, 11), np.linspace(2.0, 2.6, 13)])
    t = np.unique(np.round(t, 9))
    t0, width = 2.3, 0.12
    rng = np.random.default_rng(3)
    # per-sample values whose mean is a smooth step centred on t0 (an order parameter)
    values = (0.5 * (1 - np.tanh((t - t0) / width)))[:, None] + 0.05 * rng.standard_normal(
        (len(t), 200)
    )
    assert steepest_change(t, values.mean(axis=1)) == pytest.approx(t0, abs=0.03)
    res = tc_with_bootstrap(t, values, np.random.default_rng(4), 40)
    assert res["tc"] == pytest.approx(t0, abs=0.03)
    assert 0 < res["tc_err"] < 0.05
    assert res["tc_lo"] <= res["tc"] + 1e-9 and res["tc"] - 1e-9 <= res["tc_hi"] + 0.02


def test_steepest_change_rejects_too_few_points():
    with pytest.raises(ValueError, match="at least 5"):
        steepest_change([1.0, 2.0, 3.0], [1.0, 0.5, 0.0])


# --- latent parameter and phase clusters ----------------------------------------------------


def test_latent_parameter_origin_sign_and_projection():
    rng = np.random.default_rng(0)
    m = rng.uniform(-1, 1, 500)
    direction = np.array([0.6, -0.8])
    codes = np.outer(-2 * m, direction) + np.array([5.0, 1.0])  # decreasing in M, shifted
    disordered = np.abs(m) < 0.05
    u = Z.latent_parameter(codes, disordered, m)
    assert np.corrcoef(u, m)[0, 1] == pytest.approx(1.0, abs=1e-9)
    assert abs(np.median(u[disordered])) < 1e-9


def test_phase_groups_and_silhouette_on_planted_clusters():
    temps = np.array([1.0, 2.3, 3.5])
    m = np.array([[0.9, -0.9, 0.95, -0.95], [0.5, -0.1, 0.2, 0.0], [0.01, -0.02, 0.03, 0.0]])
    groups = Z.phase_groups(temps, m, 1.8, 2.8)
    assert groups.tolist() == [[0, 1, 0, 1], [-1, -1, -1, -1], [2, 2, 2, 2]]
    codes = np.where(groups == 0, 3.0, np.where(groups == 1, -3.0, 0.0)) + 0.01 * np.arange(
        12
    ).reshape(3, 4)
    assert Z.cluster_silhouette(codes.ravel(), groups.ravel()) > 0.95
    with pytest.raises(ValueError, match="ordered_max"):
        Z.phase_groups(temps, m, 2.8, 1.8)


@pytest.mark.parametrize("variant", ["autoencoder", "vae"])
def test_two_phase_dataset_gives_three_latent_clusters(variant):
    """All-up and all-down lattices (ordered) plus random ones (disordered): a 1-d latent must
    put the two ordered states in separate clusters on opposite sides of the disordered one."""
    rng = np.random.default_rng(11)
    L, n = 8, 120
    up = np.ones((n, L, L), np.int8)
    down = -up
    # ordered states with a few thermal flips, disordered: independent random spins
    up = np.where(rng.uniform(size=up.shape) < 0.03, -up, up)
    down = np.where(rng.uniform(size=down.shape) < 0.03, -down, down)
    random = biased_spins(rng, np.full(n, 0.5), L)
    X = np.concatenate([up, down, random]).astype(np.float32)
    labels = np.repeat([Z.ORDERED_UP, Z.ORDERED_DOWN, Z.DISORDERED], n)
    model = seeded_model({"name": variant, "L": L, "latent_dim": 1, "hidden": [32]}, seed=3)
    val = rng.uniform(size=len(X)) < 0.2
    settings = TrainSettings(epochs=10, batch_size=32, lr=3e-3, patience=10, device="cpu")
    result = train(
        model,
        (X[~val], X[~val]),
        (X[val], X[val]),
        settings,
        seed=3,
        loss_fn=Z.loss_for(model),
        name=variant,
    )
    codes, nll = Z.encode_and_score(result.model, X)
    assert Z.cluster_silhouette(codes, labels) > 0.7
    z = codes[:, 0]
    centre = np.median(z[labels == Z.DISORDERED])
    assert np.sign(np.median(z[labels == Z.ORDERED_UP]) - centre) == -np.sign(
        np.median(z[labels == Z.ORDERED_DOWN]) - centre
    )
    # ordered lattices are easy to reconstruct, random ones cost ~ ln 2 per site
    assert nll[labels != Z.DISORDERED].mean() < 0.3
    assert nll[labels == Z.DISORDERED].mean() == pytest.approx(np.log(2), abs=0.1)


# --- the stage on a tiny data set ---------------------------------------------------------------


TINY = {
    "L": 8,
    "symmetrize": True,
    "val_fraction": 0.25,
    "pca": {"n_components": 3},
    "autoencoder": {
        "variants": ["ae", "vae"],
        "latent_dims": [1, 2],
        "hidden": [16],
        "activation": "relu",
        "beta": 1.0,
        "train": {"epochs": 3, "batch_size": 32},
    },
    "clusters": {"ordered_max": 1.8, "disordered_min": 2.8},
    "tc": {"bootstrap": 10, "tolerance": 0.05},
}
TRAINING = {
    "device": "cpu",
    "mixed_precision": False,
    "epochs": 20,
    "batch_size": 64,
    "lr": 1e-3,
    "weight_decay": 0.0,
    "patience": 5,
    "min_delta": 0.0,
    "augment_spin_flip": True,
}
PROBING = {
    "observables": {"ising": ["magnetization", "energy"]},
    "bootstrap_resamples": 10,
    "cv_folds": 3,
}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("unsup") / "L8.h5"
    return write_fixture(path, 8, [1.2, 1.6, 2.0, 2.3, 2.6, 3.0, 3.4], 16, seed=5, sweeps=60)


def _train(data, name, out):
    """Train as the rule does: the data slice and the model's own slice."""
    outputs = {"model": out / "model.pt", "meta": out / "model.json", "history": out / "history.h5"}
    pipeline.train_autoencoder(
        data, name, data_slice(TINY), model_config_slice(TINY, name), TRAINING, 7, outputs
    )
    return outputs


def test_pca_stage_files(tiny_data, tmp_path):
    ds = pipeline.run_pca(
        tiny_data,
        data_slice(TINY),
        TINY["pca"],
        TINY["tc"],
        7,
        tmp_path / "pca.h5",
        tmp_path / "headline.json",
    )
    with xr.open_dataset(tmp_path / "pca.h5", engine="h5netcdf") as f:
        assert f["components"].shape == (3, 8, 8)
        assert f["projection"].shape == (7, 16, 3)
        assert np.all(np.diff(f["explained_variance_ratio"].values) <= 0)
    records = {
        r["name"]: r for r in json.loads((tmp_path / "headline.json").read_text())["records"]
    }
    assert records["unsupervised.pca.tc"]["reference"] == pytest.approx(TC_EXACT)
    assert records["unsupervised.pca.pc1_uniform_overlap"]["value"] == pytest.approx(
        float(ds["uniform_overlap"][0])
    )


@pytest.mark.parametrize("name", ["ae2", "vae1"])
def test_autoencoder_training_is_deterministic_and_analysis_writes_its_files(
    tiny_data, tmp_path, name
):
    a = _train(tiny_data, name, tmp_path / "a")
    b = _train(tiny_data, name, tmp_path / "b")
    # same config -> same weights (compared as tensors: torch.save's zip embeds the file name)
    wa, wb = torch.load(a["model"], weights_only=True), torch.load(b["model"], weights_only=True)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    meta = json.loads(a["meta"].read_text())
    assert meta["architecture"]["latent_dim"] == int(name[-1])
    assert meta["metrics"]["epochs_run"] == 3
    out = tmp_path / "analysis"
    pipeline.analyse_autoencoder(
        a["model"],
        a["meta"],
        tiny_data,
        name,
        data_slice(TINY),
        TINY["clusters"],
        TINY["tc"],
        PROBING,
        7,
        out / "latent.h5",
        out / "ranking.h5",
        out / "headline.json",
    )
    with xr.open_dataset(out / "latent.h5", engine="h5netcdf") as f:
        assert f["code"].shape == (7, 16, int(name[-1]))
        assert f["reconstruction_loss"].shape == (7, 16)
        assert np.all(f["reconstruction_loss"].values > 0)
        assert f["tc_latent_replicates"].size == 10
    with xr.open_dataset(out / "ranking.h5", engine="h5netcdf") as f:
        assert set(f.observable.values) == {"magnetization", "energy"}
        ranking = f.load()
    with xr.open_dataset(out / "latent.h5", engine="h5netcdf") as f:
        u, m = f["latent_parameter"].values, f["magnetization"].values
        temps = f["temperature"].values
    # the conditional ranking: Spearman within each temperature of the data, combined
    assert ranking.attrs["control_parameter"] == "T" and ranking.attrs["n_strata_used"] == 7
    assert float(ranking.spearman_cond.sel(observable="magnetization")) == pytest.approx(
        stratified_spearman(u.ravel(), m.ravel(), np.repeat(temps, u.shape[1])), abs=1e-12
    )
    records = {r["name"]: r for r in json.loads((out / "headline.json").read_text())["records"]}
    assert {
        f"unsupervised.{name}.tc_latent",
        f"unsupervised.{name}.latent_magnetization_abs_spearman",
        f"unsupervised.{name}.latent_magnetization_abs_spearman_given_T",
        f"unsupervised.{name}.phase_silhouette",
    } <= set(records)
    assert (
        records[f"unsupervised.{name}.latent_magnetization_abs_spearman_given_T"]["status"]
        == "info"
    )
