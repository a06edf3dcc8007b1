"""The representations stage (workflow/rules/representations.smk): what the interpreted nets
represent. :mod:`.pipeline` holds the entry points the scripts call; the science is in
:mod:`.similarity` (CKA/SVCCA, embeddings), :mod:`.maximisation` (activation maximisation,
top-k examples) and :mod:`.parsimony` (AIC/BIC of explanations); figures in
:mod:`physlens.plots.representations`.
"""
