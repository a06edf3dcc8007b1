"""The concepts stage (workflow/rules/concepts.smk): concept knobs, counterfactuals and
confounders. :mod:`.pipeline` holds the entry points the scripts call; the science is in
:mod:`.counterfactuals` (latent concept directions, minimal decision flips) and
:mod:`.confounders` (confounded Ising data, the relevance check); :mod:`.settings` names the
confounder models and data sets; figures in :mod:`physlens.plots.concepts`.
"""
