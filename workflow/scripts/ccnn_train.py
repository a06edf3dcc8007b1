import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.ccnn.pipeline import train_models  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
train_models(
    snakemake.input.data,
    snakemake.wildcards.pair,
    snakemake.params.train,
    snakemake.params.training,
    snakemake.params.seed,
    dict(snakemake.output.items()),
    resume_dir=snakemake.params.resume_dir,
)
