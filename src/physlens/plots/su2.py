"""Figures of the SU(2) learning stage (seaborn); inputs are the stage's files, not models."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from scipy import special

from physlens.io import open_dataset, read_json
from physlens.plots import save_figure, use_style
from physlens.references import reference
from physlens.su2 import BETA_C_NT2_REF


def strong_coupling_plaquette(beta) -> np.ndarray:
    """Leading order of the character expansion, <1/2 tr U_p> = I2(beta) / I1(beta) (+ O(u^5))."""
    beta = np.asarray(beta, float)
    return special.iv(2, beta) / special.iv(1, beta)


def _record(headline_json, name: str) -> dict:
    return next(r for r in read_json(headline_json)["records"] if r["name"] == name)


def plot_p_deconfined(predictions, headline_json, out) -> None:
    """P(deconfined | beta) (ensemble mean +- s.e.; members faint), the estimated beta_c with its
    error band, and the literature beta_c(N_t = 2) beside it."""
    use_style()
    rec = _record(headline_json, "su2_learning.beta_c")
    with xr.open_dataset(predictions, engine="h5netcdf") as ds:
        betas, p = ds["beta"].values, ds["p_deconfined"].values
        mean, sem, n_t = ds["p_mean"].values, ds["p_sem"].values, int(ds.attrs["n_t"])
        n_s = int(ds.attrs["n_s"])
    fig, ax = plt.subplots(figsize=(6, 4))
    for m, pm in enumerate(p):
        ax.plot(
            betas, np.nanmean(pm, axis=1), color="0.6", lw=0.7, label="members" if m == 0 else None
        )
    ax.errorbar(betas, mean, yerr=sem, marker="o", ms=3, lw=1.2, color="C0", label="ensemble mean")
    ax.axhline(0.5, color="grey", lw=0.8)
    if np.isfinite(rec["value"]):
        ax.axvspan(
            rec["value"] - (rec["uncertainty"] or 0),
            rec["value"] + (rec["uncertainty"] or 0),
            color="C0",
            alpha=0.2,
            lw=0,
        )
        ax.axvline(
            rec["value"],
            color="C0",
            ls=":",
            label=rf"crossing $\beta_c$ = {rec['value']:.3f}({1000 * (rec['uncertainty'] or 0):.0f})",
        )
    if n_t == 2:
        lit = reference(BETA_C_NT2_REF)
        ax.axvspan(
            lit.value - lit.uncertainty, lit.value + lit.uncertainty, color="k", alpha=0.2, lw=0
        )
        ax.axvline(
            lit.value,
            color="k",
            ls="--",
            lw=1.2,
            label=rf"literature $\beta_c$ = {lit.value:.3f} ($N_s\to\infty$)",
        )
    ax.set(
        xlabel=r"$\beta = 4/g^2$",
        ylabel=r"P(deconfined | $\beta$)",
        ylim=(-0.02, 1.02),
        title=rf"SU(2), ${n_s}^3\times{n_t}$",
    )
    ax.legend(frameon=False, fontsize=8)
    sns.despine(fig)
    save_figure(fig, out)


def plot_logit_vs_polyakov(predictions, out) -> None:
    """Ensemble-mean logit against P (left) and |P| (right), test samples, coloured by beta."""
    use_style()
    with xr.open_dataset(predictions, engine="h5netcdf") as ds:
        logit = np.nanmean(ds["logit"].values, axis=0)
        keep = np.isfinite(logit)
        df = pd.DataFrame(
            {
                "logit": logit[keep],
                "P": ds["polyakov_loop"].values[keep],
                "|P|": ds["abs_polyakov_loop"].values[keep],
                "beta": np.broadcast_to(ds["beta"].values[:, None], logit.shape)[keep],
            }
        )
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
    for ax, x in zip(axes, ("P", "|P|")):
        sns.scatterplot(
            data=df,
            x=x,
            y="logit",
            hue="beta",
            palette="viridis",
            s=10,
            lw=0,
            ax=ax,
            legend=ax is axes[1],
        )
        ax.set(xlabel=f"Polyakov loop {x}")
    axes[0].set(ylabel="network output (pre-sigmoid logit)")
    axes[1].legend(
        title=r"$\beta$", frameon=False, fontsize=7, title_fontsize=8, loc="best", ncols=2
    )
    sns.despine(fig)
    save_figure(fig, out)


def plot_plaquette(configs, out) -> None:
    """Monte Carlo <plaquette>(beta) (mean +- s.e.) against the strong-coupling curve I2/I1."""
    use_style()
    with open_dataset(configs, required=("plaquette",)) as ds:
        betas, plaq = ds["beta"].values, ds["plaquette"].values
        n_s, n_t = int(ds.attrs["n_s"]), int(ds.attrs["n_t"])
    fig, ax = plt.subplots(figsize=(5.5, 4))
    grid = np.linspace(0.0, betas.max() * 1.05, 200)
    ax.plot(
        grid,
        strong_coupling_plaquette(grid),
        color="k",
        lw=1,
        ls="--",
        label=r"strong coupling $I_2(\beta)/I_1(\beta)$",
    )
    ax.errorbar(
        betas,
        plaq.mean(axis=1),
        yerr=plaq.std(axis=1, ddof=1) / np.sqrt(plaq.shape[1]),
        fmt="o",
        ms=3,
        color="C0",
        label=rf"Monte Carlo ${n_s}^3\times{n_t}$",
    )
    if n_t == 2:
        beta_c = reference(BETA_C_NT2_REF).value
        ax.axvline(beta_c, color="grey", lw=0.8, ls=":", label=rf"$\beta_c(N_t=2)$ = {beta_c}")
    ax.set(xlabel=r"$\beta$", ylabel=r"$\langle \frac{1}{2}\,\mathrm{tr}\,U_p\rangle$")
    ax.legend(frameon=False, fontsize=8)
    sns.despine(fig)
    save_figure(fig, out)


def plot_beta_c_scaling(peaks_json, crossings_json, out) -> None:
    """beta(N_s) against N_s^(-1/nu): the susceptibility peaks and the classifier crossings
    with their fits beta_c + a N_s^(-1/nu), the extrapolated beta_c at 0, and the literature
    beta_c(N_t = 2)."""
    use_style()
    recs = [
        (_record(peaks_json, "su2.beta_c_extrapolated"), "susceptibility peak", "C1", "o"),
        (_record(crossings_json, "su2_learning.beta_c_extrapolated"), "classifier", "C0", "s"),
    ]
    fig, ax = plt.subplots(figsize=(7.5, 4))
    x_max = 0.0
    for rec, label, color, marker in recs:
        ctx = rec["context"]
        x = np.asarray(ctx["sizes"], float) ** (-1.0 / ctx["nu"])
        y = np.array([np.nan if v is None else v for v in ctx["per_size"]], float)
        err = np.array([0.0 if v is None else v for v in ctx["per_size_error"]], float)
        x_max = max(x_max, x.max())
        ax.errorbar(x, y, yerr=err, fmt=marker, color=color, ms=4, label=f"{label} at $N_s$")
        if rec["value"] is not None and ctx["slope"] is not None:
            xs = np.linspace(0, x.max() * 1.05, 50)
            ax.plot(xs, rec["value"] + ctx["slope"] * xs, color=color, lw=1)
            ax.errorbar(
                [0],
                [rec["value"]],
                yerr=[rec["uncertainty"] or 0.0],
                fmt=marker,
                color=color,
                mfc="white",
                label=rf"{label}: $\beta_c$ = {rec['value']:.4f} ± {rec['uncertainty'] or 0:.4f}",
            )
    if recs[0][0]["context"]["N_t"] == 2:
        lit = reference(BETA_C_NT2_REF)
        ax.axhspan(lit.value - lit.uncertainty, lit.value + lit.uncertainty, color="k", alpha=0.2)
        ax.axhline(lit.value, color="k", ls="--", lw=1, label=rf"literature {lit.value:.4f}")
    nu = recs[0][0]["context"]["nu"]
    ax.set(
        xlabel=rf"$N_s^{{-1/\nu}}$ ($\nu$ = {nu:g})",
        ylabel=r"pseudo-critical $\beta(N_s)$",
        xlim=(-0.03 * x_max, 1.08 * x_max),
    )
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    sns.despine(fig)
    save_figure(fig, out)
