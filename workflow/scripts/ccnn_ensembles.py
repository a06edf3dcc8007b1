import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.ccnn.ensembles import write_ensembles  # noqa: E402

setup(snakemake)
write_ensembles(
    snakemake.wildcards.pair,
    snakemake.params.data,
    snakemake.params.seed,
    dict(snakemake.output.items()),
    ising_path=snakemake.input.get("ising"),
)
