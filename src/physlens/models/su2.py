"""Phase classifier for raw SU(2) link configurations (Wetzel & Scherzer 2017, section on SU(2)).

Input: links (batch, N_t, N_s, N_s, N_s, 4, 4) — the unit quaternions of
:mod:`physlens.su2` (axes t, z, y, x, mu, component); output: one logit per configuration.

No gauge-invariant quantity is computed beforehand: the network sees the 16 raw link
components of every site. Its first layer is built so that it *can* represent the
Polyakov loop, which is a product of links along time:

* every time slice goes through the same periodic Conv3d over space (time folded into the
  batch: the layer is equivariant under time translations), giving C linear forms
  w_k . u(t, x) of the links around site x;
* the C channels are multiplied over the N_t slices, h_k(x) = prod_t w_k . u(t, x): a
  product of N_t linear forms, one per slice. For N_t = 2 and
  sum_k c_k h_k = a0 b0 - a1 b1 - a2 b2 - a3 b3 with a, b the two time links at x, this is
  1/2 tr U_0(x, 0) U_0(x, 1), the local Polyakov line (the c_k come from the head);
* the channels are averaged over space (the Polyakov loop is a spatial average), and a
  small MLP head (batch-normalised inputs) turns the C averages into a logit (so it can
  form |P| = relu(P) + relu(-P)).

Random weights compute gauge-variant junk; training has to find the gauge-invariant form.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from physlens.models import register
from physlens.models.ising import _activation


class PeriodicConv3d(nn.Conv3d):
    """Conv3d over a periodic 3D lattice: the output keeps the input's size."""

    def forward(self, x):
        k = self.kernel_size
        if any(ki > n for ki, n in zip(k, x.shape[-3:])):
            raise ValueError(f"kernel {k} is larger than the spatial lattice {tuple(x.shape[-3:])}")
        # pad after only: output site x sees the k^3 block starting at x, wrapped around
        x = F.pad(x, (0, k[2] - 1, 0, k[1] - 1, 0, k[0] - 1), mode="circular")
        return super().forward(x)


@register("su2_cnn")
class SU2PhaseCNN(nn.Module):
    """Time-product convolution -> spatial average -> MLP head -> logit (module docstring)."""

    def __init__(
        self, channels: int = 8, kernel: int = 1, hidden: int = 16, activation: str = "relu"
    ):
        super().__init__()
        if int(channels) < 1 or int(kernel) < 1 or int(hidden) < 1:
            raise ValueError(
                f"channels, kernel and hidden must be >= 1, got {channels}, {kernel}, {hidden}"
            )
        self.slice_conv = PeriodicConv3d(16, int(channels), int(kernel))
        # BatchNorm: the pooled products vary by O(0.1) while the head's biases are O(1), so
        # without it the ReLU units are locally linear in them, and a linear function has no
        # first-order signal for a target even in P (centre-symmetric data): training can
        # stall on that saddle (measured: 1 of 3 seeds on the default config).
        self.head = nn.Sequential(
            nn.BatchNorm1d(int(channels)),
            nn.Linear(int(channels), int(hidden)),
            _activation(activation),
            nn.Linear(int(hidden), 1),
        )

    def features(self, links: torch.Tensor) -> torch.Tensor:
        """Spatially averaged time-products (batch, channels)."""
        if links.dim() != 7 or links.shape[-2:] != (4, 4):
            raise ValueError(
                f"su2_cnn expects links of shape (batch, N_t, N_s, N_s, N_s, 4, 4), got {tuple(links.shape)}"
            )
        b, n_t, nz, ny, nx = links.shape[:5]
        # (b, t, z, y, x, mu, c) -> (b t, mu c, z, y, x): one 16-channel 3D image per slice
        x = links.reshape(b * n_t, nz, ny, nx, 16).permute(0, 4, 1, 2, 3)
        h = self.slice_conv(x).reshape(b, n_t, -1, nz, ny, nx)
        return h.prod(dim=1).mean(dim=(-3, -2, -1))

    def forward(self, links: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(links)).squeeze(-1)
