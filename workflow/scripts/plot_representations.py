import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.representations import draw_figures  # noqa: E402

log = setup(snakemake)
draw_figures(snakemake.input, snakemake.output)
