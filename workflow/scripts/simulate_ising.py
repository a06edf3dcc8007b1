"""Rule simulate_ising: Monte Carlo samples of one lattice size -> results/ising/L{L}.h5."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.ising.sampling import simulate_to_file  # noqa: E402

log = setup(snakemake)
L = int(snakemake.wildcards.L)
simulate_to_file(snakemake.params.ising, L, snakemake.output[0], threads=snakemake.threads)
log.info("wrote %s", snakemake.output[0])
