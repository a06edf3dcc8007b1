"""Figure: which observable does a neuron compute? Ranking bars with bootstrap error bars,
pooled over the control parameter and, beside it, within each temperature (or beta)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are written by workflow jobs without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from physlens.plots import use_style  # noqa: E402


def plot_observable_ranking(ranking, ax=None, title: str | None = None, conditional: bool = False):
    """Horizontal bars of |Spearman rho| per observable, best first, with the bootstrap CI.

    `ranking` is the Dataset of physlens.interpret.probing.rank_observables. Members of an
    equivalence group share a colour; held-out R^2 of the monotone fit is printed per bar.
    With `conditional`, the bars are the ranking within each value of the control parameter
    (columns ``*_cond``), sorted by it; the R^2 labels stay the pooled fit's.
    Returns the matplotlib Figure.
    """
    c = "_cond" if conditional else ""
    df = ranking.to_dataframe().reset_index()
    if conditional:  # not-ranked rows (rank 0: no usable stratum) go last
        df = df.assign(_key=df["rank_cond"].where(df["rank_cond"] > 0, np.inf))
        df = df.sort_values("_key", kind="stable").reset_index(drop=True)
    if ax is None:
        use_style()
        fig, ax = plt.subplots(figsize=(7.0, 0.45 * len(df) + 1.2), layout="constrained")
    else:
        fig = ax.figure
    rho, score = df[f"spearman{c}"].fillna(0.0), df[f"abs_spearman{c}"].fillna(0.0)
    sign = np.sign(rho).replace(0, 1)
    # CI of |rho| from the CI of rho: reflect negative correlations
    lo = np.minimum(sign * df[f"spearman{c}_lo"], sign * df[f"spearman{c}_hi"]).fillna(score)
    hi = np.maximum(sign * df[f"spearman{c}_lo"], sign * df[f"spearman{c}_hi"]).fillna(score)
    ranks = df[f"rank{c}"]
    df["group_label"] = [f"rank {r}" for r in ranks]
    palette = sns.color_palette("viridis", n_colors=max(df["group_label"].nunique(), 1))
    sns.barplot(
        x=score,
        y=df["observable"],
        hue=df["group_label"],
        palette=palette,
        dodge=False,
        legend=False,
        ax=ax,
    )
    y = np.arange(len(df))
    ax.errorbar(
        score,
        y,
        xerr=[np.clip(score - lo, 0, None), np.clip(hi - score, 0, None)],
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    for yi, (r2, s, hi_i) in enumerate(zip(df["r2_heldout"], rho, hi)):
        inside = abs(s) > 0.4  # short bars: label to the right of the error bar, in black
        ax.text(
            0.01 if inside else hi_i + 0.02,
            yi,
            f"ρ={s:+.3f}" + ("" if conditional else f"  held-out R²={r2:.3f}"),
            va="center",
            ha="left",
            fontsize=8,
            color="white" if inside else "black",
        )
    ax.set_xlim(0, 1.05)
    level = ranking.attrs.get("ci_level")
    ci = f"{100 * float(level):g}% " if level is not None else ""
    control = ranking.attrs.get("control_parameter", "T")
    what = f"within each {control}, combined" if conditional else f"pooled over all {control}"
    ax.set_xlabel(
        f"|Spearman ρ| (neuron output vs observable), {what}\n"
        f"error bars: {ci}bootstrap CI; same colour = tied rank",
        fontsize=9,
    )
    ax.set_ylabel("")
    ax.set_title(title or "Bottleneck regression: observable ranking", fontsize=10)
    return fig


def plot_observable_rankings(ranking, title: str | None = None):
    """The pooled ranking and, beside it, the ranking conditional on the control parameter
    (when the table has one). Returns the matplotlib Figure."""
    if "spearman_cond" not in ranking:
        return plot_observable_ranking(ranking, title=title)
    use_style()
    n = ranking.sizes["observable"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13.0, 0.45 * n + 1.6), layout="constrained")
    control = ranking.attrs.get("control_parameter", "T")
    plot_observable_ranking(ranking, ax=left, title=f"pooled over all {control}")
    used, total = ranking.attrs.get("n_strata_used"), ranking.attrs.get("n_strata")
    plot_observable_ranking(
        ranking,
        ax=right,
        conditional=True,
        title=f"within each {control} ({used} of {total} values with enough samples)",
    )
    fig.suptitle(title or "Bottleneck regression: observable ranking", fontsize=11)
    return fig
