"""Rule representations_similarity: thin wrapper, science in physlens.representations.pipeline."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.representations import pipeline as R  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p, i, o = snakemake.params, snakemake.input, snakemake.output
specs = R.model_specs(p.models, i.models, i.metas, p.data)
probes = [s for s in specs if s.name in p.probes]
members = [s for s in specs if s.name not in p.probes]
R.run_similarity(probes, members, p.split, p.cfg, p.seed, o.h5, o.headline)
log.info("%s done", snakemake.rule)
