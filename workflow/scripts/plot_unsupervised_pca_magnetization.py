import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.unsupervised import plot_pca_magnetization  # noqa: E402

setup(snakemake)
plot_pca_magnetization(snakemake.input[0], snakemake.output[0])
