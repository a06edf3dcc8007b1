"""Rule simulate_su2: SU(2) gauge configurations for every beta -> results/su2/configs.h5."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.su2.sampling import simulate_to_file  # noqa: E402

log = setup(snakemake)
simulate_to_file(snakemake.params.su2, snakemake.output[0], threads=snakemake.threads)
log.info("wrote %s", snakemake.output[0])
