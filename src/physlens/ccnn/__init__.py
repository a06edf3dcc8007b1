"""Correlator convolutional networks (Miles et al., Nat. Commun. 12, 3905 (2021)).

Modules: :mod:`.correlators` (the correlator maps, recursive and brute force, and the
translation-averaged low-order statistics), :mod:`.ensembles` (ensemble pairs with known
distinguishing correlations, HDF5), :mod:`.model` (the CCNN and a plain CNN of similar
size), :mod:`.path` (the L1 regularisation path and the filter-support check),
:mod:`.pipeline` (the entry points the workflow scripts call).
"""
