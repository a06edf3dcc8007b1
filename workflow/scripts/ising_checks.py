"""Rule ising_checks: Ising samples vs Onsager/Kaufman -> headline.json, checks.csv, figure."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.ising.checks import run_checks  # noqa: E402

log = setup(snakemake)
records = run_checks(
    snakemake.input,
    snakemake.output.headline,
    snakemake.output.table,
    snakemake.output.figure,
    snakemake.params.checks,
    seed=snakemake.params.seed,
)
log.info(
    "%d headline numbers, %d missed", len(records), sum(r["status"] == "missed" for r in records)
)
