"""The correlator CNN and a plain CNN of similar size (registered for physlens.training).

CCNN: learnable filters f_k on an h x w window -> correlator maps c_k^(n), n = 1..max_order
(:func:`physlens.ccnn.correlators.correlator_maps`) -> spatial means -> a fixed
standardisation (BatchNorm without affine parameters) -> one linear logit. Everything the
classifier sees is a translation-averaged correlation function.

The standardisation makes the logit invariant to the scale of each filter (c^(n) scales as
|f|^n), so an L1 penalty on the raw filters would only shrink them. The filters are
therefore used with unit L2 norm, f_k / |f_k|_2, and the L1 penalty acts on those: it then
prefers few window cells, i.e. short correlators, without changing what the net can express.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from physlens.ccnn.correlators import circular_conv, correlator_features
from physlens.models import register


@register("ccnn")
class CorrelatorCNN(nn.Module):
    def __init__(self, n_filters: int = 4, window=(3, 3), max_order: int = 4):
        super().__init__()
        if int(max_order) < 1:
            raise ValueError(f"max_order = {max_order} must be >= 1")
        h, w = (int(v) for v in window)
        self.max_order = int(max_order)
        self.filters = nn.Parameter(0.5 + 0.1 * torch.randn(int(n_filters), h, w))
        self.norm = nn.BatchNorm1d(int(n_filters) * self.max_order, affine=False)
        self.linear = nn.Linear(int(n_filters) * self.max_order, 1)

    def unit_filters(self) -> torch.Tensor:
        """The filters as used: each scaled to unit L2 norm, (K, h, w)."""
        norm = self.filters.flatten(1).norm(dim=1).clamp_min(1e-12)
        return self.filters / norm.view(-1, 1, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Spatially averaged correlator features (B, K * max_order), before standardisation."""
        return correlator_features(x, self.unit_filters(), self.max_order)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.norm(self.features(x))).squeeze(-1)


@register("plain_cnn")
class PlainCNN(nn.Module):
    """conv (h x w, periodic) -> ReLU -> spatial mean -> linear: the same receptive field and
    about the same number of weights as a CCNN, but no explicit correlators."""

    def __init__(self, channels: int = 5, window=(3, 3)):
        super().__init__()
        h, w = (int(v) for v in window)
        self.weight = nn.Parameter(torch.randn(int(channels), 1, h, w) / (h * w) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(int(channels)))
        self.linear = nn.Linear(int(channels), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = circular_conv(x.unsqueeze(1), self.weight) + self.bias.view(1, -1, 1, 1)
        return self.linear(torch.relu(h).mean(dim=(-2, -1))).squeeze(-1)


def n_parameters(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def l1_filter_penalty(model: nn.Module) -> torch.Tensor:
    """Sum of |f| over the unit-norm CCNN filters (zero for other models): sparse filters."""
    if isinstance(model, CorrelatorCNN):
        return model.unit_filters().abs().sum()
    return torch.zeros(())
