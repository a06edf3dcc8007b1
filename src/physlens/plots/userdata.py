"""Figure of the userdata stage: on your data, which observable the decision neuron tracks,
where the classifier places the transition, what turning a concept knob does, and where
the relevance lies."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are written by workflow jobs without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from physlens.plots import save_figure, use_style  # noqa: E402
from physlens.plots.interpret_probing import plot_observable_ranking  # noqa: E402


def _open(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def _skipped(ax, ds: xr.Dataset, title: str) -> None:
    ax.set_title(title)
    ax.text(
        0.5, 0.5, f"not run:\n{ds.attrs.get('skipped', '')}", ha="center", va="center", wrap=True
    )
    ax.set_axis_off()


def _phase(ax, ds: xr.Dataset, reference: dict) -> None:
    x = ds["control"].values
    ax.errorbar(x, ds["p_class1"], yerr=ds["p_sem"], fmt="o-", ms=4, capsize=2)
    crit, err = ds.attrs["critical"], ds.attrs["critical_error"]
    ax.axhline(0.5, color="grey", lw=0.8)
    if np.isfinite(crit):
        ax.axvspan(crit - err, crit + err, color="C1", alpha=0.3)
        ax.axvline(crit, color="C1", label=f"crossing {crit:.4g} ± {err:.2g}")
    if reference.get("critical") is not None:
        ax.axvline(
            reference["critical"],
            color="k",
            ls="--",
            label=f"reference {reference['critical']:.4g}",
        )
    ax.set(xlabel=ds.attrs.get("control_name", "control"), ylabel="P(class 1)", title="transition")
    ax.legend(fontsize="small")


def _knobs(ax, ds: xr.Dataset, ranking: xr.Dataset, reference: dict) -> None:
    if "observable" not in ds.coords:
        _skipped(ax, ds, "concept knob")
        return
    wanted = reference.get("observable") or str(ranking.observable.values[0])
    name = wanted if wanted in ds.observable.values else str(ds.observable.values[0])
    k = ds.sel(observable=name)
    for cls, colour in (("1", "C0"), ("0", "C3")):
        ax.plot(
            k["shift"], k[f"logit_from_class{cls}"], color=colour, label=f"from class-{cls} mean"
        )
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(float(k.separation), color="k", ls="--", lw=0.8, label="class separation")
    ax.set(xlabel=f"shift of {name}", ylabel="decision logit", title=f"concept knob: {name}")
    ax.legend(fontsize="small")


def _relevance(ax, ds: xr.Dataset) -> None:
    if "mean_abs_relevance" not in ds:
        _skipped(ax, ds, "confounder check")
        return
    e = str(ds.explainer.values[0])
    im = ax.imshow(ds["mean_abs_relevance"].sel(explainer=e), cmap="viridis")
    plt.colorbar(im, ax=ax, shrink=0.8, label="mean |relevance|")
    verdict = "FLAGGED" if int(ds["flagged"].max()) else "passed"
    ax.set(title=f"{e}: confounder check {verdict}", xticks=[], yticks=[])


def overview(ranking_h5, phase_h5, concepts_h5, confounder_h5, reference: dict, out_png) -> None:
    """Four panels: ranking of the candidates for the decision neuron; P(class 1) along the
    control with its 1/2 crossing; the logit along the knob of the expected (else the
    top-ranked) observable; the mean |relevance| over the lattice."""
    use_style()
    ranking = _open(ranking_h5)
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), layout="constrained")
    plot_observable_ranking(ranking, ax=axes[0, 0], title="decision neuron vs candidates")
    _phase(axes[0, 1], _open(phase_h5), reference)
    _knobs(axes[1, 0], _open(concepts_h5), ranking, reference)
    _relevance(axes[1, 1], _open(confounder_h5))
    save_figure(fig, out_png)
