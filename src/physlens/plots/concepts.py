"""Figures of the concepts stage: counterfactual pairs, concept-knob sweeps, and the relevance
maps of the confounder experiment. Each takes the stage's xarray results and a path."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from physlens.io import load_dataset  # noqa: E402
from physlens.plots import save_figure, use_style  # noqa: E402

SHORT = {
    "lrp": "LRP",
    "integrated_gradients": "IG",
    "saliency": "saliency",
    "smoothgrad": "SmoothGrad",
    "deeplift": "DeepLIFT",
}
CONCEPT_LABELS = {
    "abs_magnetization": "|M| per site",
    "energy": "energy per site",
    "temperature": "temperature T",
}


def _image(ax, a, vmax=1.0, cmap="RdBu_r", title=""):
    im = ax.imshow(a, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=7)
    return im


def _pick(ds, n: int) -> list[int]:
    """Up to n flipped cases of each direction (disordered -> ordered first)."""
    rows = []
    for t in (1, 0):
        cand = np.flatnonzero((ds["target"].values == t) & (ds["flipped"].values == 1))
        if len(cand) == 0:
            cand = np.flatnonzero(ds["target"].values == t)
        rows += (
            [int(i) for i in cand[np.linspace(0, len(cand) - 1, min(n, len(cand))).astype(int)]]
            if len(cand)
            else []
        )
    return rows


def plot_counterfactual_pairs(ds, path, n_per_direction: int = 3) -> None:
    """Per row one counterfactual: the starting configuration, its decoded version (expected
    spins), the decoded counterfactual, and their difference, with P(ordered) and the
    observables of the decoded configurations in the titles."""
    use_style()
    rows = _pick(ds, n_per_direction)
    fig, axes = plt.subplots(len(rows), 4, figsize=(9.2, 2.45 * len(rows)), squeeze=False)
    for r, i in enumerate(rows):
        g = lambda k: float(ds[k].values[i])  # noqa: E731
        goal = "ordered" if int(ds["target"][i]) == 1 else "disordered"
        _image(
            axes[r, 0],
            ds["configuration"].values[i],
            title=f"sample, T = {float(ds['temperature'][i]):.3g}\nP(ordered) = {g('p_data'):.2f}",
        )
        _image(
            axes[r, 1],
            ds["decoded_before"].values[i],
            title=f"decoded start: P = {g('p_before'):.2f}\n|M| = {g('abs_magnetization_before'):.2f}, "
            f"E = {g('energy_before'):.2f}, T̂ = {g('temperature_estimate_before'):.2f}",
        )
        _image(
            axes[r, 2],
            ds["decoded_after"].values[i],
            title=f"counterfactual ({goal}): P = {g('p_after'):.2f}\n|M| = {g('abs_magnetization_after'):.2f}, "
            f"E = {g('energy_after'):.2f}, T̂ = {g('temperature_estimate_after'):.2f}",
        )
        diff = ds["decoded_after"].values[i] - ds["decoded_before"].values[i]
        im = _image(
            axes[r, 3],
            diff,
            vmax=max(float(np.abs(diff).max()), 1e-6),
            cmap="PuOr_r",
            title=f"difference: Δ|M| = {g('abs_magnetization_after') - g('abs_magnetization_before'):+.2f}\n"
            f"ΔE = {g('energy_after') - g('energy_before'):+.2f}, "
            f"ΔT̂ = {g('temperature_estimate_after') - g('temperature_estimate_before'):+.2f}",
        )
        fig.colorbar(im, ax=axes[r, 3], fraction=0.046, pad=0.04)
    fig.suptitle(
        f"{ds.attrs.get('classifier', '')}: smallest latent moves of {ds.attrs.get('autoencoder', '')} "
        "that flip the decision (spins / expected spins: red +1, blue -1)",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, path)


def plot_knob_sweeps(knobs, path) -> None:
    """Top: P(ordered) as each concept knob is turned; bottom: |M| and energy of the decoded
    configurations along the same knob (they move together when the knobs are collinear)."""
    use_style()
    concepts = [str(c) for c in knobs["concept"].values]
    fig, axes = plt.subplots(
        2, len(concepts), figsize=(3.6 * len(concepts), 5.6), squeeze=False, sharey="row"
    )
    colours = {1: "C0", 0: "C3"}
    for j, c in enumerate(concepts):
        k = knobs.sel(concept=c)
        for s in range(knobs.sizes["start"]):
            lab = int(k["label"].values[s])
            kw = dict(color=colours.get(lab, "0.5"), alpha=0.7, lw=1.2)
            axes[0, j].plot(k["knob_value"].values[s], k["p_ordered"].values[s], **kw)
            axes[1, j].plot(k["knob_value"].values[s], k["abs_magnetization"].values[s], **kw)
            axes[1, j].plot(k["knob_value"].values[s], k["energy"].values[s], ls="--", **kw)
        axes[0, j].axhline(0.5, color="k", lw=0.6, ls=":")
        axes[0, j].set_title(
            f"{CONCEPT_LABELS.get(c, c)} knob: median response "
            f"{float(np.median(k['response'].values)):+.2f}",
            fontsize=9,
        )
        axes[1, j].set_xlabel(f"knob setting: {CONCEPT_LABELS.get(c, c)} (latent regression)")
    axes[0, 0].set_ylabel("P(ordered), decoded")
    axes[1, 0].set_ylabel("decoded |M| (solid), E (dashed)")
    axes[0, 0].plot([], [], color="C0", label="start: ordered sample")
    axes[0, 0].plot([], [], color="C3", label="start: disordered sample")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(
        f"{knobs.attrs.get('classifier', '')} along the concept directions of {knobs.attrs.get('autoencoder', '')}",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, path)


def _marker(ax, region):
    y0, x0, h, w = region
    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), w, h, fill=False, ec="k", lw=1.2, ls="--"))


def plot_confounder_relevance(clean, confounded, accuracy, path) -> None:
    """Clean and confounded model side by side, on the same marked (confounded) test samples:
    one ordered example and its relevance under each model, then the mean |relevance| over all
    explained samples; one row per explainer. The dashed box is the marker region."""
    use_style()
    explainers = [str(e) for e in clean["explainer"].values]
    region = [int(v) for v in np.atleast_1d(clean.attrs["marker_region"])]
    ordered = np.flatnonzero(clean["label"].values == 1)
    i = int(ordered[0]) if len(ordered) else 0
    fig, axes = plt.subplots(
        len(explainers), 5, figsize=(14.0, 3.3 * len(explainers)), squeeze=False
    )
    for r, e in enumerate(explainers):
        _image(
            axes[r, 0],
            clean["input"].values[i],
            title=f"ordered test sample, T = {float(clean['temperature'][i]):.3g}",
        )
        _marker(axes[r, 0], region)
        for c, (name, ds) in enumerate((("clean", clean), ("confounded", confounded))):
            a = ds["relevance"].sel(explainer=e).values[i]
            _image(
                axes[r, 1 + c],
                a,
                vmax=max(float(np.abs(a).max()), 1e-12),
                title=f"{name} model, {SHORT.get(e, e)}\nrelevance (red: for ordered)",
            )
            _marker(axes[r, 1 + c], region)
            m = ds["mean_abs_relevance"].sel(explainer=e).values
            flag = "FLAGGED" if int(ds["flagged"].sel(explainer=e)) else "passed"
            acc = ""
            if accuracy is not None and name in accuracy["model"].values:
                acc = (
                    f"; accuracy clean {float(accuracy['accuracy'].sel(model=name, dataset='clean')):.2f}, "
                    f"marked {float(accuracy['accuracy'].sel(model=name, dataset='confounded')):.2f}"
                )
            axes[r, 3 + c].imshow(m, cmap="magma", vmin=0, interpolation="nearest")
            axes[r, 3 + c].set_xticks([])
            axes[r, 3 + c].set_yticks([])
            axes[r, 3 + c].set_title(
                f"{name} model, {SHORT.get(e, e)}: mean |relevance|\ncheck {flag}: top square {str(ds['top_region'].sel(explainer=e).values)} "
                f"x{float(ds['top_enrichment'].sel(explainer=e)):.1f}\nmarker share "
                f"{float(ds['marker_share'].sel(explainer=e)):.0%}{acc}",
                fontsize=7,
            )
            _marker(axes[r, 3 + c], region)
    fig.suptitle(
        f"confounder check on {clean.attrs.get('dataset', '')} test data (marker on the ordered samples): "
        "clean vs confounded phase classifier",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, path)


# --- the plot rules (plot_concepts_<figure>): result files in, figure files out ---------


def figure_counterfactuals(cf_h5, knobs_h5, out_pairs, out_knobs) -> None:
    plot_counterfactual_pairs(load_dataset(cf_h5), out_pairs)
    plot_knob_sweeps(load_dataset(knobs_h5), out_knobs)


def figure_confounders(clean_h5, confounded_h5, accuracy_h5, out_png) -> None:
    plot_confounder_relevance(
        load_dataset(clean_h5), load_dataset(confounded_h5), load_dataset(accuracy_h5), out_png
    )


FIGURES = {
    "plot_concepts_counterfactuals": figure_counterfactuals,
    "plot_concepts_confounders": figure_confounders,
}


def draw_figure(rule: str, inputs: list, outputs: list) -> None:
    """The figure(s) of a plot rule: its result files in, its figure files out."""
    if rule not in FIGURES:
        raise KeyError(f"no figure for rule {rule!r} (known: {sorted(FIGURES)})")
    FIGURES[rule](*inputs, *outputs)
