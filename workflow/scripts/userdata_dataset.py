import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.userdata.pipeline import check_dataset  # noqa: E402

setup(snakemake)
p, o = snakemake.params, snakemake.output
check_dataset(
    snakemake.input.data, p.variables, p.windows, p.split, p.name, p.seed, o.split, o.report
)
