import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.supervised import plot_tc  # noqa: E402

log = setup(snakemake)
plot_tc(
    snakemake.input.table, snakemake.input.headline, snakemake.output[0], nu=snakemake.params.nu
)
