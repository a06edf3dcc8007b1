"""Figures of the ccnn stage: the learned filters, the L1 regularisation path coloured by
correlator order, and the correlator-feature distributions of the two ensembles. Inputs are
the stage's files only (no torch here)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from physlens.io import load_dataset  # noqa: E402
from physlens.plots import save_figure, use_style  # noqa: E402

ORDER_COLOURS = {1: "tab:gray", 2: "tab:blue", 3: "tab:green", 4: "tab:red"}
FILTER_STYLES = ("-", "--", ":", "-.")


def _report(path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def _order_colour(n: int) -> str:
    return ORDER_COLOURS.get(int(n), "tab:purple")


def plot_filters(path_file, report_path, out) -> None:
    """The unit-norm learned filters; the one of the first-entering feature is framed and its
    heaviest correlator shape of the known order named."""
    use_style()
    rep = _report(report_path)
    ds = load_dataset(path_file, required=("filters",))
    filters = ds["filters"].values
    k = len(filters)
    fig, axes = plt.subplots(1, k, figsize=(2.6 * k, 3.2), squeeze=False, layout="constrained")
    vmax = float(np.abs(filters).max()) or 1.0
    for i, ax in enumerate(axes[0]):
        im = ax.imshow(filters[i], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        for (y, x), v in np.ndenumerate(filters[i]):
            colour = "white" if abs(v) > 0.6 * vmax else "black"
            ax.text(x, y, f"{v:.2f}", ha="center", va="center", fontsize=7, color=colour)
        ax.set_xticks([])
        ax.set_yticks([])
        title = f"filter {i}"
        if i == rep["first_filter"]:
            top = rep["first_filter_shapes"]["top"][0]
            title += (
                f"\nfirst: order {rep['first_order']}\n"
                f"heaviest {rep['expected_order']}-point shape {top['shape']} ({top['share']:.2f})"
            )
            for spine in ax.spines.values():
                spine.set_edgecolor("black")
                spine.set_linewidth(3)
        ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="f / |f|")
    patterns = " or ".join(str(p) for p in rep["expected_patterns"])
    fig.suptitle(
        f"{rep['pair']}: known order {rep['expected_order']}, pattern {patterns}", fontsize=10
    )
    save_figure(fig, out)


def plot_path(path_file, report_path, out) -> None:
    """Coefficients of the standardised features against the L1 strength, coloured by order."""
    use_style()
    rep = _report(report_path)
    ds = load_dataset(path_file, required=("coef", "entry_lambda"))
    lam = ds["lam"].values
    fig, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    for k in ds["filter"].values:
        for n in ds["order"].values:
            coef = ds["coef"].sel(filter=k, order=n).values
            if np.any(coef != 0):
                ax.plot(
                    lam,
                    coef,
                    color=_order_colour(n),
                    ls=FILTER_STYLES[int(k) % len(FILTER_STYLES)],
                    lw=1.5,
                )
    first = float(ds["entry_lambda"].sel(filter=rep["first_filter"], order=rep["first_order"]))
    ax.axvline(first, color="black", lw=0.8, alpha=0.6)
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("L1 strength λ (decreasing →)")
    ax.set_ylabel("coefficient (standardised feature)")
    handles = [
        plt.Line2D([], [], color=_order_colour(n), label=f"order {n}") for n in ds["order"].values
    ]
    handles += [
        plt.Line2D([], [], color="black", ls=FILTER_STYLES[int(k) % 4], label=f"filter {k}")
        for k in ds["filter"].values
    ]
    ax.legend(handles=handles, fontsize=7, ncol=2, frameon=False)
    ax.set_title(
        f"{rep['pair']}: first entering order {rep['first_order']} (known {rep['expected_order']})",
        fontsize=10,
    )
    save_figure(fig, out)


def plot_features(features_file, report_path, out) -> None:
    """Distributions of the first-entering filter's correlator features, per ensemble and order."""
    use_style()
    rep = _report(report_path)
    ds = load_dataset(features_file, required=("feature", "label"))
    feats = ds["feature"].sel(filter=rep["first_filter"]).values
    labels = ds["label"].values
    orders = ds["order"].values
    fig, axes = plt.subplots(
        1, len(orders), figsize=(3.2 * len(orders), 3.0), squeeze=False, layout="constrained"
    )
    for ax, n in zip(axes[0], orders):
        v = feats[:, int(n) - 1]
        bins = np.histogram_bin_edges(v, bins=40)
        for cls, colour in ((1, "tab:red"), (0, "tab:blue")):
            ax.hist(
                v[labels == cls], bins=bins, alpha=0.55, color=colour, label=rep["labels"][str(cls)]
            )
        mark = " (first)" if int(n) == rep["first_order"] else ""
        ax.set_title(f"order {n}{mark}", fontsize=9)
        ax.set_xlabel(f"mean c^({n})")
    axes[0][0].set_ylabel("configurations")
    axes[0][0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"{rep['pair']}: correlator features of filter {rep['first_filter']}", fontsize=10)
    save_figure(fig, out)
