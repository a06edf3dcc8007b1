"""The interpretation machinery on a user's own data and models (workflow/rules/userdata.smk).

:mod:`.dataset` reads and checks a data set against the contract of docs/userdata.md and
labels and splits it; :mod:`.candidates` loads the user's observables (a Python module's
functions, vectorised :mod:`.expressions`, precomputed variables) beside the built-in
registry; :mod:`.models` loads a user's TorchScript file or state dict (or a model trained
through config) and checks that it fits the data; :mod:`.analysis` holds the science that
has no other home (the phase crossing, concept knobs in the hidden layer), :mod:`.headlines`
the records; the entry points the scripts call are :mod:`.pipeline` and
:mod:`.analysis_pipeline`. Figures in :mod:`physlens.plots.userdata`.
"""

# every seed and headline of this stage is keyed by it
STAGE = "userdata"
