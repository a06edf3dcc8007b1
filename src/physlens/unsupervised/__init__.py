"""Unsupervised learning of the Ising phase transition (Wetzel 2017): PCA and (variational)
autoencoders trained on configurations from all temperatures without labels.

Modules: :mod:`.names` (model names and config slices; light, imported by the Snakefile),
:mod:`.data` (loading, symmetrisation, splits), :mod:`.pca`, :mod:`.latent` (losses,
encoding, latent parameter, phase clusters), :mod:`.tc` (Tc from the steepest change) and
:mod:`.pipeline` (the stage as functions of paths and config slices, called by the scripts).
"""

from physlens._lazy import lazy_exports

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "fit_pca": ".pca",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
