"""Rule representations_maximisation: thin wrapper, science in physlens.representations.decision_pipeline."""

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
DP.run_maximisation(specs, p.split, p.cfg, p.seed, list(o.h5), o.headline)
log.info("%s done", snakemake.rule)
