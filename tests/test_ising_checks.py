"""ising_checks: headline records, table and figure from per-L files (exact-truth judged)."""

import json

import numpy as np
import pandas as pd
import pytest

from physlens.ising import checks, exact
from physlens.ising.sampling import simulate_to_file
from physlens.plots.ising import plot_observables
from physlens.summary import merge_headlines

CHECKS = {"min_distance_from_tc": 0.4, "sigma": 4}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ising")
    p = {
        "seed": 3,
        "temperatures": {
            "coarse": {"start": 1.5, "stop": 3.5, "num": 5},
            "fine": {"start": 2.2, "stop": 2.4, "num": 3},
        },
        "samples_per_temperature": 64,
        "algorithm": {"default": "metropolis", "wolff_window": [2.1, 2.6]},
        "wolff_chains": 4,
        "pilot_sweeps": 300,
        "equilibration": {"min_sweeps": 100, "tau_multiple": 10},
        "thinning_multiple": 2,
    }
    return [simulate_to_file(p, L, d / f"L{L}.h5", threads=2, progress=False) for L in (6, 10)]


def test_table_is_tidy_and_carries_exact_values(files):
    table = checks.mark_onsager_comparisons(
        checks.observables_table(files), CHECKS["min_distance_from_tc"]
    )
    assert set(table["observable"]) == {"energy", "abs_magnetization"}
    assert len(table) == 2 * 2 * 8  # (L) x (observable) x (5 coarse + 3 fine temperatures)
    e = table[table["observable"] == "energy"]
    np.testing.assert_allclose(e["onsager"], [exact.onsager_energy(T) for T in e["temperature"]])
    np.testing.assert_allclose(
        e["kaufman"], [exact.kaufman_energy(T, L) for T, L in zip(e["temperature"], e["L"])]
    )
    cmp = table[table["compared_with_onsager"]]
    assert (cmp["L"] == 10).all()
    assert ((cmp["temperature"] - exact.TC_EXACT).abs() >= 0.4).all()
    assert (cmp[cmp["observable"] == "abs_magnetization"]["temperature"] < exact.TC_EXACT).all()
    assert (table["error"] > 0).all()


def test_run_checks_writes_judged_headlines_csv_and_figure(files, tmp_path):
    out = {
        k: tmp_path / name
        for k, name in (("h", "headline.json"), ("t", "checks.csv"), ("f", "fig/obs.png"))
    }
    table, records = checks.run_checks(files, out["h"], out["t"], CHECKS, seed=3)
    plot_observables(table, out["f"])  # what the rule's script draws from the table
    names = {r["name"] for r in records}
    assert {"ising.energy_vs_onsager.L10", "ising.abs_magnetization_vs_onsager.L10"} <= names
    assert {"ising.energy_vs_kaufman.L6", "ising.energy_vs_kaufman.L10"} <= names
    assert {"ising.tau_int_abs_m.L6", "ising.tau_int_energy.L10"} <= names
    by_name = {r["name"]: r for r in records}
    for name in (
        "ising.energy_vs_onsager.L10",
        "ising.energy_vs_kaufman.L6",
        "ising.energy_vs_kaufman.L10",
    ):
        r = by_name[name]
        assert r["tolerance_kind"] == "sigma" and r["status"] == "met", r
    # tau_int records are recorded at the temperature closest to Tc, without a verdict
    tau = by_name["ising.tau_int_abs_m.L6"]
    assert tau["status"] == "info" and tau["context"]["T"] == pytest.approx(2.3)
    merged = merge_headlines([out["h"]])  # the summary rule can read the file
    assert merged["counts"]["missed"] == 0
    assert json.loads(out["h"].read_text())["provenance"]["seed"] == 3
    assert len(pd.read_csv(out["t"])) == 32
    assert out["f"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_wrong_sample_is_caught(files):
    """The check has teeth: energies shifted by 5 errors are judged 'missed'."""
    table = checks.mark_onsager_comparisons(
        checks.observables_table(files), CHECKS["min_distance_from_tc"]
    )
    shifted = table.copy()
    e = shifted["observable"] == "energy"
    shifted.loc[e, "mean"] += 5 * shifted.loc[e, "error"]
    by_name = {r["name"]: r for r in checks.headline_records(shifted, CHECKS["sigma"])}
    assert by_name["ising.energy_vs_onsager.L10"]["status"] == "missed"
    assert by_name["ising.energy_vs_kaufman.L6"]["status"] == "missed"
