"""The representations stage (workflow/rules/representations.smk): what the interpreted nets
represent. The entry points the scripts call are :mod:`.pipeline` (model loading, embeddings,
similarity) and :mod:`.decision_pipeline` (activation maximisation, parsimony); the science
is in :mod:`.activations` (hidden layers and their activations), :mod:`.embeddings` (PCA,
t-SNE, UMAP), :mod:`.similarity` (CKA/SVCCA), :mod:`.maximisation` (activation maximisation,
top-k examples), :mod:`.lattices` (observables of maximisers, reference lattices) and
:mod:`.parsimony` (AIC/BIC of explanations); :mod:`.headlines` holds the headline records;
figures in :mod:`physlens.plots.representations`.
"""

# every seed and headline of this stage is keyed by it
STAGE = "representations"
