"""The graph-network rules' outputs after the tiny run (config/test.yaml: laws spring and
charge, all three variants, 8-component messages): simulations that conserve what they
should, models that load, interpretation files whose numbers follow from the stored messages,
headlines judged with their references, and every figure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from physlens.gnn import interpret as I
from physlens.gnn.forces import accelerations, momentum
from physlens.io import open_dataset
from physlens.modelfiles import load_model

GNN = "results/gnn"
LAWS = ("spring", "charge")
VARIANTS = ("standard", "l1", "bottleneck")


@pytest.mark.parametrize("law", LAWS)
def test_tiny_run_simulations_store_consistent_states(tiny_run, law):
    with open_dataset(tiny_run / f"{GNN}/{law}/simulations.h5") as ds:
        ds = ds.load()
    assert ds.attrs["law"] == law
    assert list(ds["position"].dims) == ["simulation", "time", "particle", "dim"]
    assert ds.sizes["simulation"] == 30 and ds.sizes["time"] == 5
    m, q = ds["mass"].values[:, None], ds["charge"].values[:, None]
    np.testing.assert_allclose(
        ds["acceleration"].values,
        accelerations(law, ds["position"].values, m, q, ds.attrs["softening"]),
        rtol=1e-10,
        atol=1e-12,
    )
    P = momentum(ds["velocity"].values, m)
    np.testing.assert_allclose(P - P[:, :1], 0.0, atol=1e-10)
    assert set(np.unique(ds["charge"].values)) <= {-1.0, 1.0} and (ds["mass"] > 0).all()


@pytest.mark.parametrize("law", LAWS)
def test_tiny_run_models_load_with_their_variant_width(tiny_run, law):
    for variant in VARIANTS:
        d = tiny_run / f"{GNN}/{law}/{variant}"
        model, meta = load_model(d / "model.pt", d / "model.json", d.parent / "simulations.h5")
        width = 2 if variant == "bottleneck" else 8
        assert model.edge_fn[-1].out_features == width
        metrics = json.loads((d / "metrics.json").read_text())
        assert metrics["variant"] == variant and metrics["epochs_run"] >= 1
        assert (metrics["l1_weight"] > 0) == (variant == "l1")


@pytest.mark.parametrize("law", LAWS)
def test_tiny_run_interpretation_follows_from_the_stored_messages(tiny_run, law):
    report = json.loads((tiny_run / f"{GNN}/{law}/interpretation.json").read_text())
    assert set(report["variants"]) == set(VARIANTS)
    with open_dataset(tiny_run / f"{GNN}/{law}/messages.h5") as ds:
        ds = ds.load()
    for variant, rep in report["variants"].items():
        std = np.asarray(rep["std_sorted"])
        assert np.all(np.diff(std) <= 0)
        assert rep["n_significant"] == I.n_significant(std, report["significance"])
        # the stored scatter: the fitted combination a.F + b of each component's coefficients
        rank0 = rep["per_component"][0]
        target = ds["force"].values
        if rep["force_target"] != "force":
            assert rep["force_target"] == "force_per_receiver_mass"
        else:
            comb = target @ np.asarray(rank0["coefficients"][:-1]) + rank0["coefficients"][-1]
            np.testing.assert_allclose(
                ds["force_combination"].sel(variant=variant).isel(rank=0), comb, rtol=1e-8
            )
    sym = report["symbolic"]
    assert sym["variant"] in ("l1", "bottleneck") and sym["engine"] == "operon"
    pareto = (tiny_run / f"{GNN}/{law}/pareto.csv").read_text().splitlines()
    assert pareto[0].split(",")[:3] == ["complexity", "loss", "expression"]


@pytest.mark.parametrize("law", LAWS)
def test_tiny_run_headlines_are_judged_for_l1_and_bottleneck_only(tiny_run, law):
    doc = json.loads((tiny_run / f"{GNN}/{law}/headline.json").read_text())
    rec = {r["name"]: r for r in doc["records"]}
    for variant in VARIANTS:
        sparsity = rec[f"gnn.{law}.{variant}.n_significant_messages"]
        linear = rec[f"gnn.{law}.{variant}.message_force_r2"]
        if variant == "standard":
            assert sparsity["status"] == linear["status"] == "info"
        else:
            assert sparsity["reference"] == 2 and sparsity["status"] in ("met", "missed")
            assert linear["reference"] == 0.9 and "Cranmer" in linear["reference_source"]
    drift = rec[f"gnn.{law}.median_energy_drift"]
    assert drift["tolerance_kind"] == "at_most" and drift["status"] in ("met", "missed")
    with open_dataset(tiny_run / f"{GNN}/{law}/simulations.h5") as ds:
        assert drift["value"] == pytest.approx(float(np.median(ds["energy_drift"].values)))
    sym = rec[f"gnn.{law}.symbolic_force_r2"]
    assert sym["reference_key"] == "cranmer2020_symbolic_force_law"
    assert sym["context"]["formula"]
    summary = json.loads((tiny_run / "results/summary.json").read_text())
    assert f"gnn.{law}.symbolic_force_r2" in {r["name"] for r in summary["records"]}


@pytest.mark.parametrize("law", LAWS)
def test_tiny_run_gnn_figures_exist(tiny_run, law):
    for fig in ("messages", "std", "pareto", "snapshot"):
        assert (tiny_run / f"{GNN}/{law}/figures/{fig}.png").stat().st_size > 10_000
