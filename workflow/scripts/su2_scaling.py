"""Rule su2_scaling: beta_c extrapolated from the susceptibility peaks of every N_s."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.su2.scaling import peak_scaling  # noqa: E402

log = setup(snakemake)
p = snakemake.params
res = peak_scaling(
    dict(zip(p.sizes, snakemake.input)),
    p.scaling,
    p.seed,
    snakemake.output.table,
    snakemake.output.headline,
)
log.info("beta_c (susceptibility peaks, extrapolated) = %.4f +- %.4f", res["tc"], res["tc_err"])
