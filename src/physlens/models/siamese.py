"""Networks on pairs of points: siamese invariant finders and twin regression networks.

* ``siamese_mlp`` (Wetzel, Melko, Scott, Panju, Ganesh 2020): one shared encoder maps each
  member of a pair to a small bottleneck z; the logit ``a - b |z1 - z2|^2`` (b > 0) says
  "same group" when the encodings coincide. The logit is symmetric in the two members by
  construction, and the bottleneck is the candidate invariant.
* ``twin_mlp`` (Wetzel, Ryczko, Melko, Tamblyn 2022, twin neural network regression): F(a, b)
  predicts y(a) - y(b). The forward pass uses the antisymmetrised ½F(a,b) - ½F(b,a), which
  is exactly antisymmetric; on triplets it returns the three differences around the loop
  (a→b, b→c, c→a), whose sum the loop-consistency loss drives to zero.
* ``mlp_regressor``: the plain network of the same width used as the single / ensemble baseline.

Input layouts: pairs (batch, 2, features), triplets (batch, 3, features), points (batch, features).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from physlens.models import register
from physlens.models.ising import _activation


def mlp(n_in: int, hidden, n_out: int, activation: str) -> nn.Sequential:
    """Fully connected layers with `activation` between them (none after the last)."""
    layers, width = [], int(n_in)
    for h in hidden:
        layers += [nn.Linear(width, int(h)), _activation(activation)]
        width = int(h)
    layers.append(nn.Linear(width, int(n_out)))
    return nn.Sequential(*layers)


@register("siamese_mlp")
class SiameseNet(nn.Module):
    """Shared MLP encoder with a `bottleneck`-neuron output; logit a - softplus(b)·|z1 - z2|^2."""

    def __init__(
        self, n_features: int, hidden=(32, 32), bottleneck: int = 1, activation: str = "tanh"
    ):
        super().__init__()
        self.encoder = mlp(n_features, hidden, bottleneck, activation)
        self.offset = nn.Parameter(torch.tensor(1.0))
        self.raw_scale = nn.Parameter(torch.tensor(1.0))

    def encode(self, points: torch.Tensor) -> torch.Tensor:
        """Bottleneck z of points (..., features) -> (..., bottleneck)."""
        return self.encoder(points)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        if pairs.dim() != 3 or pairs.shape[1] != 2:
            raise ValueError(
                f"siamese_mlp expects pairs (batch, 2, features), got {tuple(pairs.shape)}"
            )
        z = self.encode(pairs)
        dist2 = (z[:, 0] - z[:, 1]).pow(2).sum(-1)
        # softplus keeps b > 0: a larger distance can only mean "different"
        return self.offset - F.softplus(self.raw_scale) * dist2


@register("twin_mlp")
class TwinNet(nn.Module):
    """F(a, b) ≈ y(a) - y(b) from the concatenated pair; antisymmetrised in forward()."""

    def __init__(self, n_features: int, hidden=(64, 64), activation: str = "relu"):
        super().__init__()
        self.net = mlp(2 * n_features, hidden, 1, activation)

    def raw(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The network itself, not antisymmetric: (batch, features) x 2 -> (batch,)."""
        return self.net(torch.cat([a, b], dim=-1)).squeeze(-1)

    def difference(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """F_sym(a, b) = ½F(a, b) - ½F(b, a); F_sym(b, a) = -F_sym(a, b) exactly in floating point."""
        return 0.5 * self.raw(a, b) - 0.5 * self.raw(b, a)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] not in (2, 3):
            raise ValueError(
                f"twin_mlp expects pairs or triplets (batch, 2|3, features), got {tuple(x.shape)}"
            )
        if x.shape[1] == 2:
            return self.difference(x[:, 0], x[:, 1])
        a, b, c = x[:, 0], x[:, 1], x[:, 2]
        return torch.stack(
            [self.difference(a, b), self.difference(b, c), self.difference(c, a)], dim=-1
        )


@register("mlp_regressor")
class MLPRegressor(nn.Module):
    """Plain MLP y(x): the single-network and ensemble baselines for twin regression."""

    def __init__(self, n_features: int, hidden=(64, 64), activation: str = "relu"):
        super().__init__()
        self.net = mlp(n_features, hidden, 1, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
