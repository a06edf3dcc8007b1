import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.su2 import plot_beta_c_scaling  # noqa: E402

log = setup(snakemake)
plot_beta_c_scaling(snakemake.input.peaks, snakemake.input.crossings, snakemake.output[0])
