"""Figures for attributions, ablation and occlusion; each takes the xarray result and a path."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from physlens.plots import save_figure, use_style  # noqa: E402


def _ordered_and_disordered(ds, samples):
    """Default samples: the coldest and the hottest configuration (or the first and last)."""
    if samples is not None:
        return list(samples)
    if "temperature" in ds.coords:
        T = ds["temperature"].values
        return [int(np.argmin(T)), int(np.argmax(T))]
    return [0, ds.sizes["sample"] - 1]


def _title(ds, i) -> str:
    if "temperature" in ds.coords:
        return f"T = {float(ds['temperature'][i]):.3g}"
    return f"sample {i}"


def plot_relevance_maps(ds, path, explainers: Sequence[str] | None = None, samples=None) -> None:
    """Configurations (left) beside their attribution maps, one row per sample.

    `ds` is :func:`physlens.interpret.attributions.attribution_dataset`'s result; by default
    the coldest (ordered) and hottest (disordered) samples and every explainer are shown.
    Maps use a diverging scale centred on 0, shared along each row.
    """
    use_style()
    explainers = list(ds["explainer"].values) if explainers is None else list(explainers)
    rows = _ordered_and_disordered(ds, samples)
    fig, axes = plt.subplots(
        len(rows),
        1 + len(explainers),
        figsize=(2.4 * (1 + len(explainers)), 2.4 * len(rows)),
        squeeze=False,
    )
    for r, i in enumerate(rows):
        ax = axes[r, 0]
        ax.imshow(ds["input"].isel(sample=i).values, cmap="gray", vmin=-1, vmax=1)
        ax.set_title(f"spins, {_title(ds, i)}", fontsize=8)
        maps = [ds["attribution"].sel(explainer=e).isel(sample=i).values for e in explainers]
        lim = max(float(np.nanmax(np.abs(m))) for m in maps) or 1.0
        for c, (e, m) in enumerate(zip(explainers, maps), start=1):
            im = axes[r, c].imshow(m, cmap="RdBu_r", vmin=-lim, vmax=lim)
            axes[r, c].set_title(str(e), fontsize=8)
        fig.colorbar(im, ax=axes[r, 1:].tolist(), shrink=0.8, label="relevance")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    save_figure(fig, path)


def plot_ablation(ds, path) -> None:
    """Heat map of the loss change when each unit is silenced (rows: extra dims, e.g. models)."""
    use_style()
    delta = ds["delta_loss"]
    table = delta.values[None, :] if delta.ndim == 1 else delta.transpose(..., "unit").values
    ylabels = (
        [ds.attrs.get("layer", "")]
        if delta.ndim == 1
        else [str(v) for v in delta[delta.dims[0]].values]
    )
    fig, ax = plt.subplots(
        figsize=(max(3.0, 0.6 * table.shape[1] + 1.5), 0.6 * table.shape[0] + 1.2)
    )
    lim = float(np.nanmax(np.abs(table))) or 1.0
    sns.heatmap(
        table,
        ax=ax,
        cmap="RdBu_r",
        vmin=-lim,
        vmax=lim,
        annot=table.shape[1] <= 16,
        fmt=".3g",
        xticklabels=list(ds["unit"].values),
        yticklabels=ylabels,
        cbar_kws={"label": "Δ loss"},
    )
    ax.set_xlabel("ablated unit")
    ax.set_title(ds.attrs.get("algorithm", "unit ablation"), fontsize=8)
    save_figure(fig, path)


def plot_occlusion(ds, path, samples=None) -> None:
    """Occlusion maps (output change when each patch is masked) beside the configurations,
    plus the map averaged over all samples."""
    use_style()
    rows = _ordered_and_disordered(ds, samples)
    fig, axes = plt.subplots(
        1, 2 * len(rows) + 1, figsize=(2.4 * (2 * len(rows) + 1), 2.6), squeeze=False
    )
    occ = ds["occlusion"]
    lim = float(np.nanmax(np.abs(occ.values))) or 1.0
    for k, i in enumerate(rows):
        axes[0, 2 * k].imshow(ds["input"].isel(sample=i).values, cmap="gray", vmin=-1, vmax=1)
        axes[0, 2 * k].set_title(f"spins, {_title(ds, i)}", fontsize=8)
        axes[0, 2 * k + 1].imshow(occ.isel(sample=i).values, cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[0, 2 * k + 1].set_title("occlusion", fontsize=8)
    im = axes[0, -1].imshow(occ.mean("sample").values, cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[0, -1].set_title("mean over samples", fontsize=8)
    fig.colorbar(im, ax=axes[0, -1], shrink=0.8, label="Δ output")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    save_figure(fig, path)
