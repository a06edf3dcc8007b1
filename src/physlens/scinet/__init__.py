"""SciNet (Iten, Metger, Wilming, del Rio, Renner 2020): physical concepts from a network that
answers questions from a compressed representation.

Modules (each importable without Snakemake; thin scripts in workflow/scripts/ call them):

* :mod:`physlens.scinet.systems` -- the damped pendulum and the heliocentric solar system:
  exact solutions and seeded data sets.
* :mod:`physlens.scinet.latents` -- the loss, and the checks of the latent layer on arrays
  (active units by KL, one-to-one assignment to parameters, angle fits, rotation increments).
* :mod:`physlens.scinet.pipeline` -- data to HDF5 and training (physlens.training).
* :mod:`physlens.scinet.interpret` -- the checks on a trained network's held-out latents.
* :mod:`physlens.scinet.headlines` -- the stage's headline numbers.

The networks are ``scinet`` and ``scinet_evolve`` in :mod:`physlens.models.scinet`.
"""
