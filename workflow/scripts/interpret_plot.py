import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.interpret import draw_figure  # noqa: E402

log = setup(snakemake)
draw_figure(snakemake.rule, list(snakemake.input), list(snakemake.output))
