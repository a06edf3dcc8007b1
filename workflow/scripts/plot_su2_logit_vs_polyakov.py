import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.su2 import plot_logit_vs_polyakov  # noqa: E402

log = setup(snakemake)
plot_logit_vs_polyakov(snakemake.input[0], snakemake.output[0])
