import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.concepts import draw_figure  # noqa: E402

setup(snakemake)
draw_figure(snakemake.rule, list(snakemake.input), list(snakemake.output))
