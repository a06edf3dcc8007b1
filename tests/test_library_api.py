"""physlens as a library: light package imports, public names, and the docs' examples."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.signal import lfilter

import physlens
from physlens.config import ConfigError, temperature_grid, validate_config

PACKAGES = (
    "ising",
    "su2",
    "siamese",
    "supervised",
    "unsupervised",
    "interpret",
    "phase",
    "symbolic",
)


def test_package_imports_are_light_and_every_public_name_resolves():
    code = (
        "import sys, importlib, physlens\n"
        f"pkgs = [physlens] + [importlib.import_module('physlens.' + p) for p in {PACKAGES!r}]\n"
        "heavy = [m for m in ('torch', 'numba', 'matplotlib', 'sympy') if m in sys.modules]\n"
        "assert heavy == [], heavy\n"
        "missing = [(p.__name__, n) for p in pkgs for n in p.__all__ if getattr(p, n) is None]\n"
        "assert missing == [], missing\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert {"sample_ising", "TwinRegressor", "mean_and_error", "validate_config"} <= set(
        physlens.__all__
    )


def test_explicit_temperature_list_in_config(tiny_config):
    # both supervised windows and both sides of the confounder band keep a temperature
    tiny_config["ising"]["temperatures"] = {"values": [3.0, 1.5, 2.05, 2.4, 1.5]}
    cfg = validate_config(tiny_config)
    assert temperature_grid(cfg["ising"]).tolist() == [1.5, 2.05, 2.4, 3.0]
    tiny_config["ising"]["temperatures"] = {
        "values": [2.05, 2.4],
        "coarse": {"start": 1.0, "stop": 3.0, "num": 3},
    }
    grid = temperature_grid(validate_config(tiny_config)["ising"]).tolist()
    assert grid == [1, 2, 2.05, 2.4, 3]


def test_temperatures_need_a_grid_or_values(tiny_config):
    tiny_config["ising"]["temperatures"] = {}
    with pytest.raises(ConfigError, match="ising.temperatures: give coarse or values"):
        validate_config(tiny_config)


def test_mean_and_error_matches_the_spread_of_independent_chains():
    """AR(1) chains x_t = phi x_{t-1} + noise: tau_int = (1 + phi) / (2 (1 - phi)) = 9.5."""
    gen = np.random.default_rng(0)
    chains = lfilter([1.0], [1.0, -0.9], gen.normal(size=(200, 4000)), axis=1)[:, 500:]
    results = np.array([physlens.mean_and_error(c) for c in chains])
    spread = results[:, 0].std(ddof=1)
    assert np.median(results[:, 1]) == pytest.approx(spread, rel=0.15)
    exact = np.sqrt(1 / (1 - 0.81)) * np.sqrt(2 * 9.5 / 3500)
    assert np.median(results[:, 1]) == pytest.approx(exact, rel=0.15)


def test_sample_ising_agrees_with_kaufman(tmp_path):
    """The docs' first example: sample an 8x8 lattice at three temperatures, compare <E>/N
    with the exact finite torus (Kaufman 1949)."""
    from physlens.ising import kaufman_energy
    from physlens.stats import thinned_mean_error

    ds = physlens.sample_ising(8, [1.5, 2.269, 3.5], 200, seed=1)
    assert ds.sizes == {"temperature": 3, "sample": 200, "y": 8, "x": 8}
    for T in ds["temperature"].values:
        at = ds.sel(temperature=T)
        e = at["energy"].values
        err = thinned_mean_error(e, float(at["tau_int_energy"]), float(at["thinning_sweeps"]))
        assert abs(e.mean() - kaufman_energy(T, 8)) < 5 * err
    kept = physlens.sample_ising(8, [2.0], 16, seed=1, path=tmp_path / "L8.h5")
    assert (tmp_path / "L8.h5").exists() and kept.sizes["sample"] == 16
