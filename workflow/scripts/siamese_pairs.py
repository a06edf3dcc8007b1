import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.siamese.pipeline import write_pairs  # noqa: E402

log = setup(snakemake)
ds = write_pairs(
    snakemake.wildcards.dataset,
    snakemake.params.siamese,
    snakemake.params.seed,
    snakemake.output[0],
)
log.info(
    "%s: %d pairs, invariants %s",
    snakemake.wildcards.dataset,
    ds.sizes["pair"],
    ds.attrs["invariants"],
)
