import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.supervised.pipeline import analyse_tc  # noqa: E402

log = setup(snakemake)
p = snakemake.params
res = analyse_tc(
    dict(zip(p.sizes, snakemake.input)),
    p.tc,
    p.seed,
    snakemake.output.table,
    snakemake.output.headline,
)
log.info("Tc = %.4f +- %.4f from L = %s", res["tc"], res["tc_err"], p.sizes)
