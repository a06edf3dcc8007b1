"""Figures of the SciNet stage, in the paper's style: each latent neuron's activation as a
coloured surface over the two pendulum parameters, and each latent pair's angle against the
true heliocentric angles. Inputs are the stage's files only (no torch here)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np

from physlens.io import load_dataset
from physlens.plots import save_figure, use_style


def _report(path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def _title(rep: dict, u: int) -> str:
    state = "active" if u in rep["active"] else "off"
    return f"latent {u} ({state}, KL {rep['mean_kl'][u]:.3g} nats)"


def plot_pendulum(ds, rep: dict, out) -> None:
    """Posterior mean of every latent neuron over (kappa, b), a coloured surface each."""
    units = ds.sizes["unit"]
    fig, axes = plt.subplots(
        1, units, figsize=(4.0 * units, 3.6), squeeze=False, layout="constrained"
    )
    kappa, b = ds["kappa"].values, ds["b"].values
    for u, ax in enumerate(axes[0]):
        mu = ds["mu"].sel(unit=u).values
        if np.ptp(mu) > 0:
            tri = ax.tricontourf(kappa, b, mu, levels=20, cmap="viridis")
        else:  # a dead neuron is constant: a flat colour, no contour levels to draw
            tri = ax.scatter(kappa, b, c=mu, s=4, cmap="viridis")
        fig.colorbar(tri, ax=ax, label="latent activation")
        rho = rep["score_matrix"][u]
        ax.set_title(f"{_title(rep, u)}\n|Spearman| kappa {rho[0]:.3f}, b {rho[1]:.3f}", fontsize=9)
        ax.set_xlabel("spring constant kappa [kg/s^2]")
        ax.set_ylabel("damping factor b [kg/s]")
    err = rep["answers"]["rms_error"]
    fig.suptitle(f"SciNet, damped pendulum: answers' RMS error {err:.3g} m")
    save_figure(fig, out)


def plot_heliocentric(ds, rep: dict, out) -> None:
    """Angle of every latent pair (its direction, as the decoder reads it) against the
    heliocentric angles."""
    units = ds.sizes["unit"]
    planets = ("earth", "mars")
    fig, axes = plt.subplots(
        units, 2, figsize=(7.6, 2.9 * units), squeeze=False, sharex=True, layout="constrained"
    )
    increments = {r["unit"]: r for r in rep["time_update"]["per_planet"]}
    for u in range(units):
        for j, planet in enumerate(planets):
            ax = axes[u][j]
            ax.scatter(
                ds[f"phi_{planet}"], ds["latent_angle"].sel(unit=u), s=3, alpha=0.5, rasterized=True
            )
            title = f"{_title(rep, u)}, R^2 {rep['score_matrix'][u][j]:.3f}"
            row = increments.get(u)
            if row is not None and row["planet"] == planet:
                title += f"\nincrement {row['increment']:.4f} rad/step (true {row['true_increment']:.4f})"
            ax.set_title(title, fontsize=8)
            ax.set_ylabel(f"latent pair {u} angle [rad]")
            if u == units - 1:
                ax.set_xlabel(f"heliocentric angle of {planet.title()} [rad]")
    upd = rep["time_update"]
    fig.suptitle(
        f"SciNet, heliocentric: increment ratio {upd['ratio']:.3f} (T_Mars/T_Earth {upd['true_ratio']:.3f})",
        fontsize=10,
    )
    save_figure(fig, out)


def plot_latents(latents_path, report_path, out) -> None:
    use_style()
    rep = _report(report_path)
    ds = load_dataset(latents_path, required=("mu",))
    (plot_pendulum if rep["system"] == "pendulum" else plot_heliocentric)(ds, rep, out)
