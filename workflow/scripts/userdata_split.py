import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.userdata.pipeline import write_split  # noqa: E402

setup(snakemake)
p = snakemake.params
write_split(
    snakemake.input.data, p.variables, p.windows, p.split, p.name, p.seed, snakemake.output[0]
)
