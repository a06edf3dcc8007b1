import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.gnn.pipeline import write_simulations  # noqa: E402

log = setup(snakemake)
ds = write_simulations(
    snakemake.wildcards.law, snakemake.params.gnn, snakemake.params.seed, snakemake.output[0]
)
log.info(
    "%s: %d simulations x %d snapshots, median relative energy drift %.2g",
    snakemake.wildcards.law,
    ds.sizes["simulation"],
    ds.sizes["time"],
    ds.attrs["median_energy_drift"],
)
