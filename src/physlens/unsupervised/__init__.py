"""Unsupervised learning of the Ising phase transition (Wetzel 2017): PCA and (variational)
autoencoders trained on configurations from all temperatures without labels.

Modules: :mod:`.names` (model names and config slices; light, imported by the Snakefile),
:mod:`.data` (loading, symmetrisation, splits), :mod:`.pca`, :mod:`.latent` (losses,
encoding, latent parameter, phase clusters), :mod:`.tc` (Tc from the steepest change) and
:mod:`.pipeline` (the stage as functions of paths and config slices, called by the scripts).
"""
