"""Correlator convolutional networks (Miles et al., Nat. Commun. 12, 3905 (2021)).

Modules: :mod:`.correlators` (the correlator maps by the recursive formula, and by brute
force), :mod:`.ensembles` (ensemble pairs with known distinguishing correlations, their
statistics, HDF5), :mod:`.settings` (config checks and slices, the known answers),
:mod:`.pipeline` (training the CCNN and the plain CNN, the correlator features),
:mod:`.path` (the L1 regularisation path, the filter's support and correlator shapes),
:mod:`.interpret` (the path rule's entry point and the headline numbers). The network
itself is :class:`physlens.models.ccnn.CorrelatorCNN`.
"""
