"""Rule su2_beta_c_scaling: beta_c extrapolated from the classifier crossings at every N_s."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.su2.scaling import crossing_scaling  # noqa: E402

log = setup(snakemake)
p = snakemake.params
res = crossing_scaling(
    dict(zip(p.sizes, snakemake.input)),
    p.bootstrap,
    p.nu,
    p.seed,
    snakemake.output.table,
    snakemake.output.headline,
)
log.info("beta_c (classifier crossings, extrapolated) = %.4f +- %.4f", res["tc"], res["tc_err"])
