"""Siamese networks that discover invariants, and twin neural network regression.

Modules (each importable without Snakemake; thin scripts in workflow/scripts/ call them):

* :mod:`physlens.siamese.pipeline` -- pair data sets to HDF5, siamese training, accuracies.
* :mod:`physlens.siamese.interpret` -- what the bottleneck learned: rank correlations with the
  candidate invariants, sparse polynomial regression (up to a fitted monotone map), the
  symbolic engine on the same data, sympy checks, headline numbers.
* :mod:`physlens.siamese.tnnr` -- twin neural network regression: triplets, loop-consistency
  loss, anchor-averaged predictions with ensemble spread.
* :mod:`physlens.siamese.benchmark` -- TNNR against a single network and an ensemble.
* :mod:`physlens.siamese.formulas` -- the paper's physics-formula data sets (RCL circuit,
  Wheatstone bridge); :mod:`~physlens.siamese.formula_benchmark` benchmarks TNNR on them over
  repeated splits, :mod:`~physlens.siamese.formula_headlines` judges it.
"""

from physlens._lazy import lazy_exports

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "TwinRegressor": ".regressor",
    "run_benchmark": ".benchmark",
    "train_siamese": ".pipeline",
    "write_pairs": ".pipeline",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
