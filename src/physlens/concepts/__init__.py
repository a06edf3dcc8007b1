"""The concepts stage (workflow/rules/concepts.smk): concept knobs, counterfactuals and
confounders. The entry points the scripts call are :mod:`.pipeline` (counterfactuals and
knob sweeps) and :mod:`.confounder_pipeline` (the confounder experiment); the science is in
:mod:`.decoded` (decoded configurations, branch-wise concept directions),
:mod:`.counterfactuals` (latent concept directions, minimal decision flips) and
:mod:`.confounders` (confounded Ising data, the relevance check); :mod:`.headlines` holds the
records and judged headlines, :mod:`.settings` names the confounder models and data sets;
figures in :mod:`physlens.plots.concepts`.
"""

# every seed and headline of this stage is keyed by it
STAGE = "concepts"
