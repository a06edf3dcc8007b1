import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.ccnn.interpret import interpret_pair  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
interpret_pair(
    snakemake.input.data,
    {k: snakemake.input[k] for k in ("ccnn_model", "ccnn_meta", "cnn_meta")},
    snakemake.input.statistics,
    snakemake.wildcards.pair,
    snakemake.params.ccnn,
    snakemake.params.seed,
    dict(snakemake.output.items()),
)
