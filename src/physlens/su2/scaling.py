"""Finite-size extrapolation of the SU(2) deconfinement coupling over several N_s.

At fixed N_t the deconfinement transition of SU(2) is continuous, with the Z2 centre
symmetry broken above it, and lies in the 3D Ising universality class (Svetitsky & Yaffe
1982). A pseudo-critical coupling of the N_s^3 x N_t lattice therefore approaches the
infinite-volume beta_c as

    beta(N_s) = beta_c + a N_s^(-1/nu),   nu = 0.630 (reference "ising3d_nu"),

and the height of the Polyakov-loop susceptibility peak grows as N_s^(gamma/nu),
gamma/nu = 1.964 (reference "ising3d_gamma_over_nu"). Two pseudo-critical couplings are
measured per N_s and extrapolated by the fit the Ising classifier's Tc uses
(:func:`physlens.phase.crossing.extrapolate_with_bootstrap`):

* the peak of chi(beta) = N_s^3 (<P^2> - <|P|>^2), located between grid points by the vertex
  of a parabola through log chi at the largest grid value and its neighbours (exact for a
  Gaussian peak); its error is a bootstrap over samples within each beta;
* the P(deconfined) = 1/2 crossing of a classifier ensemble trained at that N_s, its error the
  bootstrap over test samples combined with the spread of the members' own extrapolations
  (:func:`physlens.phase.ensemble.extrapolate_ensemble`).

With at least MIN_SIZES sizes the extrapolated beta_c(N_t = 2) is judged within
SCALING_TOLERANCE of the literature value; a single lattice's estimate is judged by
:func:`physlens.su2.checks.single_size_tolerance` instead.
"""

from __future__ import annotations

import csv

import numpy as np
import xarray as xr

from physlens.io import atomic_path, open_dataset
from physlens.phase.crossing import extrapolate_with_bootstrap, extrapolation_chi2
from physlens.phase.ensemble import ensemble_crossing, extrapolate_ensemble
from physlens.references import reference
from physlens.seeding import rng
from physlens.su2 import BETA_C_NT2_REF
from physlens.su2.checks import polyakov_susceptibility
from physlens.summary import headline, write_headlines

# Three sizes leave one degree of freedom to test the two-parameter form against.
MIN_SIZES = 3
# Absolute tolerance of the extrapolated beta_c(N_t = 2): ten times the literature error,
# about the size of the remaining corrections to scaling at N_s ~ 6-12 (our choice).
SCALING_TOLERANCE = 0.03
GAMMA_OVER_NU_REF = "ising3d_gamma_over_nu"


# --- the susceptibility peak ------------------------------------------------------------------


def log_parabola_peak(x, y, points: int) -> tuple[float, float]:
    """(position, height) of the maximum of y > 0 sampled at increasing x.

    A parabola is fitted by least squares to log y at the largest sample and its
    `points` // 2 neighbours on either side (fewer at the ends of the grid); its vertex is
    the peak. NaN where the largest sample is the first or the last (no peak inside the
    grid), where the fitted parabola opens upwards or its vertex lies outside the fitted
    window, or where y is not positive in the window.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if points < 3 or points % 2 == 0:
        raise ValueError(f"peak_points = {points}: must be odd and at least 3")
    nan = (float("nan"), float("nan"))
    if len(x) < 3 or not np.all(np.isfinite(y)):
        return nan
    i = int(np.argmax(y))
    if i in (0, len(x) - 1):
        return nan
    lo, hi = max(0, i - points // 2), min(len(x), i + points // 2 + 1)
    if np.any(y[lo:hi] <= 0):
        return nan
    # centred on the maximum for a well-conditioned fit
    c2, c1, c0 = np.polyfit(x[lo:hi] - x[i], np.log(y[lo:hi]), 2)
    if c2 >= 0:
        return nan
    vertex = -c1 / (2 * c2)
    if not x[lo] - x[i] <= vertex <= x[hi - 1] - x[i]:
        return nan
    return float(x[i] + vertex), float(np.exp(c0 - c1**2 / (4 * c2)))


def interpolated_susceptibility_peak(
    betas, poly: np.ndarray, n_s: int, points: int, generator: np.random.Generator, n_resamples: int
) -> dict:
    """Position and height of the peak of chi(beta) from P[sample, beta], with bootstrap
    replicates: samples redrawn with replacement within each beta (every beta is its own
    chain)."""
    poly = np.asarray(poly, float)
    beta, height = log_parabola_peak(betas, polyakov_susceptibility(poly, n_s), points)
    positions, heights = np.empty(n_resamples), np.empty(n_resamples)
    n, n_beta = poly.shape
    for k in range(n_resamples):
        resampled = np.take_along_axis(poly, generator.integers(0, n, (n, n_beta)), axis=0)
        positions[k], heights[k] = log_parabola_peak(
            betas, polyakov_susceptibility(resampled, n_s), points
        )
    return {"beta": beta, "height": height, "beta_boot": positions, "height_boot": heights}


def exponent_from_heights(sizes, heights, height_boot: np.ndarray) -> tuple[float, float]:
    """(gamma/nu, error) from chi_max ~ N_s^(gamma/nu): the least-squares slope of
    log chi_max against log N_s, its error the spread of the slopes of the bootstrap
    replicates (`height_boot`: size x replicate). NaN with fewer than two finite heights."""
    logn, h = np.log(np.asarray(sizes, float)), np.asarray(heights, float)
    ok = np.isfinite(h) & (h > 0)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    slope = float(np.polyfit(logn[ok], np.log(h[ok]), 1)[0])
    boot = np.asarray(height_boot, float)[ok]
    good = np.all(np.isfinite(boot) & (boot > 0), axis=0)
    slopes = [np.polyfit(logn[ok], np.log(boot[:, k]), 1)[0] for k in np.flatnonzero(good)]
    return slope, float(np.std(slopes, ddof=1)) if len(slopes) > 1 else float("nan")


# --- records --------------------------------------------------------------------------------


def extrapolated_headline(
    name: str, stage: str, ex: dict, sizes, n_t: int, what: str, **context
) -> dict:
    """The extrapolated beta_c: judged within SCALING_TOLERANCE of beta_c(N_t = 2) on at
    least MIN_SIZES sizes at N_t = 2, recorded otherwise."""
    judged = len(sizes) >= MIN_SIZES and n_t == 2
    return headline(
        name,
        ex["tc"],
        stage=stage,
        uncertainty=ex["tc_err"],
        ref=BETA_C_NT2_REF if judged else None,
        tolerance=SCALING_TOLERANCE if judged else None,
        tolerance_kind="absolute",
        description=(
            f"{what} at N_s = {list(sizes)}, extrapolated as beta(N_s) = beta_c + a N_s^(-1/nu) "
            f"(3D Ising nu); judged within {SCALING_TOLERANCE} of the infinite-volume beta_c "
            f"with at least {MIN_SIZES} sizes at N_t = 2"
        ),
        sizes=list(sizes),
        sizes_used=np.asarray(sizes)[ex["used"]].tolist(),
        N_t=n_t,
        slope=ex["slope"],
        chi2=ex["chi2"],
        dof=ex["dof"],
        **context,
    )


def _write_table(path, fields: list[str], rows: list[dict], comment: str) -> None:
    with atomic_path(path, suffix=".csv.tmp") as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
        fh.write(f"# {comment}\n")


def _common_n_t(values: dict) -> int:
    if len(set(values.values())) != 1:
        raise ValueError(f"SU(2) files of different N_t cannot be extrapolated together: {values}")
    return next(iter(values.values()))


def _check_size(attrs, n_s: int, path) -> None:
    if int(attrs["n_s"]) != n_s:
        raise ValueError(f"{path}: holds N_s = {attrs['n_s']}, expected N_s = {n_s}")


# --- the Monte Carlo's estimate --------------------------------------------------------------


def read_polyakov(path, n_s: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(betas, P[sample, beta], N_t) of one SU(2) file, checked to hold N_s = `n_s`."""
    with open_dataset(path, required=("polyakov_loop",)) as ds:
        _check_size(ds.attrs, n_s, path)
        return (
            ds["beta"].values,
            ds["polyakov_loop"].transpose("sample", "beta").values,
            int(ds.attrs["n_t"]),
        )


def peak_scaling(paths: dict, scaling: dict, seed: int, out_csv, out_headline) -> dict:
    """beta_c from the susceptibility peaks of the SU(2) files `paths` {N_s: path}, and
    gamma/nu from their heights; a table per N_s and the headline records (`scaling`: the
    config's su2.scaling block)."""
    sizes = sorted(int(n) for n in paths)
    nu, points, n_boot = scaling["nu"], scaling["peak_points"], scaling["bootstrap"]
    peaks, n_ts = {}, {}
    for n in sizes:
        betas, poly, n_ts[n] = read_polyakov(paths[n], n)
        peaks[n] = interpolated_susceptibility_peak(
            betas, poly, n, points, rng(seed, "su2", "scaling", n), n_boot
        )
    n_t = _common_n_t(n_ts)
    values = [peaks[n]["beta"] for n in sizes]
    ex = extrapolate_with_bootstrap(
        sizes, values, np.array([peaks[n]["beta_boot"] for n in sizes]), nu
    )
    ex["chi2"], ex["dof"] = extrapolation_chi2(sizes, values, ex, nu)
    heights = [peaks[n]["height"] for n in sizes]
    gamma_over_nu, gamma_over_nu_err = exponent_from_heights(
        sizes, heights, np.array([peaks[n]["height_boot"] for n in sizes])
    )
    rows = [
        {
            "n_s": n,
            "peak_beta": peaks[n]["beta"],
            "peak_beta_err": ex["tc_L_err"][i],
            "chi_max": peaks[n]["height"],
            "failed_resamples": int(np.sum(~np.isfinite(peaks[n]["beta_boot"]))),
        }
        for i, n in enumerate(sizes)
    ]
    _write_table(
        out_csv,
        list(rows[0]),
        rows,
        f"extrapolated beta_c = {ex['tc']:.5f} +- {ex['tc_err']:.5f}; slope a = {ex['slope']:.4f}; "
        f"nu = {nu}; chi2 = {ex['chi2']:.3g} ({ex['dof']} dof); gamma/nu = {gamma_over_nu:.4f} "
        f"+- {gamma_over_nu_err:.4f}",
    )
    ref_gnu = reference(GAMMA_OVER_NU_REF)
    records = [
        extrapolated_headline(
            "su2.beta_c_extrapolated",
            "su2",
            ex,
            sizes,
            n_t,
            "peak of the Polyakov-loop susceptibility (parabola through log chi; bootstrap error)",
            nu=nu,
            per_size=values,
            per_size_error=ex["tc_L_err"].tolist(),
        ),
        headline(
            "su2.scaling.gamma_over_nu",
            gamma_over_nu,
            stage="su2",
            uncertainty=gamma_over_nu_err,
            description=(
                "gamma/nu from the susceptibility peak heights, chi_max ~ N_s^(gamma/nu) "
                f"(recorded beside the 3D Ising value {ref_gnu.value}: corrections to scaling "
                "are large at these N_s)"
            ),
            reference_source=ref_gnu.citation,
            sizes=sizes,
            N_t=n_t,
            per_size=heights,
        ),
    ]
    write_headlines(out_headline, records, seed=seed)
    return {
        **ex,
        "peaks": peaks,
        "gamma_over_nu": gamma_over_nu,
        "gamma_over_nu_err": gamma_over_nu_err,
    }


# --- the classifier's estimate ----------------------------------------------------------------


def crossing_scaling(
    prediction_paths: dict, n_resamples: int, nu: float, seed: int, out_csv, out_headline
) -> dict:
    """beta_c from the P(deconfined) = 1/2 crossings of one classifier ensemble per N_s
    (`prediction_paths` {N_s: predictions.h5}), extrapolated; a table and the records."""
    stage = "su2_learning"
    sizes = sorted(int(n) for n in prediction_paths)
    estimates, n_ts = [], {}
    for n in sizes:
        with xr.open_dataset(prediction_paths[n], engine="h5netcdf") as ds:
            _check_size(ds.attrs, n, prediction_paths[n])
            n_ts[n] = int(ds.attrs["n_t"])
            betas, p = ds["beta"].values, ds["p_deconfined"].values
        estimates.append(
            ensemble_crossing(betas, p, rng(seed, stage, "beta_c", n), n_resamples, rising=True)
        )
    n_t = _common_n_t(n_ts)
    ex = extrapolate_ensemble(sizes, estimates, nu)
    rows = [
        {
            "n_s": n,
            "beta_c": est.value,
            "bootstrap_error": est.bootstrap_error,
            "ensemble_error": est.ensemble_error,
            "failed_resamples": est.failed_resamples,
        }
        for n, est in zip(sizes, estimates)
    ]
    _write_table(
        out_csv,
        list(rows[0]),
        rows,
        f"extrapolated beta_c = {ex['tc']:.5f} +- {ex['tc_err']:.5f} (bootstrap "
        f"{ex['bootstrap_error']:.5f}, ensemble {ex['ensemble_error']:.5f}); slope a = "
        f"{ex['slope']:.4f}; nu = {nu}; chi2 = {ex['chi2']:.3g} ({ex['dof']} dof); per-member "
        f"{[round(m, 5) for m in ex['per_member']]}",
    )
    record = extrapolated_headline(
        f"{stage}.beta_c_extrapolated",
        stage,
        ex,
        sizes,
        n_t,
        "P(deconfined) = 1/2 crossing of an su2_cnn ensemble trained per N_s (error: bootstrap "
        "over test samples + spread of the members' extrapolations)",
        nu=nu,
        per_size=[e.value for e in estimates],
        per_size_error=ex["tc_L_err"].tolist(),
        bootstrap_error=ex["bootstrap_error"],
        ensemble_error=ex["ensemble_error"],
        per_member=ex["per_member"],
    )
    write_headlines(out_headline, [record], seed=seed)
    return ex
