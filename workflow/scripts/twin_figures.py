import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.siamese import plot_benchmark_table, plot_twin_predictions  # noqa: E402

setup(snakemake)
plot_twin_predictions(snakemake.input.predictions, snakemake.output.predictions)
plot_benchmark_table(snakemake.input.table, snakemake.output.table)
