"""Ising Monte Carlo figure: <E/N> and <|M|> against T for every L, with Onsager's curves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from physlens.ising.exact import TC_EXACT, onsager_energy, spontaneous_magnetization
from physlens.plots import save_figure, use_style

PANELS = (
    ("energy", r"$\langle E \rangle / N$", onsager_energy),
    ("abs_magnetization", r"$\langle |M| \rangle / N$", spontaneous_magnetization),
)


def plot_observables(table: pd.DataFrame, path) -> None:
    """Two panels from the tidy checks table (columns L, temperature, observable, mean, error)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True)
    sizes = sorted(table["L"].unique())
    colors = dict(zip(sizes, sns.color_palette("viridis", len(sizes))))
    t_lo, t_hi = table["temperature"].min(), table["temperature"].max()
    grid = np.linspace(t_lo, t_hi, 400)
    for ax, (observable, label, exact) in zip(axes, PANELS):
        rows = table[table["observable"] == observable]
        for L in sizes:
            r = rows[rows["L"] == L].sort_values("temperature")
            ax.errorbar(
                r["temperature"],
                r["mean"],
                yerr=r["error"],
                color=colors[L],
                marker="o",
                ms=3,
                lw=1,
                capsize=2,
                label=f"L = {L}",
            )
        ax.plot(grid, exact(grid), color="black", lw=1.2, ls="-", label="Onsager, L = ∞")
        ax.axvline(TC_EXACT, color="gray", ls="--", lw=0.8)
        ax.text(TC_EXACT, 0.02, r" $T_c$", transform=ax.get_xaxis_transform(), color="gray")
        ax.set_xlabel(r"temperature $T$ [$J/k_B$]")
        ax.set_ylabel(label)
    axes[1].legend(frameon=False, fontsize="small")
    sns.despine(fig)
    fig.tight_layout()
    save_figure(fig, path)
