"""Cost of twin neural network regression against its baselines, measured in one run.

Trains every method of the TNNR benchmark on the synthetic task with the default config's
`twin` block (CPU, one thread) and prints wall seconds per method and the ratio to the single
network (the baseline), plus the cost of the anchor-averaged prediction per query point.

    .venv/bin/python benchmarks/bench_twin.py [--config config/config.yaml] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from physlens.config import load_config
from physlens.seeding import rng
from physlens.siamese import tnnr
from physlens.siamese.benchmark import run_task, synthetic_task
from physlens.training import seeded_model


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="config/config.yaml")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    twin, seed = cfg["twin"], cfg["seed"]
    X, y = synthetic_task(twin["n_points"], rng(seed, "twin", "synthetic", "data"))
    t0 = time.perf_counter()
    rows, _ = run_task("synthetic", X, y, twin, {**cfg["training"], "device": "cpu"}, seed)
    total = time.perf_counter() - t0
    base = next(r["seconds"] for r in rows if r["method"] == "single")
    print(
        f"TNNR benchmark, synthetic task, {twin['n_train']} labels, {args.threads} thread(s); total {total:.1f} s"
    )
    print(f"{'method':28s} {'seconds':>8s} {'ratio to single':>16s} {'RMSE':>8s}")
    for r in rows:
        print(f"{r['method']:28s} {r['seconds']:8.2f} {r['seconds'] / base:16.2f} {r['rmse']:8.4f}")

    # prediction cost: n_anchor network evaluations per query (the implicit ensemble)
    model = seeded_model(
        {
            "name": "twin_mlp",
            "n_features": 2,
            "hidden": list(twin["hidden"]),
            "activation": twin["activation"],
        },
        0,
    )
    Xq = np.random.default_rng(0).normal(size=(1000, 2)).astype(np.float32)
    Xa = Xq[: twin["n_train"]]
    t0 = time.perf_counter()
    tnnr.tnnr_predict(model, Xq, Xa, np.zeros(len(Xa)))
    dt = time.perf_counter() - t0
    print(f"TNNR prediction: {1e6 * dt / len(Xq):.0f} us per query point ({len(Xa)} anchors)")


if __name__ == "__main__":
    main()
