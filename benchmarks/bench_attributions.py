"""Cost of attributions per sample relative to one forward + backward pass of the same model.

    .venv/bin/python benchmarks/bench_attributions.py [--batch 64] [--repeats 5] [--threads 1]

Models: the 1x2 correlation-probing net (physlens.models ProbeNet, 4 channels, tanh) and the
phase-classifier CNN (PhaseCNN, two 3x3 periodic conv layers of 8 channels, ReLU), both on
28x28 lattices, float32. Baseline, measured in the same run on the same batch: logits and
their gradient with respect to the input (forward + backward). Prints median seconds per
sample and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from physlens.interpret import attributions as A
from physlens.interpret.lrp import lrp
from physlens.models import build_model

MODELS = {
    "probe 1x2 (4 ch, tanh)": {
        "name": "probe",
        "kernel": [1, 2],
        "channels": 4,
        "activation": "tanh",
    },
    "phase CNN (8-8 ch, 3x3, relu)": {"name": "phase_cnn", "channels": [8, 8], "kernel": 3},
}


def forward_backward(model, x):
    x = x.clone().requires_grad_(True)
    model(x).sum().backward()
    return x.grad


def methods(seed):
    return {
        "forward+backward (baseline)": forward_backward,
        "LRP (epsilon)": lambda m, x: lrp(m, x, rule="epsilon"),
        "integrated gradients (64 steps)": lambda m, x: A.integrated_gradients(m, x, n_steps=64),
        "saliency": lambda m, x: A.saliency(m, x),
        "SmoothGrad (32 samples)": lambda m, x: A.smoothgrad(m, x, seed=seed, nt_samples=32),
        "DeepLIFT": lambda m, x: A.deeplift(m, x),
    }


def median_time(fn, repeats) -> float:
    fn()  # warm-up (captum hooks, allocator)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--L", type=int, default=28)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = (torch.randint(0, 2, (args.batch, args.L, args.L)) * 2 - 1).float()
    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{args.threads} thread(s), batch {args.batch}, L = {args.L}, median of {args.repeats}"
    )
    print("| model | method | s per sample | ratio to forward+backward |")
    print("| --- | --- | --- | --- |")
    for name, arch in MODELS.items():
        model = build_model(arch).eval()
        base = None
        for label, fn in methods(seed=1).items():
            t = median_time(lambda: fn(model, x), args.repeats) / args.batch
            base = t if base is None else base
            print(f"| {name} | {label} | {t:.3g} | {t / base:.1f} |")


if __name__ == "__main__":
    main()
