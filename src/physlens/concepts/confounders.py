"""Right for the right reasons: spurious markers and the relevance check that catches them.

The physics of a periodic lattice is translation invariant, so averaged over many samples
no fixed region of the lattice can matter more than its area says. A model whose relevance
mass piles up on one fixed region (a corner patch, a boundary row) has learned something
with no physical meaning: a confounder. :func:`confounder_check` measures, for every region
of a partition of the lattice, the share of |relevance| it receives divided by its area
fraction (the enrichment), and flags the model when the largest enrichment exceeds a
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import xarray as xr


def marker_mask(L: int, region: tuple[int, int, int, int]) -> np.ndarray:
    """Boolean (L, L) mask of the rectangle (y0, x0, height, width)."""
    y0, x0, h, w = region
    if not (0 <= y0 and 0 <= x0 and h > 0 and w > 0 and y0 + h <= L and x0 + w <= L):
        raise ValueError(f"marker region {region} does not fit in a {L}x{L} lattice")
    mask = np.zeros((L, L), bool)
    mask[y0 : y0 + h, x0 : x0 + w] = True
    return mask


def add_marker(
    spins: np.ndarray, labels: np.ndarray, region, pattern: str = "checkerboard"
) -> np.ndarray:
    """Copy of `spins` (n, L, L) with a fixed spin pattern stamped on the samples with label 1.

    The checkerboard pattern is the most un-ordered patch there is, so a model that keys on
    it cannot be doing physics.
    """
    spins = np.array(spins, copy=True)
    mask = marker_mask(spins.shape[-1], region)
    yy, xx = np.nonzero(mask)
    if pattern == "checkerboard":
        values = np.where((yy + xx) % 2 == 0, 1, -1).astype(spins.dtype)
    elif pattern == "up":
        values = np.ones(len(yy), spins.dtype)
    else:
        raise ValueError(f"marker pattern {pattern!r}: use 'checkerboard' or 'up'")
    idx = np.flatnonzero(np.asarray(labels) == 1)
    spins[idx[:, None], yy[None, :], xx[None, :]] = values
    return spins


def relevance_share(relevance: np.ndarray, mask: np.ndarray) -> float:
    """Share of the total |relevance| (summed over samples) that falls inside `mask`."""
    mass = np.abs(np.asarray(relevance, float)).reshape(-1, *mask.shape).sum(0)
    total = mass.sum()
    return float(mass[mask].sum() / total) if total > 0 else 0.0


def patch_regions(L: int, patch: int) -> dict[str, np.ndarray]:
    """A partition of the lattice into patch x patch squares (edge patches may be smaller)."""
    regions = {}
    for y0 in range(0, L, patch):
        for x0 in range(0, L, patch):
            h, w = min(patch, L - y0), min(patch, L - x0)
            regions[f"y{y0}:{y0 + h},x{x0}:{x0 + w}"] = marker_mask(L, (y0, x0, h, w))
    return regions


@dataclass
class ConfounderReport:
    flagged: bool
    region: str  # the most enriched region
    share: float  # its share of the relevance mass
    area_fraction: float
    enrichment: float  # share / area_fraction
    threshold: float
    table: dict  # region -> enrichment

    def message(self) -> str:
        verdict = "FLAGGED" if self.flagged else "passed"
        return (
            f"confounder check {verdict}: region {self.region} holds {self.share:.1%} of the "
            f"relevance on {self.area_fraction:.1%} of the lattice (enrichment "
            f"{self.enrichment:.1f}, threshold {self.threshold:g})"
        )


def confounder_check(
    relevance: np.ndarray, regions: dict[str, np.ndarray], threshold: float = 3.0
) -> ConfounderReport:
    """Flag a model whose relevance concentrates on one fixed region (see module docstring)."""
    table = {}
    for name, mask in regions.items():
        share = relevance_share(relevance, mask)
        table[name] = (share, mask.mean(), share / mask.mean())
    name = max(table, key=lambda k: table[k][2])
    share, area, enrichment = table[name]
    return ConfounderReport(
        flagged=enrichment > threshold,
        region=name,
        share=share,
        area_fraction=float(area),
        enrichment=float(enrichment),
        threshold=threshold,
        table={k: v[2] for k, v in table.items()},
    )


def check_regions(L: int, patches) -> dict:
    """Union of the partitions of the lattice into p x p squares, for every p in `patches`."""
    regions = {}
    for p in patches:
        regions.update(patch_regions(L, int(p)))
    return regions


def expected_flag(model: str, dataset: str) -> bool:
    """The verdict physics and the experiment's design predict: only the confounded model, on
    data that carry the marker, concentrates its relevance on one fixed region (a
    translation-invariant net cannot single out a region of data that have none)."""
    return model == "confounded" and dataset in ("confounded", "swapped")


def confounder_band(ds: xr.Dataset, temperatures) -> xr.Dataset:
    """The temperatures of `ds` inside the band [lo, hi] (concepts.confounders.temperatures)."""
    lo, hi = temperatures
    T = ds["temperature"].values
    return ds.isel(temperature=np.flatnonzero((T >= lo - 1e-9) & (T <= hi + 1e-9)))
