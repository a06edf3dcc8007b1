"""Figures of the unsupervised stage (seaborn); inputs are the stage's HDF5 files."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr

from physlens.config import TC_EXACT
from physlens.io import load_dataset
from physlens.plots import save_figure, use_style

MAX_POINTS = 3000  # per scatter panel: enough to show the clusters, small PNGs


def _label(ds: xr.Dataset) -> str:
    kind = "VAE" if int(ds.attrs["variational"]) else "AE"
    return f"{kind}, latent dim {int(ds.attrs['latent_dim'])}"


def _subsample(n: int, k: int = MAX_POINTS) -> np.ndarray:
    """Evenly spaced indices (deterministic: no random stream needed for a picture)."""
    return np.unique(np.linspace(0, n - 1, min(n, k)).astype(int))


def _panels(n: int, width: float = 4.0, height: float = 3.4):
    cols = min(n, 2)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def plot_latent_scatter(latent_paths, out) -> None:
    """Latent codes coloured by temperature: code vs M for a 1-d latent, z1 vs z2 otherwise."""
    use_style()
    fig, axes = _panels(len(latent_paths))
    for ax, path in zip(axes, latent_paths):
        ds = load_dataset(path)
        T = np.broadcast_to(ds["temperature"].values[:, None], ds["magnetization"].shape).ravel()
        code = ds["code"].values.reshape(len(T), -1)
        idx = _subsample(len(T))
        if code.shape[1] == 1:
            x, y, xl, yl = (
                ds["magnetization"].values.ravel(),
                code[:, 0],
                "magnetisation $M/N$",
                "latent $z$",
            )
        else:
            x, y, xl, yl = code[:, 0], code[:, 1], "latent $z_1$", "latent $z_2$"
        sc = ax.scatter(
            x[idx],
            y[idx],
            c=T[idx],
            cmap="coolwarm",
            s=4,
            alpha=0.7,
            vmin=T.min(),
            vmax=T.max(),
            rasterized=True,
        )
        ax.set(
            xlabel=xl,
            ylabel=yl,
            title=f"{_label(ds)}\nsilhouette {float(ds.attrs['silhouette']):.2f}",
        )
        fig.colorbar(sc, ax=ax, label="$T$")
    sns.despine(fig)
    fig.tight_layout()
    save_figure(fig, out)


def plot_latent_vs_temperature(latent_paths, out) -> None:
    """Mean |latent parameter| (scaled to its maximum), its spread, and the reconstruction
    loss against T; each model's Tc estimates and the exact Tc marked."""
    use_style()
    fig, (ax_l, ax_s, ax_r) = plt.subplots(1, 3, figsize=(13, 3.8))
    palette = sns.color_palette("colorblind", len(latent_paths))
    for color, path in zip(palette, latent_paths):
        ds = load_dataset(path)
        T, lab = ds["temperature"].values, _label(ds)
        scale = float(ds["mean_abs_latent"].max()) or 1.0
        ax_l.errorbar(
            T,
            ds["mean_abs_latent"] / scale,
            yerr=ds["mean_abs_latent_sem"] / scale,
            marker="o",
            ms=3,
            lw=1,
            color=color,
            label=lab,
        )
        ax_l.axvline(float(ds.attrs["tc_latent"]), color=color, ls=":", lw=1)
        ax_s.plot(
            T,
            ds["latent_spread"] / float(ds["latent_spread"].max() or 1.0),
            marker="o",
            ms=3,
            lw=1,
            color=color,
            label=lab,
        )
        ax_r.errorbar(
            T,
            ds["mean_loss"],
            yerr=ds["mean_loss_sem"],
            marker="o",
            ms=3,
            lw=1,
            color=color,
            label=lab,
        )
        ax_r.axvline(float(ds.attrs["tc_loss"]), color=color, ls=":", lw=1)
    ax_r.axhline(np.log(2), color="grey", lw=0.8, label="ln 2 (no information)")
    for ax in (ax_l, ax_s, ax_r):
        ax.axvline(
            TC_EXACT,
            color="k",
            ls="--",
            lw=1.2,
            label=f"exact $T_c$ = {TC_EXACT:.3f}" if ax is ax_l else None,
        )
        ax.set_xlabel("temperature $T$")
    ax_l.set_ylabel(r"$\langle |u| \rangle$ / max")
    ax_s.set_ylabel("std of $|u|$ / max")
    ax_r.set_ylabel("reconstruction loss (nats/site)")
    ax_l.legend(frameon=False, fontsize=7)
    ax_r.legend(frameon=False, fontsize=7, loc="lower right")
    sns.despine(fig)
    fig.tight_layout()
    save_figure(fig, out)


def plot_pca_components(pca_path, out, n_show: int = 4) -> None:
    """The leading principal components as L x L images and the explained-variance spectrum."""
    use_style()
    ds = load_dataset(pca_path)
    k = min(n_show, ds.sizes["component"])
    fig = plt.figure(figsize=(2.8 * k + 4, 3))
    # images, colour bar, spacer (room for the bar chart's axis label), bar chart
    grid = fig.add_gridspec(1, k + 3, width_ratios=[1] * k + [0.06, 0.5, 1.6], wspace=0.3)
    comps = ds["components"].values
    vmax = float(np.abs(comps[:k]).max())
    for i in range(k):
        ax = fig.add_subplot(grid[0, i])
        im = ax.imshow(comps[i], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set(
            title=f"PC{i + 1}: {100 * float(ds['explained_variance_ratio'][i]):.1f}%",
            xticks=[],
            yticks=[],
        )
    fig.colorbar(im, cax=fig.add_subplot(grid[0, k]), label="weight")
    ax = fig.add_subplot(grid[0, k + 2])
    ax.bar(ds["component"].values, ds["explained_variance_ratio"].values, color="C0")
    ax.set(xlabel="component", ylabel="explained variance ratio", yscale="log")
    sns.despine(ax=ax)
    save_figure(fig, out)


def plot_pca_magnetization(pca_path, out) -> None:
    """First principal projection / sqrt(N) against M, coloured by T (a line of slope ~1 when
    PC1 is the uniform mode), and the mean |projection| vs T with Tc marked."""
    use_style()
    ds = load_dataset(pca_path)
    n = ds.sizes["y"] * ds.sizes["x"]
    T = np.broadcast_to(ds["temperature"].values[:, None], ds["magnetization"].shape).ravel()
    m = ds["magnetization"].values.ravel()
    p1 = ds["projection"].isel(component=0).values.ravel() / np.sqrt(n)
    idx = _subsample(len(m))
    fig, (ax, ax_t) = plt.subplots(1, 2, figsize=(9, 3.8))
    sc = ax.scatter(m[idx], p1[idx], c=T[idx], cmap="coolwarm", s=4, alpha=0.7, rasterized=True)
    ax.plot([-1, 1], [-1, 1], color="k", lw=0.8, ls="--", label="$p_1/\\sqrt{N} = M/N$")
    ax.set(
        xlabel="magnetisation $M/N$",
        ylabel=r"$p_1 / \sqrt{N}$",
        title=f"Pearson r = {float(ds.attrs['pearson_pc1_magnetization']):.4f}",
    )
    ax.legend(frameon=False, fontsize=8)
    fig.colorbar(sc, ax=ax, label="$T$")
    Tg = ds["temperature"].values
    ax_t.errorbar(
        Tg,
        ds["mean_abs_pc1"],
        yerr=ds["mean_abs_pc1_sem"],
        marker="o",
        ms=3,
        lw=1,
        color="C0",
        label=r"$\langle |p_1| \rangle / \sqrt{N}$",
    )
    ax_t.axvline(
        float(ds.attrs["tc"]),
        color="C0",
        ls=":",
        lw=1,
        label=f"steepest change {float(ds.attrs['tc']):.3f}",
    )
    ax_t.axvline(TC_EXACT, color="k", ls="--", lw=1.2, label=f"exact $T_c$ = {TC_EXACT:.3f}")
    ax_t.set(xlabel="temperature $T$", ylabel=r"$\langle |p_1| \rangle / \sqrt{N}$")
    ax_t.legend(frameon=False, fontsize=8)
    sns.despine(fig)
    fig.tight_layout()
    save_figure(fig, out)
