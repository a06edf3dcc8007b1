"""Figure: which observable does a neuron compute? Ranking bars with bootstrap error bars."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are written by workflow jobs without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from physlens.plots import use_style  # noqa: E402


def plot_observable_ranking(ranking, ax=None, title: str | None = None):
    """Horizontal bars of |Spearman rho| per observable, best first, with the bootstrap CI.

    `ranking` is the Dataset of physlens.interpret.probing.rank_observables. Members of an
    equivalence group share a colour; held-out R^2 of the monotone fit is printed per bar.
    Returns the matplotlib Figure.
    """
    df = ranking.to_dataframe().reset_index()
    if ax is None:
        use_style()
        fig, ax = plt.subplots(figsize=(7.0, 0.45 * len(df) + 1.2), layout="constrained")
    else:
        fig = ax.figure
    sign = np.sign(df["spearman"]).replace(0, 1)
    # CI of |rho| from the CI of rho: reflect negative correlations
    lo = np.minimum(sign * df["spearman_lo"], sign * df["spearman_hi"])
    hi = np.maximum(sign * df["spearman_lo"], sign * df["spearman_hi"])
    df["group_label"] = [f"rank {r}" for r in df["rank"]]
    palette = sns.color_palette("viridis", n_colors=max(int(df["rank"].max()), 1))
    sns.barplot(
        data=df,
        x="abs_spearman",
        y="observable",
        hue="group_label",
        palette=palette,
        dodge=False,
        legend=False,
        ax=ax,
    )
    y = np.arange(len(df))
    ax.errorbar(
        df["abs_spearman"],
        y,
        xerr=[np.clip(df["abs_spearman"] - lo, 0, None), np.clip(hi - df["abs_spearman"], 0, None)],
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    for yi, (r2, s, hi_i) in enumerate(zip(df["r2_heldout"], df["spearman"], hi)):
        inside = abs(s) > 0.4  # short bars: label to the right of the error bar, in black
        ax.text(
            0.01 if inside else hi_i + 0.02,
            yi,
            f"ρ={s:+.3f}  held-out R²={r2:.3f}",
            va="center",
            ha="left",
            fontsize=8,
            color="white" if inside else "black",
        )
    ax.set_xlim(0, 1.05)
    level = ranking.attrs.get("ci_level")
    ci = f"{100 * float(level):g}% " if level is not None else ""
    ax.set_xlabel(
        "|Spearman ρ| (neuron output vs observable)\n"
        f"error bars: {ci}bootstrap CI; same colour = tied rank",
        fontsize=9,
    )
    ax.set_ylabel("")
    ax.set_title(title or "Bottleneck regression: observable ranking", fontsize=10)
    return fig
