"""Rule su2_checks: Polyakov-loop susceptibility peak vs beta_c and other headline numbers."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.su2.checks import write_checks  # noqa: E402

setup(snakemake)
write_checks(
    snakemake.input[0],
    snakemake.output[0],
    seed=snakemake.params.seed,
    sizes=snakemake.params.sizes,
)
