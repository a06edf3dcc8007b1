import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.gnn.pipeline import train_gnn  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
train_gnn(
    snakemake.input.sims,
    snakemake.params.gnn,
    snakemake.params.training,
    snakemake.params.seed,
    snakemake.wildcards.law,
    snakemake.wildcards.variant,
    dict(snakemake.output.items()),
    resume_dir=snakemake.params.resume_dir,
)
