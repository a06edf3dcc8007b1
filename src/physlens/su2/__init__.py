"""SU(2) lattice gauge theory Monte Carlo: heat bath + overrelaxation, numba kernels, HDF5.

Conventions
-----------
* Lattice: N_s^3 x N_t sites, periodic in all four directions (extents even, for the
  checkerboard update order).
* Links: ``links[t, z, y, x, mu, c]`` float64 (stored as float32 in the HDF5 file), the
  unit quaternion (a0, a1, a2, a3) of U_mu(x) = a0 * 1 + i (a1 s1 + a2 s2 + a3 s3) with s_k
  the Pauli matrices, so 1/2 tr U = a0 and U^dagger = (a0, -a1, -a2, -a3).
* Directions: mu = 0 is time (array axis t), mu = 1, 2, 3 are x, y, z.
* Action: Wilson, S = beta sum_x sum_{mu<nu} (1 - 1/2 Re tr U_mu,nu(x)), beta = 4 / g^2,
  U_mu,nu(x) = U_mu(x) U_nu(x+mu) U_mu(x+nu)^dagger U_nu(x)^dagger. (The talk's slide writes
  beta sum Re tr(1 - U); that normalisation differs by a factor 2 in beta. The critical
  coupling below is in the standard normalisation used here.)
* Observables: average plaquette <1/2 Re tr U_p> and Polyakov loop
  P = N_s^-3 sum_x 1/2 tr prod_t U_0(x, t) (real for SU(2)).

Modules: :mod:`.quaternion` (algebra), :mod:`.lattice` (geometry), :mod:`.kernels` (numba
updates and measurements), :mod:`.observables`, :mod:`.sampling` (chains, HDF5 output),
:mod:`.checks` (the Monte Carlo's headline numbers), :mod:`.candidates` (gauge-invariant
candidate observables for probing), :mod:`.learning` (the phase classifier on raw links,
its beta_c crossing and the probing of its logit) and :mod:`.scaling` (beta_c extrapolated over
several N_s from the susceptibility peaks and the classifiers' crossings).
"""

from physlens._lazy import lazy_exports

# The literature beta_c(N_t = 2) is a reference in resources/references.yaml, key
# "su2_beta_c_nt2" (physlens.references).
BETA_C_NT2_REF = "su2_beta_c_nt2"

LAYOUT_NOTE = (
    "links[beta, sample, t, z, y, x, mu, component]: unit quaternion (a0, a1, a2, a3) of "
    "U_mu(t, z, y, x) = a0 + i (a1 s1 + a2 s2 + a3 s3), s_k Pauli matrices; mu = 0 (t), 1 (x), "
    "2 (y), 3 (z); U_mu(x) points from site x to x + mu; periodic boundaries"
)

# The package's public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "Chain": ".sampling",
    "simulate_to_file": ".sampling",
    "make_lattice": ".lattice",
    "Lattice": ".lattice",
    "average_plaquette": ".observables",
    "polyakov_loop": ".observables",
    "gauge_transform": ".observables",
}
__all__ = ["BETA_C_NT2_REF", "LAYOUT_NOTE", *sorted(_EXPORTS)]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
