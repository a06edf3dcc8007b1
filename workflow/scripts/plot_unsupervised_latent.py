import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.unsupervised import plot_latent_scatter  # noqa: E402

setup(snakemake)
plot_latent_scatter(list(snakemake.input), snakemake.output[0])
