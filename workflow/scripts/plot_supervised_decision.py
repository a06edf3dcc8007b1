import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.supervised import plot_decision  # noqa: E402

log = setup(snakemake)
plot_decision(snakemake.input.outputs, snakemake.input.fits, snakemake.output[0])
