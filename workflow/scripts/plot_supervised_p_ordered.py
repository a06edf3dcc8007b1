import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.supervised import plot_p_ordered  # noqa: E402

log = setup(snakemake)
plot_p_ordered(list(snakemake.input[:-1]), snakemake.input.table, snakemake.output[0])
