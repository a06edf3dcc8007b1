# Representations and what a unit wants (issue #9, parts 1-2, and parsimony): hidden-layer
# embeddings, CKA/SVCCA similarity across models and seeds, activation maximisation, top-k
# dataset examples, and BIC parsimony of each interpreted unit's explanations.
# Library: src/physlens/interpret/{representations,maximisation,parsimony}.py.
# Needs supervised.smk and interpret.smk: include this file after them.

# Headline-number files of the stage, and its final files (lambdas: see interpret.smk).
representations_headlines = lambda: []
representations_targets = lambda: [] + representations_headlines()
