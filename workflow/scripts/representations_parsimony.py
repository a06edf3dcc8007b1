"""Rule representations_parsimony: thin wrapper, science in physlens.representations.decision_pipeline."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.representations import decision_pipeline as DP  # noqa: E402
from physlens.representations import pipeline as R  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p, i, o = snakemake.params, snakemake.input, snakemake.output
specs = R.model_specs(p.models, i.models, i.metas, p.data)
rankings = dict(zip(p.models, i.rankings))
symbolic = dict(zip(p.symbolic_models, i.symbolic))
DP.run_parsimony(
    specs,
    rankings,
    symbolic,
    p.split,
    p.cfg["parsimony"],
    p.symbolic_link,
    p.seed,
    o.table,
    o.headline,
)
log.info("%s done", snakemake.rule)
