import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.su2.learning import estimate_beta_c  # noqa: E402

log = setup(snakemake)
p = snakemake.params
res = estimate_beta_c(
    snakemake.input[0],
    {"beta_c": p.beta_c},
    p.seed,
    snakemake.output.table,
    snakemake.output.headline,
    sizes=p.sizes,
)
log.info(
    "beta_c = %.4f +- %.4f, test accuracy %.3f", res["beta_c"], res["beta_c_err"], res["accuracy"]
)
