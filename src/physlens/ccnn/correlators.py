"""Correlator maps of a CCNN layer and the low-order statistics of spin ensembles.

For a filter f on a window W and a configuration s, the order-n correlator map is

    c^(n)(x) = sum over n-subsets {a_1 < ... < a_n} of W of  prod_i f(a_i) s(x + a_i),

the n-th elementary symmetric polynomial e_n of the window values v_a = f(a) s(x + a).
Newton's identities give it from the power sums P_k(x) = sum_a v_a^k = conv(f^k, s^k)(x):

    e_0 = 1,   e_n = (1/n) sum_{k=1..n} (-1)^(k-1) e_{n-k} P_k,

so the cost is n_max convolutions (linear in |W|) instead of C(|W|, n) tuple products.
Boundaries are periodic (the lattices here are tori), so the spatial mean of c^(n) is an
exact translation average.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import torch
import torch.nn.functional as F


def circular_conv(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Cross-correlation of (B, 1, L, L) with (K, 1, h, w) on the torus: out[x] = sum_a w[a] x[x + a].

    The output pixel x sees window offsets a = (0..h-1, 0..w-1) measured from x, so padding
    goes on the bottom/right only.
    """
    h, w = weight.shape[-2:]
    padded = F.pad(x, (0, w - 1, 0, h - 1), mode="circular") if (h > 1 or w > 1) else x
    return F.conv2d(padded, weight)


def correlator_maps(spins: torch.Tensor, filters: torch.Tensor, max_order: int) -> torch.Tensor:
    """c^(n)(x) for n = 1..max_order by Newton's recursion; shape (B, K, max_order, L, L).

    `spins` (B, L, L) may hold any real values (the recursion does not assume s^2 = 1);
    `filters` is (K, h, w).
    """
    x = spins.unsqueeze(1)
    f = filters.unsqueeze(1)
    power_sums = [circular_conv(x**k, f**k) for k in range(1, max_order + 1)]
    e = [torch.ones_like(power_sums[0])]
    for n in range(1, max_order + 1):
        acc = torch.zeros_like(power_sums[0])
        for k in range(1, n + 1):
            acc = acc + (-1) ** (k - 1) * e[n - k] * power_sums[k - 1]
        e.append(acc / n)
    return torch.stack(e[1:], dim=2)


def correlator_features(spins: torch.Tensor, filters: torch.Tensor, max_order: int) -> torch.Tensor:
    """Spatial means of the correlator maps, flattened filter-major: (B, K * max_order),
    feature index = k * max_order + (n - 1)."""
    maps = correlator_maps(spins, filters, max_order)
    return maps.mean(dim=(-2, -1)).flatten(1)


def brute_force_maps(spins: np.ndarray, filters: np.ndarray, max_order: int) -> np.ndarray:
    """The same maps by enumerating every n-subset of window positions (the definition)."""
    spins = np.asarray(spins, float)
    filters = np.asarray(filters, float)
    n_filters, h, w = filters.shape
    offsets = [(dy, dx) for dy in range(h) for dx in range(w)]
    # shifted[a][b, y, x] = s[b, y + dy, x + dx] (periodic)
    shifted = {
        a: np.roll(spins, shift=(-a[0], -a[1]), axis=(-2, -1)) for a in offsets
    }
    out = np.zeros((len(spins), n_filters, max_order, *spins.shape[-2:]))
    for k in range(n_filters):
        for n in range(1, max_order + 1):
            for subset in combinations(offsets, n):
                term = np.ones_like(spins)
                for a in subset:
                    term = term * filters[k, a[0], a[1]] * shifted[a]
                out[:, k, n - 1] += term
    return out


def window_offsets(shape) -> list[tuple[int, int]]:
    h, w = shape
    return [(dy, dx) for dy in range(h) for dx in range(w)]


def pattern_average(spins: np.ndarray, sites) -> np.ndarray:
    """Per-configuration translation average of prod_{a in sites} s(x + a) on the torus: (B,)."""
    spins = np.asarray(spins, float)
    prod = np.ones_like(spins)
    for dy, dx in sites:
        prod = prod * np.roll(spins, shift=(-dy, -dx), axis=(-2, -1))
    return prod.mean(axis=(-2, -1))


# Low-order statistics reported for every ensemble: name -> (order, sites).
STATISTICS = {
    "magnetization": (1, [(0, 0)]),
    "nn_correlation_x": (2, [(0, 0), (0, 1)]),
    "nn_correlation_y": (2, [(0, 0), (1, 0)]),
    "diagonal_correlation": (2, [(0, 0), (1, 1)]),
    "triple_L": (3, [(0, 0), (0, 1), (1, 0)]),
    "plaquette": (4, [(0, 0), (0, 1), (1, 0), (1, 1)]),
}


def ensemble_statistics(spins: np.ndarray) -> dict[str, tuple[float, float]]:
    """Mean and standard error over configurations of each statistic in :data:`STATISTICS`."""
    out = {}
    for name, (_, sites) in STATISTICS.items():
        values = pattern_average(spins, sites)
        err = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
        out[name] = (float(values.mean()), float(err))
    return out
