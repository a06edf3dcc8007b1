import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.unsupervised import plot_pca_components  # noqa: E402

setup(snakemake)
plot_pca_components(snakemake.input[0], snakemake.output[0])
