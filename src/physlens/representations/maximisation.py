"""What a unit wants: activation maximisation over spin configurations, and dataset examples.

Spins are relaxed to continuous values s = tanh(u) in (-1, 1); the objective is the unit's
activation minus a penalty lambda * mean(1 - s^2) that pulls every spin to +-1, so the
optimum rounds cleanly to a spin configuration. The start is tiny and the penalty is ramped
up from zero, with plain gradient ascent: near s = 0 the dynamics are linear, so the mode
the unit favours most (uniform, staggered, striped, ...) outgrows the others before the
spins saturate, instead of freezing random domain walls in. Several seeded random starts
guard against the remaining local optima; the best rounded configuration (by the unit's
activation on the *rounded* spins) is returned.

Trained nets differ in how steep they are: a unit whose every input site feeds every output
site (a full-lattice kernel) has gradients ~N times those of a local one, and plain steps
of size lr then saturate all spins at once into whatever the first step pointed to.
``normalise_gradient=True`` divides each start's gradient by its root mean square over the
sites, so every step moves a site by about lr whatever the unit's scale, and the direction
(hence the mode selection above) is unchanged. The workflow uses it; the default keeps
plain gradient ascent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Maximiser:
    """Result: the best rounded configuration, its activation, and every start's outcome."""

    config: np.ndarray  # (L, L) int8
    activation: float
    start_activations: np.ndarray  # activation of each start's rounded optimum
    continuous: np.ndarray  # (L, L) float, the relaxed optimum of the best start


def unit_activation(model: torch.nn.Module, layer: torch.nn.Module | None, unit) -> Callable:
    """f(x) -> (batch,) activation of `unit` of `layer` (the model output when layer is None).

    `unit` indexes the layer's output after the batch dimension (an int for a channel, a
    tuple for a single position; channels are averaged over positions when given an int).
    """

    def f(x: torch.Tensor) -> torch.Tensor:
        if layer is None:
            out = model(x)
        else:
            store = {}
            handle = layer.register_forward_hook(lambda m, i, o: store.__setitem__("o", o))
            try:
                model(x)
            finally:
                handle.remove()
            out = store["o"]
        if out.dim() == 1:
            return out
        sel = out[(slice(None), *((unit,) if isinstance(unit, int) else unit))]
        return sel.reshape(len(x), -1).mean(1)

    return f


def maximise_activation(
    activation: Callable[[torch.Tensor], torch.Tensor],
    L: int,
    *,
    seed: int,
    n_starts: int = 8,
    steps: int = 300,
    lr: float = 0.5,
    penalty: float = 0.1,
    init_scale: float = 1e-3,
    sign: float = 1.0,
    normalise_gradient: bool = False,
) -> Maximiser:
    """Maximise sign * activation over L x L spin lattices (see module docstring)."""
    gen = torch.Generator().manual_seed(int(seed) % (2**63))
    u = (init_scale * torch.randn(n_starts, L, L, generator=gen)).requires_grad_(True)
    opt = torch.optim.SGD([u], lr=lr)
    for step in range(steps):
        s = torch.tanh(u)
        ramp = penalty * step / max(1, steps - 1)
        # per-site objective (times L*L) so that lr does not depend on the lattice size
        objective = L * L * (sign * activation(s) - ramp * (1 - s**2).mean(dim=(1, 2)))
        opt.zero_grad()
        (-objective.sum()).backward()
        if normalise_gradient:
            with torch.no_grad():
                rms = u.grad.pow(2).mean(dim=(1, 2), keepdim=True).sqrt()
                u.grad /= rms.clamp_min(1e-30)
        opt.step()
    with torch.no_grad():
        relaxed = torch.tanh(u)
        rounded = torch.where(relaxed >= 0, 1.0, -1.0)
        acts = sign * activation(rounded)
    best = int(torch.argmax(acts))
    return Maximiser(
        config=rounded[best].numpy().astype(np.int8),
        activation=float(acts[best] * sign),
        start_activations=(acts * sign).numpy(),
        continuous=relaxed[best].numpy(),
    )


def top_k_examples(activations: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k dataset configurations that excite the unit most (descending)."""
    activations = np.asarray(activations)
    k = min(k, len(activations))
    idx = np.argpartition(-activations, k - 1)[:k]
    return idx[np.argsort(-activations[idx], kind="stable")]
