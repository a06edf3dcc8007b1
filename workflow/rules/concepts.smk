# Concept knobs, counterfactuals and confounders (issue #9, parts 3-4): concept directions in
# an autoencoder's latent space, the smallest latent change that flips a classifier, and a
# confounded Ising variant with the relevance check that flags it.
# Library: src/physlens/interpret/{counterfactuals,confounders}.py.
# Needs supervised.smk, interpret.smk and unsupervised.smk: include this file after them.

# Headline-number files of the stage, and its final files (lambdas: see interpret.smk).
concepts_headlines = lambda: []
concepts_targets = lambda: [] + concepts_headlines()
