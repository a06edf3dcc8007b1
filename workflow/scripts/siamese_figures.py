import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.siamese import plot_coefficients, plot_latent  # noqa: E402

setup(snakemake)
plot_latent(snakemake.input.latent, snakemake.input.report, snakemake.output.latent)
plot_coefficients(
    snakemake.input.coefficients, snakemake.input.report, snakemake.output.coefficients
)
