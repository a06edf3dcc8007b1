import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.ccnn.interpret import interpret_pair  # noqa: E402

setup(snakemake)
interpret_pair(
    snakemake.input.features,
    {k: snakemake.input[k] for k in ("ccnn_meta", "cnn_meta")},
    snakemake.input.statistics,
    snakemake.wildcards.pair,
    snakemake.params.path,
    snakemake.params.seed,
    dict(snakemake.output.items()),
)
