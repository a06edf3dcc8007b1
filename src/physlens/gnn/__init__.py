"""Graph networks on particle systems and the force law read out of their messages
(Cranmer, Sanchez-Gonzalez, Battaglia, Xu, Cranmer, Spergel, Ho 2020, arXiv:2006.11287).

* :mod:`physlens.gnn.forces`    -- the pairwise force laws in NumPy (the truth), energies,
  and a plain NumPy velocity-Verlet integrator (reference for tests and the benchmark);
* :mod:`physlens.gnn.kernels`   -- the same integrator as numba kernels (the production path);
* :mod:`physlens.gnn.simulate`  -- random initial conditions, many short simulations, HDF5;
* :mod:`physlens.gnn.data`      -- node features, targets and splits from a simulation file;
* :mod:`physlens.gnn.train`     -- the training entry point (physlens.training's loop);
* :mod:`physlens.gnn.interpret` -- message sparsity, messages vs true forces, symbolic
  regression of the dominant message, headline numbers.

Its config slices are in :mod:`physlens.slices` (``gnn_*_slice``), its cross-key checks in
:mod:`physlens.crosskeys`. The network itself is :mod:`physlens.models.gnn` (``gnn_message_passing``), registered with
the other architectures so a saved model loads by name.
"""
