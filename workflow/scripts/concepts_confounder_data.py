import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.concepts.confounder_pipeline import write_confounder_data  # noqa: E402

setup(snakemake)
p = snakemake.params
write_confounder_data(
    snakemake.input[0], p.confounders, p.seed, dict(zip(p.datasets, snakemake.output))
)
