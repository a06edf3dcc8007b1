import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.supervised import plot_losses  # noqa: E402

log = setup(snakemake)
plot_losses(snakemake.input[0], snakemake.output[0])
