import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.interpret.probing import top_observables  # noqa: E402
from physlens.su2.learning import probe_logit  # noqa: E402

log = setup(snakemake)
p, i, o = snakemake.params, snakemake.input, snakemake.output
ranking = probe_logit(
    i.predictions, i.data, {"probing": p.probing}, p.interpret, p.seed, o.ranking, o.headline
)
log.info("observables ranked first for the logit: %s", top_observables(ranking))
