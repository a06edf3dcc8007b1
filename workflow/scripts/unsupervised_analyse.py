import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.training import configure_torch  # noqa: E402
from physlens.unsupervised.pipeline import analyse_autoencoder  # noqa: E402

setup(snakemake)
p = snakemake.params
configure_torch(snakemake.threads)
analyse_autoencoder(
    snakemake.input.model,
    snakemake.input.meta,
    snakemake.input.data,
    snakemake.wildcards.model,
    p.data,
    p.clusters,
    p.tc,
    p.probing,
    p.seed,
    snakemake.output.latent,
    snakemake.output.ranking,
    snakemake.output.headline,
)
