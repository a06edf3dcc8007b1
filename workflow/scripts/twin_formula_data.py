import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.siamese.formulas import write_formula_data  # noqa: E402

log = setup(snakemake)
ds = write_formula_data(
    snakemake.wildcards.task, snakemake.params.formula, snakemake.params.seed, snakemake.output[0]
)
log.info("%s: %d points, %s", snakemake.wildcards.task, ds.sizes["point"], ds.attrs["formula"])
