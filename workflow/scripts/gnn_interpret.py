import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.gnn.pipeline import interpret_and_write  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
variants = snakemake.params.gnn["variants"]
report = interpret_and_write(
    snakemake.input.sims,
    dict(zip(variants, zip(snakemake.input.models, snakemake.input.metas))),
    snakemake.params.gnn,
    snakemake.params.seed,
    snakemake.wildcards.law,
    dict(snakemake.output.items()),
)
log.info(
    "%s: %s ~ %s (engine %s)",
    report["law"],
    report["symbolic"]["variant"],
    report["symbolic"]["expression"],
    report["symbolic"]["engine"],
)
