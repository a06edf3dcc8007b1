import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.su2 import plot_p_deconfined  # noqa: E402

log = setup(snakemake)
plot_p_deconfined(snakemake.input.predictions, snakemake.input.headline, snakemake.output[0])
