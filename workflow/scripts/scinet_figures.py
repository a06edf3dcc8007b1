import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.scinet import plot_latents  # noqa: E402

setup(snakemake)
plot_latents(snakemake.input.latents, snakemake.input.report, snakemake.output.latents)
