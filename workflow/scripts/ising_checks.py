"""Rule ising_checks: Ising samples vs Onsager/Kaufman -> headline.json, checks.csv, figure."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.ising.checks import run_checks  # noqa: E402
from physlens.plots.ising import plot_observables  # noqa: E402

log = setup(snakemake)
table, records = run_checks(
    snakemake.input,
    snakemake.output.headline,
    snakemake.output.table,
    snakemake.params.checks,
    seed=snakemake.params.seed,
)
plot_observables(table, snakemake.output.figure)
log.info(
    "%d headline numbers, %d missed", len(records), sum(r["status"] == "missed" for r in records)
)
