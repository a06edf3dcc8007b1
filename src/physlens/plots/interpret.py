"""Figures of the interpret stage, one per plot rule (``plot_interpret_<figure>``), drawn from
the stage's result files; the plot rules' script ``interpret_plot.py`` dispatches on the rule
name through :data:`FIGURES`. No torch here: the plot environment has none."""

from __future__ import annotations

import numpy as np

from physlens.io import load_dataset
from physlens.plots import save_figure, use_style


def _save(fig, path) -> None:
    save_figure(fig, path)


def figure_ranking(ranking_h5, out_png) -> None:
    from physlens.plots.interpret_probing import plot_observable_rankings

    r = load_dataset(ranking_h5)
    _save(
        plot_observable_rankings(
            r, title=f"{r.attrs.get('model', '')}: bottleneck regression of the decision logit"
        ),
        out_png,
    )


def figure_attributions(h5, out_png) -> None:
    from physlens.plots.interpret_attributions import plot_relevance_maps

    plot_relevance_maps(load_dataset(h5), out_png)


def figure_ablation(units_h5, occlusion_h5, out_units, out_occlusion) -> None:
    from physlens.plots.interpret_attributions import plot_ablation, plot_occlusion

    plot_ablation(load_dataset(units_h5), out_units)
    occ = load_dataset(occlusion_h5)
    plot_occlusion(occ.set_coords("temperature") if "temperature" in occ else occ, out_occlusion)


def figure_symbolic(pareto_h5, out_png) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = load_dataset(pareto_h5)
    sel = ds["selected"].values.astype(bool)
    fig, ax = plt.subplots(figsize=(6.5, 4.0), layout="constrained")
    ax.plot(ds.complexity, ds.loss, "o-", color="0.4", label="Pareto front")
    ax.plot(
        ds.complexity[sel], ds.loss[sel], "o", ms=11, mfc="none", mec="C3", mew=2, label="chosen"
    )
    ax.set_yscale("log")
    ax.set_xlabel("complexity (nodes)")
    ax.set_ylabel("fit loss")
    ax.set_title(
        f"{ds.attrs.get('model', '')}: {ds.attrs.get('explained', '')} = {ds.attrs.get('formula', '')}\n"
        f"held-out R² {float(ds.attrs.get('heldout_r2', np.nan)):.4f}; {ds.attrs.get('algorithm', '')}",
        fontsize=8,
    )
    ax.legend(fontsize=8)
    _save(fig, out_png)


def figure_capacity(h5, out_png) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = load_dataset(h5).sortby("capacity")
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    x = np.arange(ds.sizes["receptive_field"])
    ax.semilogy(x, ds.val_loss, "o-", label="validation")
    ax.semilogy(x, ds.train_loss, "s--", label="training")
    ax.set_xticks(x, [str(v) for v in ds.receptive_field.values])
    ax.set_xlabel("receptive field")
    ax.set_ylabel("loss (nats per sample)")
    a = ds.attrs
    ax.set_title(
        f"sufficient: {a.get('sufficient')}; drop: {a.get('drop_from') or '-'} → {a.get('drop_to') or '-'}",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    _save(fig, out_png)


def figure_influence(h5, out_png) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = load_dataset(h5)
    fig, ax = plt.subplots(figsize=(4.5, 4.2), layout="constrained")
    ax.plot(ds.actual, ds.predicted, "o")
    lim = float(np.nanmax(np.abs(np.r_[ds.actual.values, ds.predicted.values]))) or 1.0
    ax.plot([-lim, lim], [-lim, lim], "k:", lw=1)
    ax.set_xlabel("actual Δ test loss (leave-one-out retraining)")
    ax.set_ylabel("predicted Δ test loss (influence)")
    ax.set_title(
        f"{ds.attrs.get('model', '')}: Pearson r = {float(ds.attrs['pearson_r']):.3f}", fontsize=9
    )
    _save(fig, out_png)


def figure_windows(h5, out_png) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = load_dataset(h5)
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.4), layout="constrained")
    labels = [f"[{lo:.2f}, {hi:.2f})" for lo, hi in zip(ds.T_lo.values, ds.T_hi.values)]
    x = np.arange(len(labels))
    axes[0].bar(x, ds.delta_val_loss)
    axes[0].set_ylabel("Δ validation loss")
    axes[1].bar(x, ds.delta_tc)
    axes[1].set_ylabel("Δ Tc (1/2 crossing)")
    for ax in axes:
        ax.set_xticks(x, labels, rotation=30, fontsize=7)
        ax.set_xlabel("temperature window left out")
        ax.axhline(0, color="k", lw=0.8)
    fig.suptitle(
        f"{ds.attrs.get('model', '')}: leave-one-temperature-window-out retraining", fontsize=9
    )
    _save(fig, out_png)


FIGURES = {
    "plot_interpret_ranking": figure_ranking,
    "plot_interpret_symbolic": figure_symbolic,
    "plot_interpret_attributions": figure_attributions,
    "plot_interpret_ablation": figure_ablation,
    "plot_interpret_capacity": figure_capacity,
    "plot_interpret_influence": figure_influence,
    "plot_interpret_windows": figure_windows,
}


def draw_figure(rule: str, inputs: list, outputs: list) -> None:
    """The figure of a plot rule: its result files in, its figure files out."""
    use_style()
    if rule not in FIGURES:
        raise KeyError(f"no figure for rule {rule!r} (known: {sorted(FIGURES)})")
    FIGURES[rule](*inputs, *outputs)
