"""2D Ising Monte Carlo: numba kernels, sampling to HDF5, exact results, checks."""
