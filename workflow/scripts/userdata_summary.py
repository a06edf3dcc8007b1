import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.summary import write_summary  # noqa: E402

log = setup(snakemake)
o = snakemake.output
summary = write_summary(snakemake.input.headlines, o.json, o.csv)
log.info("merged %d headline numbers: %s", len(summary["records"]), summary["counts"])
