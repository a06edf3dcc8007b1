"""Figures of the graph-network stage: messages vs forces (the paper's scatter), sorted
message standard deviations, the symbolic Pareto front, one simulation. Inputs are the
stage's files only (no torch here: these run in the plotting environment)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from physlens.io import open_dataset
from physlens.plots import save_figure, use_style

TARGET_LABEL = {"force": "a·F + b", "force_per_receiver_mass": "a·F/m_i + b"}


def _report(path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def plot_messages(messages_path, report_path, out) -> None:
    """Each variant's most variable message components against their affine fit on the
    true pair force (a straight diagonal = the message is a linear map of the force)."""
    use_style()
    rep = _report(report_path)
    ds = open_dataset(messages_path, required=("message", "force_combination")).load()
    variants = [str(v) for v in ds["variant"].values]
    n_rank = ds.sizes["rank"]
    fig, axes = plt.subplots(
        n_rank,
        len(variants),
        figsize=(3.4 * len(variants), 3.2 * n_rank),
        squeeze=False,
        layout="constrained",
    )
    for j, v in enumerate(variants):
        info = rep["variants"][v]
        for k in range(n_rank):
            ax = axes[k][j]
            x = ds["force_combination"].sel(variant=v).isel(rank=k).values
            y = ds["message"].sel(variant=v).isel(rank=k).values
            ax.scatter(x, y, s=3, alpha=0.4, rasterized=True)
            lim = np.nanpercentile(np.abs(np.concatenate([x, y])), 99.5)
            ax.plot([-lim, lim], [-lim, lim], color="black", lw=0.7)
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            comp = info["per_component"][k]
            ax.set_title(f"{v}: component {comp['component']}, R² {comp['r2']:.3f}", fontsize=9)
            ax.set_xlabel(TARGET_LABEL[info["force_target"]], fontsize=8)
            ax.set_ylabel(f"message (rank {k + 1} by std)", fontsize=8)
    fig.suptitle(f"{rep['law']}: messages vs the true pair force (held-out edges)")
    save_figure(fig, out)


def plot_message_std(messages_path, report_path, out) -> None:
    """Sorted standard deviations of the message components, one curve per variant."""
    use_style()
    rep = _report(report_path)
    ds = open_dataset(messages_path, required=("std_sorted",)).load()
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    for v in ds["variant"].values:
        std = ds["std_sorted"].sel(variant=v).values
        std = std[np.isfinite(std)]
        n_sig = rep["variants"][str(v)]["n_significant"]
        ax.semilogy(
            np.arange(1, len(std) + 1), std / std[0], "o-", ms=3, label=f"{v} ({n_sig} significant)"
        )
    ax.axhline(rep["significance"], color="gray", ls="--", lw=0.8, label="significance threshold")
    ax.axvline(rep["dim"], color="gray", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("message component (sorted by std)")
    ax.set_ylabel("std / largest std")
    ax.set_title(f"{rep['law']}: message sparsity (dimension {rep['dim']})")
    ax.legend(fontsize=8)
    save_figure(fig, out)


def plot_pareto(pareto_path, report_path, out) -> None:
    """Loss against complexity of the symbolic front, the chosen formula marked."""
    use_style()
    rep = _report(report_path)
    df = pd.read_csv(pareto_path)
    sym = rep["symbolic"]
    fig, ax = plt.subplots(figsize=(6.0, 3.8), layout="constrained")
    ax.semilogy(df["complexity"], df["loss"], "o-", color="tab:blue")
    chosen = df[df["selected"]]
    ax.semilogy(chosen["complexity"], chosen["loss"], "*", ms=14, color="tab:red", label="chosen")
    ax.set_xlabel("complexity")
    ax.set_ylabel("mean squared error")
    ax.set_title(
        f"{rep['law']} ({sym['variant']} model, {sym['engine']}): force R² {sym['force_r2']:.3f}",
        fontsize=10,
    )
    ax.text(0.02, 0.04, f"${sym['latex']}$", transform=ax.transAxes, fontsize=8)
    ax.legend(fontsize=8)
    save_figure(fig, out)


def plot_snapshot(sims_path, out, simulation: int = 0) -> None:
    """Trajectories of one simulation (first two coordinates), marker size ~ mass."""
    use_style()
    ds = open_dataset(sims_path, required=("position", "mass")).load()
    pos = ds["position"].isel(simulation=simulation).values  # (time, particle, dim)
    m = ds["mass"].isel(simulation=simulation).values
    fig, ax = plt.subplots(figsize=(4.8, 4.4), layout="constrained")
    for p in range(pos.shape[1]):
        (line,) = ax.plot(pos[:, p, 0], pos[:, p, 1], lw=1)
        ax.scatter(pos[-1, p, 0], pos[-1, p, 1], s=30 * m[p], color=line.get_color(), zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(
        f"{ds.attrs['law']}: simulation {simulation}, t <= {float(ds['time'][-1]):.3g}", fontsize=10
    )
    save_figure(fig, out)
