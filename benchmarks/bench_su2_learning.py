"""Throughput of the SU(2) classifier (physlens.models.su2) on CPU, one torch thread.

Measures training steps (forward + backward + Adam) and inference in configurations per
second on Haar-random links of the default lattice (6^3 x 2) and a larger one (8^3 x 4),
against a baseline measured in the same run: a dense MLP on the flattened links with the
same hidden width (the obvious architecture, which has far more weights and no notion of
locality). Also times the candidate observables (numba kernels, per configuration).

    .venv/bin/python benchmarks/bench_su2_learning.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import physlens.models.su2  # noqa: E402,F401
import physlens.su2.candidates  # noqa: E402,F401  (registers the su2 observables)
from physlens.models import build_model  # noqa: E402
from physlens.observables import compute_observables  # noqa: E402
from physlens.su2.quaternion import random_su2  # noqa: E402


def best_rate(fn, n_items: int, repeats: int = 3) -> float:
    """Items per second of the fastest of `repeats` runs (the least disturbed by other load)."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return n_items / min(times)


def train_step_rate(model, x, y, batch: int = 32) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()

    def epoch():
        model.train()
        for i in range(0, len(x), batch):
            opt.zero_grad()
            loss_fn(model(x[i : i + batch]), y[i : i + batch]).backward()
            opt.step()

    return best_rate(epoch, len(x))


def infer_rate(model, x) -> float:
    model.eval()

    def run():
        with torch.no_grad():
            model(x)

    return best_rate(run, len(x))


class DenseBaseline(nn.Module):
    def __init__(self, n_in: int, hidden: int = 16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 1)
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--quick", action="store_true", help="default lattice only, fewer configurations"
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    lattices = [(6, 2)] if args.quick else [(6, 2), (8, 4)]
    n = 256 if args.quick else 512
    print(f"torch {torch.__version__}, 1 thread; {n} configurations per measurement, best of 3")
    print(f"{'lattice':>8} {'model':>10} {'params':>7} {'train cfg/s':>12} {'infer cfg/s':>12}")
    for n_s, n_t in lattices:
        links = random_su2(np.random.default_rng(0), (n, n_t, n_s, n_s, n_s, 4)).astype(np.float32)
        x, y = torch.as_tensor(links), torch.as_tensor(np.arange(n) % 2, dtype=torch.float32)
        rates = {}
        for name, model in (
            ("su2_cnn", build_model({"name": "su2_cnn", "channels": 8, "kernel": 1, "hidden": 16})),
            ("dense", DenseBaseline(links[0].size)),
        ):
            params = sum(p.numel() for p in model.parameters())
            rates[name] = (train_step_rate(model, x, y), infer_rate(model, x))
            print(
                f"{n_s}^3x{n_t:<3} {name:>10} {params:>7} {rates[name][0]:>12.0f} {rates[name][1]:>12.0f}"
            )
        print(
            f"{'':>8} {'ratio':>10} {'':>7} {rates['su2_cnn'][0] / rates['dense'][0]:>12.2f} "
            f"{rates['su2_cnn'][1] / rates['dense'][1]:>12.2f}   (su2_cnn / dense)"
        )
        names = ["polyakov_loop", "plaquette"]
        obs_rate = best_rate(lambda: compute_observables(links[:128], names, "su2"), 128)
        print(
            f"{'':>8} observables (P and plaquette, numba, per configuration): {obs_rate:.0f} cfg/s"
        )


if __name__ == "__main__":
    main()
