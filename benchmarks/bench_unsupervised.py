"""Cost of the unsupervised stage at the default config's size, and its 3-minute budget.

Times (wall, one process, torch threads as given) each piece of the stage on synthetic data
of the default shape (21 temperatures x 256 samples of 28 x 28 spins, ordered to disordered):
PCA, one training epoch of each autoencoder kind, and the analysis pieces (encoding, bottleneck
regression through physlens.interpret.probing, Tc bootstraps, silhouette). Baseline, measured
in the same run: the PCA fit. The projected stage time (PCA + every model's epochs and
analysis, run one after another) is compared with the budget of 180 s.

    .venv/bin/python benchmarks/bench_unsupervised.py [--threads 2] [--epochs 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from physlens.config import load_config, temperature_grid
from physlens.interpret.probing import probing_kwargs, rank_observables
from physlens.models import autoencoder as _autoencoder  # noqa: F401  (registers the models)
from physlens.observables import compute_observables
from physlens.training import TrainSettings, seeded_model, train
from physlens.unsupervised import latent as Z
from physlens.unsupervised.pca import fit_pca
from physlens.unsupervised.tc import tc_with_bootstrap

BUDGET_S = 180.0


def synthetic(temps, n, L, seed=0):
    """Independent spins whose bias follows a step at T = 2.27 (ordered -> disordered)."""
    rng = np.random.default_rng(seed)
    m = 0.5 * (1 - np.tanh((temps - 2.27) / 0.15))  # |M| from ~1 to ~0
    p_up = 0.5 + 0.5 * np.repeat(m, n) * rng.choice([-1, 1], len(temps) * n)
    s = np.where(rng.uniform(size=(len(p_up), L, L)) < p_up[:, None, None], 1, -1).astype(np.int8)
    return s


def best_of(fn, repeats):
    """(wall, CPU) seconds, the best of `repeats` runs. CPU time (this process, all threads)
    is what the machine would need when idle; wall time grows with other jobs' load."""
    times = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=None, help="epochs per model (default: config)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = load_config("config/config.yaml")
    u = cfg["unsupervised"]
    temps = temperature_grid(cfg["ising"])
    n, L = cfg["ising"]["samples_per_temperature"], u["L"]
    spins = synthetic(temps, n, L)
    X = spins.astype(np.float32)
    epochs = args.epochs or u["autoencoder"]["train"].get("epochs", cfg["training"]["epochs"])
    n_models = len(u["autoencoder"]["variants"]) * len(u["autoencoder"]["latent_dims"])
    rows = {}

    rows["PCA fit (baseline)"] = best_of(lambda: fit_pca(X, u["pca"]["n_components"]), args.repeats)
    val = np.random.default_rng(1).uniform(size=len(X)) < u["val_fraction"]
    settings = TrainSettings.from_config(
        {**cfg["training"], **u["autoencoder"]["train"], "epochs": 1, "device": "cpu"}
    )
    models = {}
    for kind in ("autoencoder", "vae"):
        arch = {
            "name": kind,
            "L": L,
            "latent_dim": 2,
            "hidden": u["autoencoder"]["hidden"],
            "activation": u["autoencoder"]["activation"],
        }

        def one_epoch(arch=arch):
            model = seeded_model(arch, 0)
            models[arch["name"]] = train(
                model,
                (X[~val], X[~val]),
                (X[val], X[val]),
                settings,
                0,
                loss_fn=Z.loss_for(model),
                name="bench",
            ).model

        one_epoch()  # warm-up
        rows[f"1 epoch {kind} (+ val loss)"] = best_of(one_epoch, args.repeats)
    model = models["vae"]
    rows["encode + loss, all samples"] = best_of(lambda: Z.encode_and_score(model, X), args.repeats)
    codes, nll = Z.encode_and_score(model, X)
    obs = compute_observables(spins, cfg["interpret"]["probing"]["observables"]["ising"])
    rows["bottleneck regression (probing)"] = best_of(
        lambda: rank_observables(
            codes[:, 0], obs, seed=0, **probing_kwargs(cfg["interpret"]["probing"])
        ),
        1,
    )
    shaped = np.abs(codes[:, 0]).reshape(len(temps), n)
    rows[f"Tc bootstrap ({u['tc']['bootstrap']})"] = best_of(
        lambda: tc_with_bootstrap(temps, shaped, np.random.default_rng(0), u["tc"]["bootstrap"]), 1
    )
    labels = Z.phase_groups(temps, spins.mean(axis=(1, 2)).reshape(len(temps), n), 1.8, 2.8).ravel()
    rows["silhouette"] = best_of(lambda: Z.cluster_silhouette(codes, labels), args.repeats)

    import os

    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s); "
        f"data {len(X)} x {L}x{L}; {n_models} models x {epochs} epochs; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'piece':38s} {'wall s':>9s} {'CPU s':>9s} {'CPU / PCA':>10s}")
    base = rows["PCA fit (baseline)"][1]
    for k, (wall, cpu) in rows.items():
        print(f"{k:38s} {wall:9.3f} {cpu:9.3f} {cpu / base:10.2f}")
    tc_key = f"Tc bootstrap ({u['tc']['bootstrap']})"
    for col, label in ((0, "wall"), (1, "CPU")):
        r = {k: v[col] for k, v in rows.items()}
        epoch = np.mean([r["1 epoch autoencoder (+ val loss)"], r["1 epoch vae (+ val loss)"]])
        analysis = (
            r["encode + loss, all samples"]
            + r["bottleneck regression (probing)"]
            + 2 * r[tc_key]
            + r["silhouette"]
        )
        stage = r["PCA fit (baseline)"] + r[tc_key] + n_models * (epochs * epoch + analysis)
        print(
            f"projected stage ({label}, no process start-up): {stage:.1f} s = {stage / BUDGET_S:.2f} x budget {BUDGET_S:.0f} s"
        )


if __name__ == "__main__":
    main()
