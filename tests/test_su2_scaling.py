"""Finite-size extrapolation of the SU(2) beta_c (physlens.su2.scaling): the susceptibility
peak finder on peaks of known position, the extrapolation of synthetic pseudo-critical
couplings beta_c + a N_s^(-1/nu) + noise, which estimates are judged and which recorded, and
a tiny workflow over three N_s."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from scipy.special import expit

from physlens.references import reference
from physlens.su2 import BETA_C_NT2_REF
from physlens.su2.checks import FINITE_SIZE_ALLOWANCE, single_size_tolerance
from physlens.su2.scaling import (
    MIN_SIZES,
    SCALING_TOLERANCE,
    crossing_scaling,
    exponent_from_heights,
    extrapolated_headline,
    interpolated_susceptibility_peak,
    log_parabola_peak,
    peak_scaling,
)

BETA_C = reference(BETA_C_NT2_REF).value
NU = reference("ising3d_nu").value
GRID = np.round(np.linspace(1.4, 2.6, 31), 12)
SIZES = [6, 8, 10, 12]
SLOPE = -0.9  # the peak moves up towards beta_c as N_s grows (measured sign, tiny run)
SCALING = {"nu": NU, "peak_points": 5, "bootstrap": 100}


def pseudo_critical(n_s, beta_c=BETA_C, slope=SLOPE):
    return beta_c + slope * float(n_s) ** (-1.0 / NU)


# --- the peak finder --------------------------------------------------------------------------


def test_log_parabola_is_exact_for_a_gaussian_peak_between_grid_points():
    for centre in (1.9237, 2.0111, 1.5023):
        y = 3.7 * np.exp(-((GRID - centre) ** 2) / (2 * 0.07**2))
        for points in (3, 5, 7):
            beta, height = log_parabola_peak(GRID, y, points)
            assert beta == pytest.approx(centre, abs=1e-9)
            assert height == pytest.approx(3.7, rel=1e-9)


def test_log_parabola_locates_a_lorentzian_peak_to_a_fraction_of_the_spacing():
    spacing = GRID[1] - GRID[0]
    for centre in (1.9237, 1.95, 2.2):
        y = 1.0 / (1.0 + ((GRID - centre) / 0.08) ** 2)
        beta, _ = log_parabola_peak(GRID, y, 5)
        assert abs(beta - centre) < 0.05 * spacing


def test_peaks_that_cannot_be_located_are_nan_and_bad_windows_are_refused():
    rising = np.exp(GRID)
    assert np.isnan(log_parabola_peak(GRID, rising, 5)[0])  # largest at the end of the grid
    assert np.isnan(log_parabola_peak(GRID, rising[::-1], 5)[0])  # at the start
    spike = np.full_like(GRID, 0.5)
    spike[13:18] = [9.0, 1.0, 10.0, 1.0, 9.0]  # the largest point between two dips: the
    assert np.isnan(log_parabola_peak(GRID, spike, 5)[0])  # fitted parabola opens upwards
    for points in (2, 4, 1):
        with pytest.raises(ValueError, match="peak_points"):
            log_parabola_peak(GRID, np.ones_like(GRID), points)


def gaussian_polyakov(rng, n_s, centre, n_samples=3000, width=0.12):
    """P[sample, beta] ~ N(0, s^2) with s^2 = exp(-(beta - centre)^2 / (2 width^2)) / N_s^3:
    then chi = N_s^3 (<P^2> - <|P|>^2) = (1 - 2/pi) exp(...) exactly in expectation, a
    Gaussian peak at `centre` of height 1 - 2/pi."""
    s = np.sqrt(np.exp(-((GRID - centre) ** 2) / (2 * width**2)) / n_s**3)
    return rng.standard_normal((n_samples, len(GRID))) * s


def test_susceptibility_peak_of_samples_with_a_known_peak_and_its_bootstrap_error():
    """The peak of chi from samples whose exact chi(beta) peaks at a known beta, and the
    bootstrap error against the scatter over independent data sets."""
    rng = np.random.default_rng(11)
    centre, n_s = 1.9237, 6
    estimates, errors = [], []
    for k in range(24):
        poly = gaussian_polyakov(rng, n_s, centre)
        est = interpolated_susceptibility_peak(GRID, poly, n_s, 5, np.random.default_rng(k), 60)
        estimates.append(est["beta"])
        errors.append(np.nanstd(est["beta_boot"], ddof=1))
        assert est["height"] == pytest.approx(1 - 2 / np.pi, rel=0.15)
    estimates = np.array(estimates)
    scatter, mean_error = np.std(estimates, ddof=1), np.mean(errors)
    assert abs(estimates.mean() - centre) < 4 * scatter / np.sqrt(len(estimates))
    assert 0.6 < mean_error / scatter < 1.6, (mean_error, scatter)


def test_gamma_over_nu_from_heights_that_scale_exactly():
    gnu = reference("ising3d_gamma_over_nu").value
    heights = 0.4 * np.array(SIZES, float) ** gnu
    boot = heights[:, None] * (1 + np.random.default_rng(0).normal(0, 0.01, (len(SIZES), 50)))
    slope, err = exponent_from_heights(SIZES, heights, boot)
    assert slope == pytest.approx(gnu, abs=1e-10)
    assert 0 < err < 0.1


def test_exponents_of_the_config_default_are_the_3d_ising_references():
    """The config's default nu is the 3D Ising value (to the digits it is written with)."""
    from physlens.config import load_schema

    default = load_schema()["properties"]["su2"]["properties"]["scaling"]["properties"]["nu"]
    assert default["default"] == pytest.approx(NU, abs=5e-4)
    assert reference("ising3d_gamma_over_nu").value == pytest.approx(
        3 - 2 * 0.5181489, abs=1e-6
    )  # gamma/nu = 2 - eta = 3 - 2 Delta_sigma
    assert NU == pytest.approx(1 / (3 - 1.412625), abs=1e-6)  # nu = 1 / (3 - Delta_epsilon)


# --- judged or recorded -----------------------------------------------------------------------


def fake_extrapolation(value, sizes):
    return {
        "tc": value,
        "tc_err": 0.004,
        "slope": SLOPE,
        "chi2": 0.5,
        "dof": len(sizes) - 2,
        "used": np.ones(len(sizes), bool),
    }


@pytest.mark.parametrize(
    "sizes, n_t, offset, status",
    [
        ([6, 8, 10], 2, 0.02, "met"),
        ([6, 8, 10], 2, -0.029, "met"),
        ([6, 8, 10], 2, 0.04, "missed"),
        ([6, 8, 10, 12], 2, -0.05, "missed"),
        ([6, 8], 2, 0.0, "info"),  # two sizes: recorded (the config refuses them anyway)
        ([6, 8, 10], 4, 0.0, "info"),  # no reference at N_t = 4
    ],
)
def test_extrapolated_beta_c_is_judged_within_003_on_three_sizes(sizes, n_t, offset, status):
    rec = extrapolated_headline(
        "su2.beta_c_extrapolated",
        "su2",
        fake_extrapolation(BETA_C + offset, sizes),
        sizes,
        n_t,
        "x",
    )
    assert rec["status"] == status
    if status != "info":
        assert rec["tolerance"] == SCALING_TOLERANCE and rec["reference"] == BETA_C
    assert MIN_SIZES == 3


def test_a_single_lattice_keeps_its_loose_tolerance_and_several_are_only_recorded():
    assert single_size_tolerance([6], 0.08) == pytest.approx(0.08 + FINITE_SIZE_ALLOWANCE)
    assert single_size_tolerance([6, 8, 10], 0.08) is None


def write_predictions(path, p, n_s, n_t=2, windows=(1.65, 2.3)):
    """A predictions file of the SU(2) classifier: P(deconfined) (member, beta, sample)."""
    labels = np.where(GRID <= windows[0], 0, np.where(GRID >= windows[1], 1, -1))
    mean = np.nanmean(np.nanmean(p, axis=0), axis=1)
    xr.Dataset(
        {
            "p_deconfined": (("member", "beta", "sample"), p),
            "p_mean": ("beta", mean),
            "p_sem": ("beta", np.zeros_like(mean)),
            "n_test": ("beta", np.full(len(GRID), p.shape[2])),
            "label": ("beta", labels),
        },
        coords={"beta": GRID, "member": np.arange(p.shape[0])},
        attrs={"n_s": n_s, "n_t": n_t},
    ).to_netcdf(path, engine="h5netcdf")
    return path


def classifier_output(rng, n_s, members=3, n_samples=60, noise=0.1):
    """Members with logistic steps of width ~ N_s^(-1/nu) at their own thresholds scattered
    around the size's pseudo-critical coupling, plus per-sample noise."""
    thresholds = pseudo_critical(n_s) + rng.normal(0, 0.003, members)
    width = 0.4 * n_s ** (-1.0 / NU)
    clean = expit((GRID[None, :] - thresholds[:, None]) / width)
    return np.clip(clean[:, :, None] + rng.normal(0, noise, (members, len(GRID), n_samples)), 0, 1)


def test_one_size_is_judged_loosely_and_three_make_it_recorded(tmp_path):
    import physlens.su2.learning as learning

    path = write_predictions(
        tmp_path / "pred.h5", classifier_output(np.random.default_rng(1), 6), 6
    )
    cfg = {"beta_c": {"bootstrap": 50}}
    out = (tmp_path / "bc.csv", tmp_path / "bc.json")
    alone = learning.estimate_beta_c(path, cfg, 3, *out)
    rec = json.loads(out[1].read_text())["records"][0]
    assert rec["tolerance"] == pytest.approx(GRID[1] - GRID[0] + FINITE_SIZE_ALLOWANCE)
    assert rec["status"] == "met" and rec["reference"] == BETA_C
    assert alone["beta_c"] == pytest.approx(pseudo_critical(6), abs=0.01)
    learning.estimate_beta_c(path, cfg, 3, *out, sizes=[6, 8, 10])
    rec = json.loads(out[1].read_text())["records"][0]
    assert rec["status"] == "info" and rec["reference"] is None
    assert rec["value"] == pytest.approx(alone["beta_c"], abs=0)  # same number, not judged


# --- the extrapolations ---------------------------------------------------------------------


def write_polyakov_file(path, poly, n_s, n_t=2):
    """The part of an SU(2) Monte Carlo file the susceptibility analysis reads."""
    xr.Dataset(
        {"polyakov_loop": (("beta", "sample"), poly.T)},
        coords={"beta": GRID},
        attrs={"n_s": n_s, "n_t": n_t},
    ).to_netcdf(path, engine="h5netcdf")
    return path


def test_susceptibility_peaks_extrapolate_to_the_known_beta_c(tmp_path):
    """Samples whose chi peaks exactly at beta_c + a N_s^(-1/nu): the extrapolation recovers
    beta_c within its error and the headline is judged (met)."""
    rng = np.random.default_rng(5)
    paths = {
        n: write_polyakov_file(
            tmp_path / f"c{n}.h5", gaussian_polyakov(rng, n, pseudo_critical(n)), n
        )
        for n in SIZES
    }
    res = peak_scaling(paths, SCALING, 9, tmp_path / "s.csv", tmp_path / "s.json")
    assert abs(res["tc"] - BETA_C) < 3 * res["tc_err"] and res["tc_err"] < 0.03
    assert res["slope"] == pytest.approx(SLOPE, abs=0.3)
    recs = {r["name"]: r for r in json.loads((tmp_path / "s.json").read_text())["records"]}
    assert recs["su2.beta_c_extrapolated"]["status"] == "met"
    assert recs["su2.scaling.gamma_over_nu"]["status"] == "info"
    # every size has the same peak height: gamma/nu = 0 within its error
    assert abs(res["gamma_over_nu"]) < 4 * res["gamma_over_nu_err"]
    assert (tmp_path / "s.csv").read_text().count("\n") == len(SIZES) + 2


def test_a_file_of_another_size_or_n_t_is_named(tmp_path):
    rng = np.random.default_rng(0)
    poly = gaussian_polyakov(rng, 6, 1.9, n_samples=50)
    paths = {n: write_polyakov_file(tmp_path / f"c{n}.h5", poly, n) for n in (6, 8)}
    paths[10] = write_polyakov_file(tmp_path / "wrong.h5", poly, 12)
    with pytest.raises(ValueError, match="wrong.h5: holds N_s = 12, expected N_s = 10"):
        peak_scaling(paths, SCALING, 1, tmp_path / "s.csv", tmp_path / "s.json")
    paths[10] = write_polyakov_file(tmp_path / "nt4.h5", poly, 10, n_t=4)
    with pytest.raises(ValueError, match="different N_t"):
        peak_scaling(paths, SCALING, 1, tmp_path / "s.csv", tmp_path / "s.json")


def test_classifier_crossings_extrapolate_to_the_known_beta_c(tmp_path):
    rng = np.random.default_rng(8)
    paths = {
        n: write_predictions(tmp_path / f"p{n}.h5", classifier_output(rng, n), n) for n in SIZES
    }
    res = crossing_scaling(paths, 100, NU, 4, tmp_path / "b.csv", tmp_path / "b.json")
    assert abs(res["tc"] - BETA_C) < 3 * res["tc_err"] and res["tc_err"] < 0.03
    assert res["ensemble_error"] > 0 and len(res["per_member"]) == 3
    rec = json.loads((tmp_path / "b.json").read_text())["records"][0]
    assert rec["name"] == "su2_learning.beta_c_extrapolated" and rec["status"] == "met"
    assert rec["context"]["sizes"] == SIZES and len(rec["context"]["per_size"]) == len(SIZES)


# --- the planned jobs -------------------------------------------------------------------------


def planned_su2_jobs(configfile) -> set[tuple[str, tuple[str, ...]]]:
    """(rule, outputs) of every SU(2) job of a forced dry run of `configfile`."""
    import importlib.util
    import subprocess
    import sys

    from conftest import ROOT, SNAKEMAKE, snakemake_env

    spec = importlib.util.spec_from_file_location("job_times", ROOT / "benchmarks" / "job_times.py")
    job_times = importlib.util.module_from_spec(spec)
    sys.modules["job_times"] = job_times
    spec.loader.exec_module(job_times)
    proc = subprocess.run(
        [str(SNAKEMAKE), "-n", "--forceall", "--configfile", configfile],
        cwd=ROOT,
        env=snakemake_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {
        (job.rule, tuple(job.outputs))
        for job in job_times.parse_jobs(proc.stdout + proc.stderr)
        if "su2" in job.rule
    }


# The default config's SU(2) jobs before several N_s existed: one lattice, unchanged.
S2L = "results/su2_learning"
DEFAULT_SU2_JOBS = {
    ("simulate_su2", ("results/su2/configs.h5",)),
    ("su2_checks", ("results/su2/headline.json",)),
    *(
        (
            "su2_train_classifier",
            tuple(
                f"{S2L}/classifier/member{m}/{f}" for f in ("model.pt", "model.json", "history.h5")
            ),
        )
        for m in range(3)
    ),
    ("su2_predict_phase", (f"{S2L}/predictions.h5",)),
    ("su2_beta_c", (f"{S2L}/beta_c.csv", f"{S2L}/headline_beta_c.json")),
    ("su2_probing", (f"{S2L}/probing/ranking.h5", f"{S2L}/probing/headline.json")),
    ("plot_su2_p_deconfined", (f"{S2L}/figures/p_deconfined.png",)),
    ("plot_su2_logit_vs_polyakov", (f"{S2L}/figures/logit_vs_polyakov.png",)),
    ("plot_su2_plaquette", (f"{S2L}/figures/plaquette.png",)),
}


def test_the_default_config_plans_the_same_su2_jobs_and_the_paper_preset_adds_the_scaling():
    assert planned_su2_jobs("config/config.yaml") == DEFAULT_SU2_JOBS
    paper = planned_su2_jobs("config/paper.yaml")
    rules = sorted(rule for rule, _ in paper)
    members = load_config_members("config/paper.yaml")
    assert rules.count("simulate_su2") == 1 and rules.count("simulate_su2_size") == 2
    assert rules.count("su2_train_classifier_size") == 2 * members
    assert rules.count("su2_predict_phase_size") == 2
    outputs = {o for _, outs in paper for o in outs}
    for path in (
        "results/su2/configs_Ns6.h5",
        "results/su2/configs_Ns10.h5",
        f"{S2L}/Ns10/predictions.h5",
        "results/su2/headline_scaling.json",
        f"{S2L}/headline_beta_c_scaling.json",
        f"{S2L}/figures/beta_c_scaling.png",
    ):
        assert path in outputs, path
    assert "results/su2/configs_Ns8.h5" not in outputs  # su2.n_s = 8 is configs.h5


def load_config_members(preset) -> int:
    """su2_learning.classifier.members of config/config.yaml with `preset` on top."""
    import yaml
    from snakemake.utils import update_config

    from conftest import ROOT
    from physlens.config import validate_config

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(cfg, yaml.safe_load((ROOT / preset).read_text()))
    return validate_config(cfg)["su2_learning"]["classifier"]["members"]


# --- the workflow over three tiny N_s --------------------------------------------------------

TINY_SCALING = """\
su2:
  sizes: [4, 6, 8]
  beta: {start: 1.4, stop: 2.6, num: 6}
  scaling: {peak_points: 3, bootstrap: 20}
su2_learning:
  augment_gauge_copies: 2
  classifier: {train: {epochs: 4}}
  beta_c: {bootstrap: 20}
"""


@pytest.mark.slow
def test_tiny_workflow_extrapolates_over_three_sizes(tmp_path):
    """config/test.yaml with three N_s: every size is simulated and classified, both
    extrapolations and the figure are made, and the single-size numbers are only recorded
    (about a minute of job time: the tiny run itself keeps one N_s)."""
    from conftest import TINY_CONFIG, copy_workflow, run_snakemake

    workdir = copy_workflow(tmp_path / "wf")
    (workdir / "scaling.yaml").write_text(TINY_SCALING)
    targets = [
        "results/su2/headline.json",
        "results/su2/headline_scaling.json",
        "results/su2_learning/headline_beta_c.json",
        "results/su2_learning/headline_beta_c_scaling.json",
        "results/su2_learning/figures/beta_c_scaling.png",
    ]
    run_snakemake(workdir, *targets, "--cores", "2", "--configfile", TINY_CONFIG, "scaling.yaml")
    # su2.n_s = 4 is configs.h5; the other sizes have their own files
    assert (workdir / "results/su2/configs_Ns6.h5").is_file()
    assert (workdir / "results/su2/configs_Ns8.h5").is_file()
    assert not (workdir / "results/su2/configs_Ns4.h5").exists()
    assert (workdir / "results/su2_learning/Ns8/predictions.h5").is_file()
    records = {}
    for t in targets[:4]:
        records |= {r["name"]: r for r in json.loads((workdir / t).read_text())["records"]}
    for name in ("su2.beta_c_extrapolated", "su2_learning.beta_c_extrapolated"):
        assert records[name]["context"]["sizes"] == [4, 6, 8]
        assert records[name]["tolerance"] == SCALING_TOLERANCE
        assert records[name]["status"] in ("met", "missed")
    for name in ("su2.polyakov_susceptibility_peak_beta", "su2_learning.beta_c"):
        assert records[name]["status"] == "info"
    assert (workdir / "results/su2_learning/figures/beta_c_scaling.png").stat().st_size > 10_000
