import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.scinet.interpret import interpret_scinet  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
interpret_scinet(
    snakemake.input.data,
    snakemake.input.model,
    snakemake.input.meta,
    snakemake.wildcards.system,
    snakemake.params.interpret,
    snakemake.params.seed,
    dict(snakemake.output.items()),
)
