"""Physics-formula data sets of the TNNR benchmark and how their numbers are judged.

Truths: the RCL current equals Re[V0 e^{i omega t} / Z] with the complex impedance
Z = R + i(omega L - 1/(omega C)), which is V0 cos(omega t) / R at resonance; the bridge output
equals the difference of the two midpoint voltages of a nodal (Kirchhoff) solution, which
vanishes for a balanced bridge; hand-computed values of the authors' (published) forms; the
split sizes of the authors' splitData; a delta-method ratio error that is exact for a
constant denominator; the loop sum of the non-integrable F(a, b) = a1 b2 - a2 b1, twice the
signed area of the triangle; the judged criterion on constructed differences.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from physlens.config import ConfigError, validate_config
from physlens.io import DataFileError, to_netcdf_atomic
from physlens.siamese import formula_benchmark as fb
from physlens.siamese import formulas as F
from physlens.siamese import tnnr
from physlens.siamese.formula_headlines import JUDGE_SIGMAS, competes_record, formula_headlines

TASKS = ("rcl_circuit", "wheatstone_bridge")


def _inputs(n, k, seed=0):
    return np.random.default_rng(seed).uniform(1.0, 3.0, (n, k))


# --- the formulas -------------------------------------------------------------------------------


def test_rcl_current_is_the_real_part_of_voltage_over_complex_impedance():
    X = _inputs(500, 6)
    V0, R, L, C, w, t = X.T
    Z = R + 1j * (w * L - 1 / (w * C))
    expected = np.real(V0 * np.exp(1j * w * t) / Z)
    np.testing.assert_allclose(F.formula("rcl_circuit")(X), expected, rtol=1e-12, atol=1e-14)
    # the amplitude never exceeds V0 / R (|Z| >= R)
    assert np.all(np.abs(F.formula("rcl_circuit")(X)) <= V0 / R + 1e-12)


def test_rcl_at_resonance_is_ohms_law():
    gen = np.random.default_rng(1)
    V0, R, L, C, t = gen.uniform(1, 3, (5, 100))
    w = 1 / np.sqrt(L * C)
    np.testing.assert_allclose(F.rcl_current(V0, R, L, C, w, t), V0 * np.cos(w * t) / R, rtol=1e-12)
    np.testing.assert_allclose(F.rcl_current(V0, R, L, C, w, 0 * t), V0 / R, rtol=1e-12)
    # the published form agrees at resonance too: there the reactance vanishes
    np.testing.assert_allclose(
        F.rcl_current(V0, R, L, C, w, t, variant="published"), V0 * np.cos(w * t) / R, rtol=1e-12
    )


def test_rcl_by_hand_off_resonance():
    # V0 = 2, R = L = C = 1, omega = 2, t = 0: reactance 2 - 1/2 = 3/2
    # textbook: V0 cos(phi) / |Z| = V0 R / |Z|^2 = 2 / (1 + 9/4); published: 2 / sqrt(1 + 3/2)
    x = np.array([[2.0, 1.0, 1.0, 1.0, 2.0, 0.0]])
    assert F.formula("rcl_circuit", "textbook")(x)[0] == pytest.approx(2 / 3.25, rel=1e-14)
    assert F.formula("rcl_circuit", "published")(x)[0] == pytest.approx(2 / np.sqrt(2.5), rel=1e-14)


def _nodal_bridge(V, R1, R2, R3, R4):
    """Midpoint voltages of the two legs by Kirchhoff's current law (conductance matrix), the
    bottom at 0 V and the top at V; returns U = V_left - V_right."""
    G = np.array([[1 / R1 + 1 / R2, 0.0], [0.0, 1 / R3 + 1 / R4]])
    b = np.array([V / R1, V / R3])
    left, right = np.linalg.solve(G, b)
    return left - right


def test_bridge_voltage_matches_a_nodal_solution_and_vanishes_when_balanced():
    X = _inputs(50, 5, seed=2)
    np.testing.assert_allclose(
        F.formula("wheatstone_bridge")(X), [_nodal_bridge(*x) for x in X], rtol=1e-12, atol=1e-14
    )
    V, R1, R2, R3 = _inputs(100, 4, seed=3).T
    balanced = F.bridge_voltage(V, R1, R2, R3, R2 * R3 / R1)  # R_x = R2 R3 / R1
    np.testing.assert_allclose(balanced, 0.0, atol=1e-14)
    np.testing.assert_allclose(F.bridge_voltage(V, R1, R2, R3, 0.0 * R3), V * R2 / (R1 + R2))


def test_published_bridge_ignores_its_two_extra_inputs():
    X = _inputs(200, 6, seed=4)
    Y = X.copy()
    Y[:, 4:] = _inputs(200, 2, seed=5)
    f = F.formula("wheatstone_bridge", "published")
    np.testing.assert_array_equal(f(X), f(Y))
    # V = 2, R1 = 1, R2 = 2, R3 = 3: 2 (2/3 - 3/5)
    assert f(np.array([[2.0, 1.0, 2.0, 3.0, 9.0, 9.0]]))[0] == pytest.approx(2 * (2 / 3 - 3 / 5))


def test_unknown_task_and_variant_are_refused_by_name():
    with pytest.raises(ValueError, match="'pendulum'"):
        F.formula("pendulum")
    with pytest.raises(ValueError, match="'exact'"):
        F.formula("rcl_circuit", "exact")


# --- the data sets ------------------------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("variant", F.VARIANTS)
def test_data_set_is_the_formula_plus_noise_of_the_stated_size(task, variant):
    ds = F.formula_dataset(task, 4000, 0.01, variant, seed=7)
    X = ds["x"].values
    f = F.formula(task, variant)
    assert list(ds["feature"].values) == list(f.inputs) and X.shape == (4000, len(f.inputs))
    assert X.min() >= 1.0 and X.max() <= 3.0
    np.testing.assert_array_equal(ds["y_clean"].values, f(X))
    noise = ds["y"].values - ds["y_clean"].values
    # sample sd of 4000 normal draws: relative standard error 1/sqrt(2 * 3999) = 1.1 %
    assert np.std(noise) == pytest.approx(0.01, rel=0.05) and abs(np.mean(noise)) < 0.001
    again = F.formula_dataset(task, 4000, 0.01, variant, seed=7)
    assert ds["y"].equals(again["y"]) and ds.attrs["noise_sd"] == 0.01
    assert not np.array_equal(F.formula_dataset(task, 4000, 0.01, variant, seed=8)["x"], X)


def test_data_file_round_trip_and_damage_are_named(tmp_path):
    path = tmp_path / "wheatstone_bridge.h5"
    F.write_formula_data(
        "wheatstone_bridge",
        {"points": {"wheatstone_bridge": 50}, "noise": 0.0, "variant": "textbook"},
        3,
        path,
    )
    task, X, y = F.load_formula_dataset(path)
    assert task == "wheatstone_bridge" and X.shape == (50, 5)
    np.testing.assert_array_equal(y, F.formula(task)(X))  # noise 0
    ds = F.formula_dataset("rcl_circuit", 20, 0.01, "textbook", 3)
    ds["y"][3] = np.nan
    to_netcdf_atomic(ds, tmp_path / "bad.h5")
    with pytest.raises(DataFileError, match="bad.h5.*y has non-finite"):
        F.load_formula_dataset(tmp_path / "bad.h5")
    ds = F.formula_dataset("rcl_circuit", 20, 0.01, "textbook", 3).assign_attrs(task="ising")
    to_netcdf_atomic(ds, tmp_path / "other.h5")
    with pytest.raises(DataFileError, match="'ising'"):
        F.load_formula_dataset(tmp_path / "other.h5")


# --- protocol and statistics --------------------------------------------------------------------


def test_fraction_split_has_the_authors_sizes_and_covers_every_point():
    parts = fb.fraction_split(200, 0.05, 0.05, np.random.default_rng(0))
    assert [len(parts[k]) for k in ("train", "val", "test")] == [180, 10, 10]
    assert sorted(np.concatenate(list(parts.values()))) == list(range(200))
    with pytest.raises(ValueError, match="30 points"):
        fb.fraction_split(30, 0.05, 0.05, np.random.default_rng(0))


def test_ratio_of_means_error_is_exact_for_a_constant_denominator():
    a = np.random.default_rng(1).normal(3.0, 0.5, 12)
    ratio, se = fb.ratio_of_means(a, np.full(12, 2.0))
    assert ratio == pytest.approx(a.mean() / 2)
    assert se == pytest.approx(np.std(a, ddof=1) / np.sqrt(12) / 2, rel=1e-12)
    # perfectly proportional pairs: the ratio is exact, so is its error (zero)
    assert fb.ratio_of_means(2 * a, a) == pytest.approx((2.0, 0.0), abs=1e-12)


class _Area(torch.nn.Module):
    """F_sym(a, b) = a1 b2 - a2 b1: antisymmetric but no difference of a potential; the loop
    sum over (x, a, b) is twice the signed area of that triangle."""

    def difference(self, a, b):
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]

    def forward(self, x):
        a, b, c = x[:, 0], x[:, 1], x[:, 2]
        return torch.stack(
            [self.difference(a, b), self.difference(b, c), self.difference(c, a)], -1
        )


def test_point_loop_violation_is_the_rms_triangle_area_and_zero_for_exact_differences():
    gen = np.random.default_rng(2)
    Xq, Xa = gen.normal(size=(7, 2)).astype(np.float32), gen.normal(size=(30, 2)).astype(np.float32)
    got = tnnr.point_loop_violation(_Area(), Xq, Xa, 50, np.random.default_rng(3))
    pairs = np.random.default_rng(3).integers(0, 30, (7, 50, 2))
    a, b = Xa[pairs[..., 0]].astype(float), Xa[pairs[..., 1]].astype(float)
    x = Xq[:, None, :].astype(float)
    area2 = (a[..., 0] - x[..., 0]) * (b[..., 1] - x[..., 1]) - (a[..., 1] - x[..., 1]) * (
        b[..., 0] - x[..., 0]
    )
    np.testing.assert_allclose(got, np.sqrt(np.mean(area2**2, axis=1)), rtol=1e-5)

    class _Exact(_Area):
        def difference(self, a, b):
            return (a**2).sum(-1) - (b**2).sum(-1)

    assert np.max(tnnr.point_loop_violation(_Exact(), Xq, Xa, 50, gen)) < 1e-5


# --- the judged headline -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("diff", "status"),
    [(-0.01, "met"), (0.0, "met"), (JUDGE_SIGMAS * 0.005 - 1e-9, "met"), (0.0101, "missed")],
)
def test_tnnr_competes_within_two_standard_errors_on_small_sets(diff, status):
    rec = competes_record("wheatstone_bridge", diff, 0.005, 200, 5, small=True, unit="V")
    assert rec["status"] == status
    assert rec["reference"] == 0.0 and rec["tolerance"] == pytest.approx(JUDGE_SIGMAS * 0.005)
    assert rec["tolerance_kind"] == "at_most" and rec["reference_key"] == "wetzel2022_tnnr_competes"


def test_larger_sets_are_recorded_not_judged():
    rec = competes_record("rcl_circuit", 0.5, 0.001, 4000, 5, small=False)
    assert rec["status"] == "info" and rec["reference"] is None
    assert "not judged" in rec["description"]


def test_formula_headlines_judge_only_the_difference():
    q = {"rmse_diff_tnnr_single": (-0.002, 0.001)}
    for k in ("tnnr", "single", "ensemble"):
        q[f"rmse_{k}"] = (0.02, 0.001)
    q["rmse_ratio_tnnr_single"] = q["rmse_ratio_tnnr_ensemble"] = (0.9, 0.1)
    for u in fb.UNCERTAINTIES:
        q[f"spearman_{u}"] = (0.3, 0.1)
        q[f"coverage68_{u}_calibrated"] = q[f"coverage95_{u}_calibrated"] = (0.7, 0.05)
    recs = formula_headlines(
        {"wheatstone_bridge": q, "rcl_circuit": q},
        {"wheatstone_bridge": 200, "rcl_circuit": 4000},
        5,
        1000,
        {"wheatstone_bridge": "V", "rcl_circuit": "A"},
    )
    judged = {r["name"]: r["status"] for r in recs if r["status"] != "info"}
    assert judged == {"twin.wheatstone_bridge.rmse_diff_tnnr_single": "met"}
    names = [r["name"] for r in recs]
    assert len(names) == len(set(names)) == 2 * 15
    units = {r["name"]: r["unit"] for r in recs}
    assert units["twin.rcl_circuit.rmse_tnnr"] == "A"
    assert units["twin.rcl_circuit.rmse_ratio_tnnr_single"] == ""


# --- configuration ------------------------------------------------------------------------------


def _tiny():
    import yaml

    from conftest import ROOT

    with open(ROOT / "config" / "test.yaml") as fh:
        return yaml.safe_load(fh)


def test_unknown_twin_task_is_refused_by_name():
    cfg = _tiny()
    cfg["twin"]["tasks"] = ["synthetic", "rcl_curcuit"]
    with pytest.raises(ConfigError, match="rcl_curcuit"):
        validate_config(cfg)


def test_formula_split_without_test_points_is_refused():
    cfg = _tiny()
    cfg["twin"]["formula"]["points"]["wheatstone_bridge"] = 30
    cfg["twin"]["formula"]["test_fraction"] = 0.05  # 1 test point
    with pytest.raises(ConfigError, match="twin.formula.points.wheatstone_bridge = 30"):
        validate_config(cfg)


def test_unknown_formula_variant_is_refused():
    cfg = _tiny()
    cfg["twin"]["formula"]["variant"] = "exact"
    with pytest.raises(ConfigError, match="variant"):
        validate_config(cfg)


# --- the tiny run -------------------------------------------------------------------------------


def test_tiny_run_twin_formula_outputs(tiny_run):
    twin = tiny_run / "results/twin"
    for task in TASKS:
        task_name, X, y = F.load_formula_dataset(twin / f"data/{task}.h5")
        assert task_name == task and len(y) == 60
    recs = {r["name"]: r for r in json.loads((twin / "headline.json").read_text())["records"]}
    for task in TASKS:
        rec = recs[f"twin.{task}.rmse_diff_tnnr_single"]
        assert rec["status"] in ("met", "missed") and rec["context"]["repeats"] == 2
        assert recs[f"twin.{task}.rmse_tnnr"]["status"] == "info"
    assert (twin / "formula_benchmark.csv").exists() and (twin / "figures/formula.png").exists()
    # the single-split tasks keep their own files
    assert (twin / "benchmark.csv").exists() and (twin / "figures/benchmark.png").exists()
