import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.ccnn.pipeline import write_ensembles  # noqa: E402

setup(snakemake)
pair = snakemake.wildcards.pair
write_ensembles(
    pair,
    snakemake.params.ccnn["pairs"][pair],
    snakemake.params.ccnn,
    snakemake.params.seed,
    dict(snakemake.output.items()),
    ising_path=snakemake.input.get("ising"),
)
