"""Figures of the siamese / TNNR stage: latent vs invariants, regression coefficients,
TNNR predictions with uncertainty, the benchmark table. Inputs are the stage's files only
(no torch here: these run in the plotting environment)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from physlens.io import open_dataset
from physlens.plots import save_figure, use_style


def _report(path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def plot_latent(latent_path, report_path, out) -> None:
    """Bottleneck z against every candidate invariant (one panel each)."""
    use_style()
    rep = _report(report_path)
    ds = open_dataset(latent_path, required=("z", "invariant")).load()
    cands = [str(c) for c in ds["candidate"].values]
    fig, axes = plt.subplots(
        1, len(cands), figsize=(4.2 * len(cands), 3.6), squeeze=False, layout="constrained"
    )
    by_inv = {r["invariant"]: r for r in rep["per_invariant"]}
    for ax, cand in zip(axes[0], cands):
        ax.scatter(ds["invariant"].sel(candidate=cand), ds["z"], s=4, alpha=0.5, rasterized=True)
        rho = by_inv[cand]["spearman"]
        mark = " (learned)" if cand == rep["learned_invariant"] else ""
        ax.set_title(f"Spearman {rho:+.3f}{mark}", fontsize=9)
        ax.set_xlabel(cand.replace("**", "^").replace("*", "·"), fontsize=8)
    axes[0][0].set_ylabel("bottleneck z")
    fig.suptitle(f"{rep['dataset']}: test accuracy {rep['metrics']['test_accuracy']:.3f}")
    save_figure(fig, out)


def plot_coefficients(coef_path, report_path, out) -> None:
    """Lasso coefficients of the degree-2 fit, the invariant's monomials highlighted."""
    use_style()
    rep = _report(report_path)
    df = pd.read_csv(coef_path)
    learned = next(r for r in rep["per_invariant"] if r["invariant"] == rep["learned_invariant"])
    colors = np.where(df["in_invariant"], "tab:red", "tab:gray")
    fig, ax = plt.subplots(figsize=(max(5.0, 0.35 * len(df) + 1.5), 3.6), layout="constrained")
    ax.bar(np.arange(len(df)), df["coefficient"], color=colors)
    ax.set_xticks(
        np.arange(len(df)), [t.replace(" ", "·") for t in df["term"]], rotation=70, fontsize=8
    )
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("Lasso coefficient of g(z)")
    share = learned["weight_share"]
    share_txt = (
        f"weight share of invariant terms {share:.3f}"
        if share is not None
        else "invariant not a polynomial of this degree"
    )
    ax.set_title(
        f"{rep['dataset']}: red = terms of {rep['learned_invariant']}\n{share_txt}, "
        f"R² {rep['polynomial']['r2']:.3f} ({rep['polynomial']['inputs']})",
        fontsize=9,
    )
    save_figure(fig, out)


def _groups(path) -> list[str]:
    import h5py

    with h5py.File(path, "r") as fh:
        return list(fh.keys())


def plot_twin_predictions(pred_path, out) -> None:
    """Per task: TNNR and ensemble predictions vs truth with one-sigma error bars."""
    use_style()
    tasks = _groups(pred_path)
    fig, axes = plt.subplots(
        1, len(tasks), figsize=(4.4 * len(tasks), 4.0), squeeze=False, layout="constrained"
    )
    for ax, task in zip(axes[0], tasks):
        ds = xr.open_dataset(pred_path, engine="h5netcdf", group=task).load()
        y = ds["y"].values
        for method, color in (("ensemble", "tab:gray"), ("tnnr", "tab:blue")):
            ax.errorbar(
                y,
                ds["prediction"].sel(estimator=method).values,
                yerr=ds["sigma"].sel(estimator=method).values,
                fmt="o",
                ms=2,
                lw=0.5,
                alpha=0.6,
                color=color,
                label=method,
            )
        lo, hi = float(np.min(y)), float(np.max(y))
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_xlabel("true y")
        ax.set_ylabel("prediction ± σ")
        ax.set_title(task)
        ax.legend(fontsize=8)
    save_figure(fig, out)


def plot_benchmark_table(table_path, out) -> None:
    """RMSE per method and task (bars) and interval coverage against the nominal levels."""
    use_style()
    df = pd.read_csv(table_path)
    tasks = list(dict.fromkeys(df["task"]))
    fig, axes = plt.subplots(
        2, len(tasks), figsize=(5.0 * len(tasks), 6.5), squeeze=False, layout="constrained"
    )
    for k, task in enumerate(tasks):
        t = df[df["task"] == task]
        ax = axes[0][k]
        ax.bar(np.arange(len(t)), t["rmse"], color="tab:blue")
        ax.set_xticks(
            np.arange(len(t)),
            [f"{m}\n({n})" for m, n in zip(t["estimator"], t["n_labelled"])],
            rotation=45,
            fontsize=7,
        )
        ax.set_ylabel("test RMSE")
        ax.set_title(task)
        ax = axes[1][k]
        u = t.dropna(subset=["coverage68"])
        x = np.arange(len(u))
        for off, col, nominal, color in (
            (-0.2, "coverage68", 0.683, "tab:orange"),
            (0.2, "coverage95", 0.95, "tab:green"),
        ):
            ax.bar(x + off, u[col], width=0.4, color=color, label=f"{col} (nominal {nominal:.0%})")
            ax.axhline(nominal, color=color, ls="--", lw=0.8)
        ax.set_xticks(x, u["estimator"], rotation=45, fontsize=7)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("coverage (raw spread)")
        ax.legend(fontsize=7, loc="lower right")
    save_figure(fig, out)


def _records(headline_path, prefix: str) -> dict:
    return {r["name"]: r for r in _report(headline_path)["records"] if r["name"].startswith(prefix)}


def plot_formula_benchmark(table_path, headline_path, out) -> None:
    """Per physics-formula task: test RMSE of TNNR, the single network and the ensemble on
    every split (lines join one split's values; bars: mean ± standard error), and the rank
    correlation of each uncertainty estimate with the actual error."""
    use_style()
    df = pd.read_csv(table_path)
    tasks = list(dict.fromkeys(df["task"]))
    fig, axes = plt.subplots(
        2, len(tasks), figsize=(4.8 * len(tasks), 7.0), squeeze=False, layout="constrained"
    )
    estimators = ["tnnr", "single", "ensemble"]
    uncertainties = ["tnnr_spread", "loop_violation", "ensemble_spread"]
    for k, task in enumerate(tasks):
        recs = _records(headline_path, f"twin.{task}.")
        t = df[df["task"] == task]
        ax = axes[0][k]
        per_split = t.pivot(index="repeat", columns="estimator", values="rmse")[estimators]
        x = np.arange(len(estimators))
        for _, row in per_split.iterrows():
            ax.plot(x, row.to_numpy(), color="0.7", lw=0.7, marker="o", ms=3)
        means = [recs[f"twin.{task}.rmse_{e}"] for e in estimators]
        ax.errorbar(
            x,
            [r["value"] for r in means],
            yerr=[r["uncertainty"] or 0.0 for r in means],
            fmt="s",
            color="tab:blue",
            capsize=4,
            label="mean ± s.e.",
        )
        diff = recs[f"twin.{task}.rmse_diff_tnnr_single"]
        ax.set_xticks(x, ["TNNR", "single net", "ensemble"])
        ax.set_ylabel(f"test RMSE [{diff['unit']}]" if diff["unit"] else "test RMSE")
        ax.set_title(
            f"{task} ({diff['context']['n_points']} points, {len(per_split)} splits)\n"
            f"TNNR - single: {diff['value']:.3g} ± {diff['uncertainty'] or 0:.2g} "
            f"[{diff['status']}]",
            fontsize=9,
        )
        ax.legend(fontsize=7)
        ax = axes[1][k]
        rho = [recs[f"twin.{task}.spearman_{u}"] for u in uncertainties]
        cover = [recs[f"twin.{task}.coverage95_{u}_calibrated"]["value"] for u in uncertainties]
        ax.bar(
            np.arange(3),
            [r["value"] if r["value"] is not None else np.nan for r in rho],
            yerr=[r["uncertainty"] or 0.0 for r in rho],
            color="tab:orange",
            capsize=4,
        )
        for i, c in enumerate(cover):
            if c is not None:
                ax.text(i, 0.9, f"95%: {c:.2f}", ha="center", fontsize=7)
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_xticks(np.arange(3), ["TNNR spread", "loop violation", "ensemble spread"])
        ax.set_ylim(-1.0, 1.0)
        ax.set_ylabel("Spearman(uncertainty, |error|)")
        ax.set_title("rank correlation within splits; calibrated 95% coverage", fontsize=9)
    save_figure(fig, out)
