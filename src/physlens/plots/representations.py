"""Figures of the representations stage: hidden-layer embeddings, CKA/SVCCA heat maps,
activation maximisers beside their top-k dataset examples, and the BIC parsimony table.
Each takes the stage's result (xarray Dataset or pandas table) and a path."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr
from matplotlib.colors import ListedColormap

from physlens.config import TC_EXACT
from physlens.io import load_dataset
from physlens.plots import save_figure, use_style

METHOD_LABELS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
OBS_LABELS = {
    "temperature": "$T$",
    "magnetization": "$M/N$",
    "abs_magnetization": "$|M|/N$",
    "magnetization_squared": "$(M/N)^2$",
    "energy": "$E/N$",
    "nn_correlation": "nn correlation",
    "nnn_correlation": "nnn correlation",
    "domain_wall_density": "domain-wall density",
}
MEASURE_LABELS = {"linear_cka": "linear CKA", "rbf_cka": "RBF CKA", "svcca": "SVCCA"}


def plot_embeddings(ds: xr.Dataset, path) -> None:
    """One row per (hidden layer, method), one column per colouring: temperature first, then
    the candidate observables."""
    use_style("paper")
    colours = ["temperature"] + [c for c in ds.attrs["colour_by"].split(",") if c]
    rows = [(layer, m) for layer in ds.layer.values for m in ds.embedding_method.values]
    fig, axes = plt.subplots(
        len(rows), len(colours), figsize=(2.9 * len(colours), 2.6 * len(rows)), squeeze=False
    )
    T = ds.temperature.values
    for r, (layer, method) in enumerate(rows):
        xy = ds.embedding.sel(layer=layer, embedding_method=method).values
        for c, name in enumerate(colours):
            ax = axes[r, c]
            v = T if name == "temperature" else ds[name].values
            kw = (
                dict(cmap="coolwarm", vmin=T.min(), vmax=T.max())
                if name == "temperature"
                else dict(cmap="viridis")
            )
            if name == "magnetization":
                lim = float(np.nanmax(np.abs(v))) or 1.0
                kw = dict(cmap="PuOr", vmin=-lim, vmax=lim)
            sc = ax.scatter(
                xy[:, 0], xy[:, 1], c=v, s=5, alpha=0.8, linewidths=0, rasterized=True, **kw
            )
            cb = fig.colorbar(sc, ax=ax, fraction=0.05, pad=0.02)
            if name == "temperature":
                cb.ax.axhline(TC_EXACT, color="k", lw=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"colour: {OBS_LABELS.get(name, name)}", fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{layer}\n{METHOD_LABELS.get(method, method)}", fontsize=9)
    ratio = ds.pca_variance_ratio.isel(layer=-1, pc=slice(0, 2)).values
    fig.suptitle(
        f"{ds.attrs.get('model', '')}: hidden activations ({ds.attrs.get('layer_view', '')}) of "
        f"{ds.sizes['sample']} held-out configurations; last layer PC1/PC2 variance "
        f"{ratio[0]:.2f}/{ratio[1]:.2f} (black line in the T colour bar: Tc)",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, path)


def _heatmap(ax, S, labels, title):
    n = len(labels)
    if n == 0:
        ax.set_visible(False)
        return
    # colour range from the smallest value (in steps of 0.05) to 1: similarities of trained
    # nets are often all above 0.9, and a fixed 0-1 scale would show one flat colour
    lo = float(np.nanmin(S)) if np.isfinite(S).any() else 0.0
    vmin = min(0.95, max(0.0, np.floor(lo * 20) / 20))
    sns.heatmap(
        S,
        ax=ax,
        vmin=vmin,
        vmax=1,
        cmap="mako",
        square=True,
        cbar=True,
        annot=n <= 8,
        fmt=".3f",
        annot_kws={"fontsize": 7},
        xticklabels=labels,
        yticklabels=labels,
        cbar_kws={"shrink": 0.7},
    )
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)


def plot_similarity(ds: xr.Dataset, path) -> None:
    """Row 1: the probing nets' hidden layers; row 2: every (member, layer) of the phase
    classifier ensemble; one column per measure."""
    use_style("paper")
    measures = list(ds.measure.values)
    n_rep = ds.sizes["rep_a"]
    size = max(3.4, 0.28 * n_rep + 1.5)
    fig, axes = plt.subplots(
        2, len(measures), figsize=(size * len(measures), size * 2), squeeze=False
    )
    probes = [p.removeprefix("probe_") for p in ds.probe_a.values]
    reps = [
        f"{m.removeprefix('classifier_')}:{layer}"
        for m, layer in zip(ds.member_a.values, ds.layer_a.values)
    ]
    for k, m in enumerate(measures):
        name = MEASURE_LABELS.get(m, m)
        _heatmap(
            axes[0, k],
            ds.probes.sel(measure=m).values,
            probes,
            f"{name}: probing nets (hidden layer)",
        )
        match = ", ".join(
            f"{layer} {v:.2f}"
            for layer, v in zip(ds.layer.values, ds.cross_seed_matching.sel(measure=m).values)
        )
        _heatmap(
            axes[1, k],
            ds.members.sel(measure=m).values,
            reps,
            f"{name}: classifier seeds x layers\ncross-seed mean, same layer: {match}",
        )
    fig.suptitle(
        f"representation similarity ({ds.attrs.get('layer_view', '')} activations, "
        f"{int(ds.attrs.get('n_samples_probes', 0))} / {int(ds.attrs.get('n_samples_members', 0))} held-out "
        "configurations)",
        fontsize=10,
    )
    fig.tight_layout()
    save_figure(fig, path)


SPINS = ListedColormap(["#d9d9d9", "#252525"])  # -1 light grey, +1 black


def _lattice(ax, config, title):
    ax.imshow(config, cmap=SPINS, vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=7)


def _obs_text(o) -> str:
    return (
        f"|M| {float(o.sel(observable='abs_magnetization')):.2f}, E/N {float(o.sel(observable='energy')):.2f}\n"
        f"Ex {float(o.sel(observable='bond_energy_x')):.2f}, Ey {float(o.sel(observable='bond_energy_y')):.2f}"
    )


def plot_maximisation(ds: xr.Dataset, path) -> None:
    """One row per output ('ordered', 'disordered'): the maximising lattice, then the top-k
    held-out configurations; observables in each title."""
    use_style("paper")
    k = ds.sizes["rank"]
    outs = list(ds.output.values)
    fig, axes = plt.subplots(
        len(outs), 1 + k, figsize=(2.0 * (1 + k), 3.0 * len(outs)), squeeze=False
    )
    for r, out in enumerate(outs):
        _lattice(
            axes[r, 0],
            ds.maximiser.sel(output=out).values,
            f"maximiser ({out})\nlogit {float(ds.activation.sel(output=out)):.3g}\n"
            + _obs_text(ds.maximiser_observables.sel(output=out)),
        )
        for j in range(k):
            sel = dict(output=out, rank=j + 1)
            _lattice(
                axes[r, 1 + j],
                ds.topk_config.sel(**sel).values,
                f"top {j + 1}: T {float(ds.topk_temperature.sel(**sel)):.3g}\nlogit "
                f"{float(ds.topk_activation.sel(**sel)):.3g}\n"
                + _obs_text(ds.topk_observables.sel(**sel)),
            )
        for spine in axes[r, 0].spines.values():
            spine.set_edgecolor("C3")
            spine.set_linewidth(2)
    fig.suptitle(
        f"{ds.attrs.get('model', '')}: what the decision neuron wants (black +1, grey -1); "
        f"'disordered' = the logit minimised",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, path)


def plot_parsimony(table, path) -> None:
    """Per model: dBIC of every candidate explanation (symlog), Schwarz weight annotated."""
    use_style("paper")
    models = list(dict.fromkeys(table["model"]))
    heights = [max(1.6, 0.35 * (table["model"] == m).sum() + 0.8) for m in models]
    fig, axes = plt.subplots(
        len(models),
        1,
        figsize=(7.0, sum(heights)),
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    for ax, m in zip(axes[:, 0], models):
        t = table[table["model"] == m].sort_values("bic")
        y = np.arange(len(t))
        colours = ["C2" if kind == "formula" else "C0" for kind in t["kind"]]
        ax.barh(y, t["delta_bic"] + 1.0, color=colours)
        ax.set_xscale("log")
        ax.set_yticks(
            y, [f"{c} (k={k})" for c, k in zip(t["candidate"], t["n_params"])], fontsize=7
        )
        ax.invert_yaxis()
        for yi, (d, w, r2) in enumerate(zip(t["delta_bic"], t["weight"], t["r2"])):
            ax.text(d + 1.0, yi, f" w={w:.2g}, R²={r2:.3f}", va="center", fontsize=7)
        ax.set_xlim(0.5, float((t["delta_bic"] + 1.0).max()) * 300)
        ax.set_title(f"{m}: preferred {t['candidate'].iloc[0]}", fontsize=9)
        ax.set_xlabel("ΔBIC + 1 (log scale; 0 = preferred)", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def read_parsimony(path):
    """The parsimony table (CSV with '#' provenance lines)."""
    import pandas as pd

    return pd.read_csv(path, comment="#", keep_default_na=False, na_values=[""])


# --- the plot rule (plot_representations): result files in, figure files out --------------


def draw_figures(inputs, outputs) -> None:
    """Every figure of the stage: `inputs` and `outputs` have the fields embeddings and
    maximisation (lists, one file per model, in the same order), similarity and parsimony."""
    for kind, plot in (("embeddings", plot_embeddings), ("maximisation", plot_maximisation)):
        for i, o in zip(list(getattr(inputs, kind)), list(getattr(outputs, kind)), strict=True):
            plot(load_dataset(i), o)
    plot_similarity(load_dataset(inputs.similarity), outputs.similarity)
    plot_parsimony(read_parsimony(inputs.parsimony), outputs.parsimony)
