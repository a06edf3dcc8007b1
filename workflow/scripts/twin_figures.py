import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.siamese import (  # noqa: E402
    plot_benchmark_table,
    plot_formula_benchmark,
    plot_twin_predictions,
)

setup(snakemake)
inputs, out = snakemake.input, snakemake.output
if "predictions" in out.keys():
    plot_twin_predictions(inputs.predictions, out.predictions)
    plot_benchmark_table(inputs.table, out.table)
if "formula" in out.keys():
    plot_formula_benchmark(inputs.formula_table, inputs.headline, out.formula)
