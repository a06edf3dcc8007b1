"""Correlator maps of a CCNN layer and their brute-force definition.

For a filter f on a window W and a configuration s, the order-n correlator map is

    c^(n)(x) = sum over n-subsets {a_1, ..., a_n} of W of  prod_i f(a_i) s(x + a_i),

the n-th elementary symmetric polynomial e_n of the window values v_a = f(a) s(x + a).
Newton's identities (the inclusion-exclusion over coinciding positions) give it from the
power sums P_k(x) = sum_a v_a^k, each one convolution of s^k with f^k:

    e_0 = 1,   e_n = (1/n) sum_{k=1..n} (-1)^(k-1) e_{n-k} P_k,

so orders 1..N cost N convolutions, linear in |W|, instead of C(|W|, n) tuple products.
This is the recursion of Miles et al. (2021) (their public code's NonlinearConvolution).
Boundaries are periodic (the lattices here are tori), so the spatial mean of c^(n) is an
exact translation average.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import torch
import torch.nn.functional as F

from physlens.models.ising import periodic_pad


def periodic_conv(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """out[b, k, y, x] = sum_a weight[k, 0, a] x[b, 0, (y, x) + a] on the torus."""
    return F.conv2d(periodic_pad(x, *weight.shape[-2:]), weight)


def correlator_maps(spins: torch.Tensor, filters: torch.Tensor, max_order: int) -> torch.Tensor:
    """c^(n) for n = 1..max_order by Newton's recursion: (B, K, max_order, L, L).

    `spins` (B, L, L) may hold any real values (the recursion does not assume s^2 = 1);
    `filters` is (K, h, w).
    """
    x = spins.unsqueeze(1)
    f = filters.unsqueeze(1)
    power_sums = [periodic_conv(x**k, f**k) for k in range(1, max_order + 1)]
    e = [torch.ones_like(power_sums[0])]
    for n in range(1, max_order + 1):
        acc = torch.zeros_like(power_sums[0])
        for k in range(1, n + 1):
            acc = acc + (-1) ** (k - 1) * e[n - k] * power_sums[k - 1]
        e.append(acc / n)
    return torch.stack(e[1:], dim=2)


def correlator_features(spins: torch.Tensor, filters: torch.Tensor, max_order: int) -> torch.Tensor:
    """Spatial means of the correlator maps: (B, K, max_order)."""
    return correlator_maps(spins, filters, max_order).mean(dim=(-2, -1))


def brute_force_maps(spins: np.ndarray, filters: np.ndarray, max_order: int) -> np.ndarray:
    """The same maps by enumerating every n-subset of window cells (the definition)."""
    spins = np.asarray(spins, float)
    filters = np.asarray(filters, float)
    offsets = list(np.ndindex(*filters.shape[1:]))
    # shifted[a][b, y, x] = s[b, y + dy, x + dx] (periodic)
    shifted = {a: np.roll(spins, shift=(-a[0], -a[1]), axis=(-2, -1)) for a in offsets}
    out = np.zeros((len(spins), len(filters), max_order, *spins.shape[-2:]))
    for k, filt in enumerate(filters):
        for n in range(1, max_order + 1):
            for subset in combinations(offsets, n):
                term = np.ones_like(spins)
                for a in subset:
                    term = term * filt[a] * shifted[a]
                out[:, k, n - 1] += term
    return out
