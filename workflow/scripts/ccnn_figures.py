import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.ccnn import plot_features, plot_filters, plot_path  # noqa: E402

setup(snakemake)
plot_filters(snakemake.input.path, snakemake.input.report, snakemake.output.filters)
plot_path(snakemake.input.path, snakemake.input.report, snakemake.output.path)
plot_features(snakemake.input.features, snakemake.input.report, snakemake.output.features)
