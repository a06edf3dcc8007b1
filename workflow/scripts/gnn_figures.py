import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.plots.gnn import (  # noqa: E402
    plot_message_std,
    plot_messages,
    plot_pareto,
    plot_snapshot,
)

setup(snakemake)
plot_messages(snakemake.input.messages, snakemake.input.report, snakemake.output.messages)
plot_message_std(snakemake.input.messages, snakemake.input.report, snakemake.output.std)
plot_pareto(snakemake.input.pareto, snakemake.input.report, snakemake.output.pareto)
plot_snapshot(snakemake.input.sims, snakemake.output.snapshot)
