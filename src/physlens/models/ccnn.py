"""Correlator convolutional network (Miles et al., Nat. Commun. 12, 3905 (2021)).

Learnable filters f_k on an h x w window -> correlator maps c_k^(n), n = 1..max_order
(:func:`physlens.ccnn.correlators.correlator_maps`) -> spatial means -> a fixed
standardisation (BatchNorm without affine parameters, as in the paper's code) -> one linear
logit. Everything the classifier sees is a translation-averaged correlation function.

The standardisation makes the logit invariant to the scale of each filter (c^(n) scales as
|f|^n), so an L1 penalty on the raw filters would only shrink them. The filters are
therefore used with unit L2 norm, f_k / |f_k|_2, and the L1 penalty acts on those: it then
prefers few window cells, i.e. short correlators, without changing what the net can express.

The plain CNN it is compared with is :class:`physlens.models.ising.ProbeNet` (periodic
convolution on the same window, ReLU, lattice average, linear logit).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from physlens.ccnn.correlators import correlator_features
from physlens.models import register


@register("ccnn")
class CorrelatorCNN(nn.Module):
    def __init__(self, n_filters: int = 4, window=(3, 3), max_order: int = 4):
        super().__init__()
        h, w = (int(v) for v in window)
        if int(max_order) < 1 or int(n_filters) < 1 or min(h, w) < 1:
            raise ValueError(
                f"n_filters = {n_filters}, window = {window}, max_order = {max_order}: "
                "each must be >= 1"
            )
        self.max_order = int(max_order)
        self.n_filters = int(n_filters)
        # Positive start (as the paper's code): every cell contributes and the recursion's
        # terms do not cancel at initialisation; the noise breaks the filters' symmetry.
        self.filters = nn.Parameter(0.5 + 0.1 * torch.randn(self.n_filters, h, w))
        n_features = self.n_filters * self.max_order
        self.norm = nn.BatchNorm1d(n_features, affine=False)
        self.linear = nn.Linear(n_features, 1)

    def unit_filters(self) -> torch.Tensor:
        """The filters as used: each scaled to unit L2 norm, (K, h, w)."""
        norm = self.filters.flatten(1).norm(dim=1).clamp_min(1e-12)
        return self.filters / norm.view(-1, 1, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Spatially averaged correlator features (B, K, max_order), before standardisation.

        Computed in the weights' precision even under autocast: the recursion subtracts
        large terms."""
        with torch.autocast(x.device.type, enabled=False):
            filters = self.unit_filters()
            return correlator_features(x.to(filters.dtype), filters, self.max_order)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.norm(self.features(x).flatten(1))).squeeze(-1)

    def l1_penalty(self) -> torch.Tensor:
        """Sum of |f| over the unit-norm filters: small for filters on few cells."""
        return self.unit_filters().abs().sum()
