"""Figures of the supervised stage (seaborn); inputs are the stage's files, not torch models."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402
from scipy.special import expit  # noqa: E402

from physlens.config import TC_EXACT  # noqa: E402
from physlens.plots import save_figure, use_style  # noqa: E402


def _read_tc(tc_csv) -> pd.DataFrame:
    return pd.read_csv(tc_csv, comment="#")


def plot_p_ordered(prediction_paths, tc_csv, out) -> None:
    """P(ordered) vs T per L (mean +- s.e. over test samples), Tc(L) and Onsager's Tc marked."""
    use_style()
    tcs = _read_tc(tc_csv).set_index("L")
    fig, ax = plt.subplots(figsize=(6, 4))
    palette = sns.color_palette("viridis", len(prediction_paths))
    for color, path in zip(palette, prediction_paths):
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            L, T = int(ds.attrs["L"]), ds["temperature"].values
            ax.errorbar(
                T,
                ds["p_mean"].values,
                yerr=ds["p_sem"].values,
                marker="o",
                ms=3,
                lw=1,
                color=color,
                label=f"L = {L}",
            )
            if L in tcs.index:
                ax.axvline(tcs.loc[L, "tc"], color=color, lw=0.8, ls=":")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.axvline(TC_EXACT, color="k", lw=1.2, ls="--", label=f"exact $T_c$ = {TC_EXACT:.4f}")
    ax.set(xlabel="temperature $T$", ylabel="P(ordered | T)", ylim=(-0.02, 1.02))
    ax.legend(frameon=False, fontsize=8)
    sns.despine(fig)
    save_figure(fig, out)


def plot_tc(tc_csv, headline_json, out, nu: float = 1.0) -> None:
    """Tc(L) vs L^(-1/nu) with the weighted fit extrapolated to L -> infinity."""
    use_style()
    df = _read_tc(tc_csv)
    rec = next(
        r
        for r in json.load(open(headline_json))["records"]
        if r["name"] == "supervised.tc_extrapolated"
    )
    tc, err, slope = rec["value"], rec["uncertainty"], rec["context"]["slope"]
    x = df["L"].to_numpy(float) ** (-1.0 / nu)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.errorbar(
        x, df["tc"], yerr=df["tc_err"], fmt="o", color="C0", label="$T_c(L)$: P(ordered) = 1/2"
    )
    if tc is not None and slope is not None:
        xs = np.linspace(0, x.max() * 1.05, 50)
        label = (
            f"fit: $T_c$ = {tc:.4f} ± {err:.4f}" if err is not None else f"fit: $T_c$ = {tc:.4f}"
        )
        ax.plot(xs, tc + slope * xs, color="C0", lw=1, label=label)
        ax.errorbar([0], [tc], yerr=[err or 0.0], fmt="s", color="C0")
    else:  # too few sizes with a crossing of 1/2 (tiny configs): no extrapolation to draw
        ax.text(0.05, 0.05, "no extrapolation: too few crossings", transform=ax.transAxes)
    ax.axhline(TC_EXACT, color="k", ls="--", lw=1, label=f"Onsager {TC_EXACT:.4f}")
    ax.set(xlabel=f"$L^{{-1/\\nu}}$ ($\\nu$ = {nu:g})", ylabel="$T_c(L)$")
    ax.legend(frameon=False, fontsize=8)
    sns.despine(fig)
    save_figure(fig, out)


def plot_losses(loss_csv, out) -> None:
    """Train and validation loss per receptive field (log scale), ln 2 marked."""
    use_style()
    df = pd.read_csv(loss_csv)
    long = df.melt(
        id_vars="receptive_field",
        value_vars=["train_loss", "val_loss"],
        var_name="set",
        value_name="loss",
    )
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.barplot(data=long, x="receptive_field", y="loss", hue="set", ax=ax)
    paper = df.dropna(subset=["paper_val_loss"])
    ax.scatter(
        paper["receptive_field"],
        paper["paper_val_loss"],
        marker="*",
        s=80,
        color="k",
        zorder=3,
        label="paper (val)",
    )
    ax.axhline(np.log(2), color="grey", ls="--", lw=1, label="ln 2")
    ax.set(yscale="log", xlabel="receptive field", ylabel="cross-entropy loss (nats)")
    ax.legend(frameon=False, fontsize=8)
    sns.despine(fig)
    save_figure(fig, out)


def plot_decision(outputs_h5, fits_csv, out) -> None:
    """Network output vs |M| and vs energy per site for each probe, with the fitted sigmoids."""
    use_style()
    fits = pd.read_csv(fits_csv)
    with xr.open_dataset(outputs_h5, engine="h5netcdf") as ds:
        ds = ds.load()
    probes = [p for p in ds["probe"].values.tolist() if p != "constant"]
    qs = [("abs_magnetization", "|M| per site"), ("energy", "energy per site")]
    fig, axes = plt.subplots(
        len(probes), 2, figsize=(8, 2.4 * len(probes)), squeeze=False, sharey=True
    )
    for i, probe in enumerate(probes):
        f = ds["output"].sel(probe=probe).values.ravel()
        mask = np.isfinite(f)
        temps = np.broadcast_to(ds["temperature"].values[:, None], ds["energy"].shape).ravel()[mask]
        for j, (q, label) in enumerate(qs):
            ax = axes[i, j]
            qv = ds[q].values.ravel()[mask]
            sc = ax.scatter(qv, f[mask], c=temps, s=3, cmap="coolwarm", rasterized=True)
            row = fits[(fits.receptive_field == probe) & (fits.observable == q)].iloc[0]
            xs = np.linspace(qv.min(), qv.max(), 200)
            ax.plot(xs, expit(row.w * xs + row.b), color="k", lw=1)
            ax.set_title(f"{probe}: $R^2$ = {row.r2:.3f}", fontsize=9)
            ax.set(xlabel=label, ylabel="network output" if j == 0 else "")
    fig.subplots_adjust(hspace=0.55, wspace=0.12)
    fig.colorbar(sc, ax=axes, label="temperature", shrink=0.5)
    sns.despine(fig)
    save_figure(fig, out)
