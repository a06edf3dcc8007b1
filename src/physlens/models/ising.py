"""Networks for Ising spin configurations (Carrasquilla & Melko 2017; Wetzel & Scherzer 2017).

All convolutions pad circularly: the lattices have periodic boundaries, so every site sees
the same neighbourhood and the networks stay translation invariant.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "softplus": nn.Softplus,
    "softsign": nn.Softsign,
}
ODD_ACTIVATIONS = {"tanh", "softsign"}


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def periodic_pad(x: torch.Tensor, ky: int, kx: int) -> torch.Tensor:
    """Pad (..., L, L) so that a valid ky x kx convolution keeps the size on the torus.

    Pad only after/below: the receptive field of output site (i, j) is the ky x kx block
    starting at (i, j), wrapped around the torus.
    """
    if ky > x.shape[-2] or kx > x.shape[-1]:
        raise ValueError(f"kernel {ky}x{kx} is larger than the lattice {x.shape[-2]}x{x.shape[-1]}")
    return F.pad(x, (0, kx - 1, 0, ky - 1), mode="circular")


class PeriodicConv2d(nn.Conv2d):
    """Conv2d over a periodic lattice: output has the input's size for any kernel <= L."""

    def forward(self, x):
        return super().forward(periodic_pad(x, *self.kernel_size))


class PhaseCNN(nn.Module):
    """Phase classifier for any L: periodic conv layers, global average pooling, linear logit.

    ``z2_odd=True`` (default) builds the conv stack without biases and with an odd activation,
    so every pooled feature is odd under s -> -s; the head sees their absolute values. The
    classifier is then exactly Z2 invariant and can represent global order parameters such
    as |M| (the first layer's plain average is M itself), which a sum of local terms cannot:
    GAP followed by a linear layer computes only lattice averages of local quantities
    (energy-like), whose value at Tc is not singular.

    ``in_channels`` > 1 takes configurations (batch, channels, L, L), e.g. a vector spin's
    components; the default takes scalar spins (batch, L, L).
    """

    def __init__(
        self,
        channels=(8, 8),
        kernel: int = 3,
        activation: str = "tanh",
        z2_odd: bool = True,
        in_channels: int = 1,
    ):
        super().__init__()
        if z2_odd and activation not in ODD_ACTIVATIONS:
            raise ValueError(
                f"z2_odd needs an odd activation ({sorted(ODD_ACTIVATIONS)}), got {activation!r}"
            )
        layers, c_in = [], int(in_channels)
        for c in channels:
            layers += [
                PeriodicConv2d(c_in, int(c), int(kernel), bias=not z2_odd),
                _activation(activation),
            ]
            c_in = int(c)
        self.features = nn.Sequential(*layers)
        self.z2_odd = bool(z2_odd)
        self.head = nn.Linear(c_in, 1)
        # Factor on the pooled |features| before the head: 1 in training; a net trained at L0
        # and applied at L uses (L/L0)^(beta/nu) (finite-size scaling, see physlens.phase.crossing).
        # A plain attribute, not a buffer: it is a property of the evaluation, not of the weights.
        self.order_scale = 1.0

    def forward(self, spins):
        x = spins.unsqueeze(1) if spins.dim() == 3 else spins
        h = self.features(x).mean(dim=(-2, -1))
        return self.head(h.abs() * self.order_scale if self.z2_odd else h).squeeze(-1)


class ProbeNet(nn.Module):
    """Correlation-probing net: ky x kx convolution -> nonlinearity -> lattice average -> logit.

    The lattice average makes the output a function of an intensive average of one local
    quantity computed on a ky x kx patch, so the receptive field bounds which correlations
    the network can use (1x1: only the magnetisation; 1x2: nearest-neighbour products).
    """

    def __init__(self, kernel=(1, 2), channels: int = 4, activation: str = "tanh"):
        super().__init__()
        ky, kx = (int(k) for k in kernel)
        self.conv = PeriodicConv2d(1, int(channels), (ky, kx))
        self.act = _activation(activation)
        self.head = nn.Linear(int(channels), 1)

    def forward(self, spins):
        h = self.act(self.conv(spins.unsqueeze(1)))
        return self.head(h.mean(dim=(-2, -1))).squeeze(-1)


class ConstantModel(nn.Module):
    """Baseline that ignores the input: one learned logit (loss ln 2 on balanced classes)."""

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, spins):
        return self.bias.expand(spins.shape[0])
