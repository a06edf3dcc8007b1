import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.userdata import overview  # noqa: E402

setup(snakemake)
i = snakemake.input
overview(
    i.ranking, i.phase, i.concepts, i.confounder, snakemake.params.reference, snakemake.output[0]
)
