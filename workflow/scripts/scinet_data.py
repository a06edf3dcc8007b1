import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.scinet.pipeline import write_data  # noqa: E402

log = setup(snakemake)
ds = write_data(
    snakemake.wildcards.system, snakemake.params.scinet, snakemake.params.seed, snakemake.output[0]
)
log.info("%s: %d samples, %s", snakemake.wildcards.system, ds.sizes["sample"], dict(ds.sizes))
