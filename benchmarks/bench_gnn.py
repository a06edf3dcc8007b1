"""Graph-network stage: simulation steps/s, training throughput, message aggregation.

    .venv/bin/python benchmarks/bench_gnn.py [--threads 1] [--repeats 5] [--laws spring r2]

* simulation: velocity-Verlet particle-steps per second of the numba kernel
  (physlens.gnn.kernels.verlet_batch) against the plain NumPy loop over time steps
  (physlens.gnn.forces.verlet_numpy, vectorised over simulations) on the same initial
  conditions, measured in the same run;
* training: snapshots per second of one optimiser step (forward, loss with the L1 message
  penalty, backward, Adam) for the default config's network, per variant;
* aggregation: forward + backward of the message-passing network with the summed messages
  from one ``index_add_`` (physlens.models.gnn.aggregate) against torch_geometric's
  ``MessagePassing`` (aggr="add") with the same weights, on batches of complete graphs.
  Skipped, with a message, where torch_geometric is not importable (it is not a dependency
  of physlens; see docs/gnn.md for the measurement and how to repeat it).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

from physlens.gnn.forces import LAWS, verlet_numpy
from physlens.gnn.simulate import initial_conditions, run
from physlens.gnn.train import message_l1_loss
from physlens.models.gnn import GraphNetwork
from physlens.seeding import rng

# config/config.yaml: gnn.architecture and the per-law steps
ARCH = {"hidden": 64, "layers": 2, "activation": "relu"}
DT = {"spring": 0.01, "r1": 0.001, "r2": 0.0001, "charge": 0.0001}


def median_time(fn, repeats: int) -> float:
    """Median CPU seconds of this process per call: everything here runs on one thread, and
    CPU time, unlike wall time, does not grow when other jobs share the machine."""
    fn()  # warm-up: numba compilation, allocator, autograd graph
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return float(np.median(times))


def bench_simulation(laws, n_sims, n, steps, repeats):
    print(f"\n## Simulation: {n_sims} simulations x {n} bodies (2D), {steps} Verlet steps each\n")
    print(
        "| law | numba particle-steps per CPU-s | NumPy loop particle-steps per CPU-s | speed-up |"
    )
    print("| --- | --- | --- | --- |")
    x0, v0, m, q = initial_conditions(n_sims, n, 2, 0.5, rng(0, "bench", "gnn"))
    work = n_sims * n * steps
    for law in laws:
        fast = median_time(lambda: run(law, x0, v0, m, q, 0.01, DT[law], 2, steps), repeats)
        slow = median_time(
            lambda: verlet_numpy(law, x0, v0, m, q, 0.01, DT[law], 2, steps), repeats
        )
        print(f"| {law} | {work / fast:.3g} | {work / slow:.3g} | {slow / fast:.1f} |")


def bench_training(n, batch, n_batches, repeats):
    print(f"\n## Training step: batch {batch} snapshots of {n} bodies (2D), {n_batches} steps\n")
    print("| variant | message dim | snapshots per CPU-s | CPU-ms per step |")
    print("| --- | --- | --- | --- |")
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(batch * n_batches, n, 5, generator=gen)
    y = torch.randn(batch * n_batches, n, 2, generator=gen)
    for variant, msg_dim, l1 in (("standard", 100, 0.0), ("l1", 100, 0.05), ("bottleneck", 2, 0.0)):
        torch.manual_seed(0)
        model = GraphNetwork(2, 1, n, msg_dim, **ARCH)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = message_l1_loss(model, l1)

        def epoch():
            for k in range(n_batches):
                sl = slice(k * batch, (k + 1) * batch)
                opt.zero_grad()
                loss_fn(model(X[sl]), y[sl]).backward()
                opt.step()

        t = median_time(epoch, repeats)
        print(
            f"| {variant} | {msg_dim} | {batch * n_batches / t:.3g} | {1e3 * t / n_batches:.3g} |"
        )


def pyg_network(net: GraphNetwork):
    """torch_geometric MessagePassing with `net`'s edge and node functions (same weights)."""
    from torch_geometric.nn import MessagePassing

    class PygGraphNetwork(MessagePassing):
        def __init__(self):
            super().__init__(aggr="add")
            self.net = net

        def forward(self, x, edge_index):
            summed = self.propagate(edge_index, x=x)
            return self.net.node_fn(torch.cat([x, summed], dim=-1))

        def message(self, x_i, x_j):
            dim = self.net.dim
            dx = x_i[:, :dim] - x_j[:, :dim]
            r = torch.sqrt((dx**2).sum(-1, keepdim=True))
            return self.net.edge_fn(torch.cat([x_i, x_j, dx, r], dim=-1))

    return PygGraphNetwork()


def bench_aggregation(sizes, batch, repeats):
    print(f"\n## Message passing, forward + backward, batch {batch} complete graphs (2D)\n")
    try:
        import torch_geometric
    except ImportError:
        print(
            "torch_geometric is not importable here: only index_add_ is timed (install it in a "
            "separate environment to compare, docs/gnn.md)\n"
        )
        torch_geometric = None
    version = f" {torch_geometric.__version__}" if torch_geometric else ""
    print(
        f"| bodies | edges per graph | index_add_ CPU-ms | torch_geometric{version} CPU-ms | ratio |"
    )
    print("| --- | --- | --- | --- | --- |")
    for n in sizes:
        torch.manual_seed(0)
        net = GraphNetwork(2, 1, n, 100, **ARCH)
        X = torch.randn(batch, n, 5)

        def ours():
            net.zero_grad()
            net(X).sum().backward()

        t_ours = median_time(ours, repeats)
        if torch_geometric is None:
            print(f"| {n} | {n * (n - 1)} | {1e3 * t_ours:.3g} | skipped | |")
            continue
        pyg = pyg_network(net)
        offset = n * torch.arange(batch).repeat_interleave(len(net.receivers))
        # PyG's convention: edge_index[0] = source j, edge_index[1] = target i
        edge_index = torch.stack(
            [net.senders.repeat(batch) + offset, net.receivers.repeat(batch) + offset]
        )
        flat = X.reshape(-1, 5)
        torch.testing.assert_close(
            pyg(flat, edge_index).view(batch, n, 2), net(X), rtol=1e-5, atol=1e-6
        )

        def theirs():
            net.zero_grad()
            pyg(flat, edge_index).sum().backward()

        t_pyg = median_time(theirs, repeats)
        print(
            f"| {n} | {n * (n - 1)} | {1e3 * t_ours:.3g} | {1e3 * t_pyg:.3g} | "
            f"{t_pyg / t_ours:.2f} |"
        )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--laws", nargs="+", default=list(LAWS), choices=LAWS)
    p.add_argument("--sims", type=int, default=200, help="simulations per batch")
    p.add_argument("--steps", type=int, default=200, help="Verlet steps per simulation")
    p.add_argument("--batch", type=int, default=32, help="training batch (snapshots)")
    p.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16])
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{args.threads} thread(s), median of {args.repeats}, load average {load:.1f}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    bench_simulation(args.laws, args.sims, 4, args.steps, args.repeats)
    bench_training(4, args.batch, 50, args.repeats)
    bench_aggregation(args.sizes, args.batch, args.repeats)


if __name__ == "__main__":
    main()
