"""Training throughput of the shared loop (physlens.training.train), in samples per second.

Baseline: fp32 on the CPU with one thread, measured in the same run. Other rows: CPU with all
threads, and on CUDA (when present) fp32 and mixed precision (bf16/fp16 autocast). Models: the
phase-classifier CNN and the 28x28 / 1x2 probing nets at L = 28, on random +-1 spins.

    .venv/bin/python benchmarks/bench_training.py [--epochs 3] [--n 2048] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from physlens.training import TrainSettings, seeded_model, train

MODELS = {
    "phase_cnn [8,8]": {
        "name": "phase_cnn",
        "channels": [8, 8],
        "kernel": 3,
        "activation": "tanh",
        "z2_odd": True,
    },
    "probe 28x28": {"name": "probe", "kernel": [28, 28], "channels": 4, "activation": "tanh"},
    "probe 1x2": {"name": "probe", "kernel": [1, 2], "channels": 4, "activation": "tanh"},
}


def data(n, L, seed):
    rng = np.random.default_rng(seed)
    x = torch.tensor(np.where(rng.random((n, L, L)) < 0.5, -1.0, 1.0), dtype=torch.float32)
    return x, torch.tensor(rng.integers(0, 2, n), dtype=torch.float32)


def throughput(arch, device, mixed, threads, n, L, epochs, batch):
    torch.set_num_threads(threads)
    settings = TrainSettings(
        epochs=epochs,
        batch_size=batch,
        lr=1e-3,
        patience=10**6,
        device=device,
        mixed_precision=mixed,
    )
    tr, va = data(n, L, 0), data(max(n // 8, 16), L, 1)
    train(
        seeded_model(arch, 0), tr, va, settings, 0
    )  # warm-up (kernels, allocator, cuDNN autotune)
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    res = train(seeded_model(arch, 0), tr, va, settings, 0)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    return n * res.metrics["epochs_run"] / seconds


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--n", type=int, default=2048, help="training samples per epoch")
    ap.add_argument("--L", type=int, default=28)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)
    configs = [
        ("cpu fp32, 1 thread", "cpu", False, 1),
        (f"cpu fp32, {os.cpu_count()} threads", "cpu", False, os.cpu_count()),
    ]
    if torch.cuda.is_available():
        configs += [("cuda fp32", "cuda", False, 1), ("cuda mixed precision", "cuda", True, 1)]
    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, L = {args.L}, "
        f"n = {args.n}, batch = {args.batch}, epochs = {args.epochs}; baseline: cpu fp32, 1 thread"
    )
    rows = []
    for model, arch in MODELS.items():
        base = None
        for label, device, mixed, threads in configs:
            sps = throughput(arch, device, mixed, threads, args.n, args.L, args.epochs, args.batch)
            base = base or sps
            rows.append(
                {"model": model, "config": label, "samples_per_s": sps, "ratio": sps / base}
            )
            print(f"{model:18s} {label:24s} {sps:12.0f} samples/s   x{sps / base:6.2f}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
