import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.io import read_json  # noqa: E402
from physlens.siamese.interpret import interpret_siamese  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
report = interpret_siamese(
    snakemake.input.pairs,
    snakemake.input.model,
    snakemake.input.meta,
    snakemake.params.siamese,
    snakemake.params.seed,
    snakemake.wildcards.dataset,
    read_json(snakemake.input.metrics),
    dict(snakemake.output.items()),
)
log.info(
    "%s: bottleneck ~ %s; polynomial %s",
    report["dataset"],
    report["learned_invariant"],
    report["polynomial"]["expression"],
)
