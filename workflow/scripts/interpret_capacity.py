import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.interpret.pipeline import run_capacity  # noqa: E402

log = setup(snakemake)
p, o = snakemake.params, snakemake.output
res = run_capacity(snakemake.input[0], p.ablation, p.seed, o.table, o.headline)
log.info("capacity: %s", res)
