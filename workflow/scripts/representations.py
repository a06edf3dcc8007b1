"""The representations stage's analysis rules (embeddings, similarity, maximisation,
parsimony): one thin dispatcher, science in physlens.interpret.representations_pipeline."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.interpret import representations_pipeline as R  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p, i, o, rule = snakemake.params, snakemake.input, snakemake.output, snakemake.rule
specs = R.model_specs(p.models, i.models, i.metas, p.data)
if rule == "representations_embeddings":
    R.run_embeddings(
        specs, p.split, p.cfg, p.seed, list(o.h5), o.headline, threads=snakemake.threads
    )
elif rule == "representations_similarity":
    probes = [s for s in specs if s.name in p.probes]
    members = [s for s in specs if s.name not in p.probes]
    R.run_similarity(probes, members, p.split, p.cfg, p.seed, o.h5, o.headline)
elif rule == "representations_maximisation":
    R.run_maximisation(specs, p.split, p.cfg, p.seed, list(o.h5), o.headline)
elif rule == "representations_parsimony":
    rankings = dict(zip(p.models, i.rankings))
    symbolic = dict(zip(p.symbolic_models, i.symbolic))
    R.run_parsimony(
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
else:
    raise KeyError(f"representations.py does not know rule {rule!r}")
log.info("%s done", rule)
