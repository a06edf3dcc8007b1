import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.siamese.pipeline import train_siamese  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
train_siamese(
    snakemake.input.pairs,
    snakemake.params.siamese,
    snakemake.params.training,
    snakemake.params.seed,
    snakemake.wildcards.dataset,
    dict(snakemake.output.items()),
    resume_dir=snakemake.params.resume_dir,
)
