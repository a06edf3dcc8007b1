"""Graph networks on particle systems and the force law read out of their messages
(Cranmer, Sanchez-Gonzalez, Battaglia, Xu, Cranmer, Spergel, Ho 2020, arXiv:2006.11287).

* :mod:`physlens.gnn.forces`    -- the pairwise force laws in NumPy (the truth), energies,
  and a plain NumPy velocity-Verlet integrator (reference for tests and the benchmark);
* :mod:`physlens.gnn.kernels`   -- the same integrator as numba kernels (the production path);
* :mod:`physlens.gnn.simulate`  -- random initial conditions, many short simulations;
* :mod:`physlens.gnn.data`      -- node features, targets and splits from a simulation file;
* :mod:`physlens.gnn.train`     -- network variants, architecture, the L1 message loss;
* :mod:`physlens.gnn.interpret` -- message sparsity, messages vs true forces, symbolic
  regression of the dominant message;
* :mod:`physlens.gnn.headlines` -- the headline records of one law;
* :mod:`physlens.gnn.pipeline`  -- the entry points the rules' scripts call.

Its config slices are in :mod:`physlens.slices` (``gnn_*_slice``), its cross-key checks in
:mod:`physlens.crosskeys`. The network itself is :mod:`physlens.models.gnn` (``gnn_message_passing``), registered with
the other architectures so a saved model loads by name.
"""
