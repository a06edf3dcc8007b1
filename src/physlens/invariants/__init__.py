"""Pair datasets with known invariants for siamese networks (Wetzel et al. 2020).

Each generator returns pairs of points that either share the value of an invariant
(positive: two points of one Kepler orbit, a field and its Lorentz transform, a 4-vector and
its boost) or not (negative: the second members permuted), together with the ground-truth
invariant as a sympy expression in the feature names, so that what a network learned can be
checked symbolically.
"""

from physlens.invariants.generators import DATASETS, PairDataset, make_pairs

__all__ = ["DATASETS", "PairDataset", "make_pairs"]
