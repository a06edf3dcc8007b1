import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.interpret.pipeline import run_symbolic  # noqa: E402
from physlens.modeldata import load_model_data  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p, i, o = snakemake.params, snakemake.input, snakemake.output
md = load_model_data(snakemake.wildcards.model, i.model, i.meta, i.data, p.split, p.seed)
ex = run_symbolic(md, p.symbolic, p.observables, p.seed, o.fit, o.pareto, o.headline)
log.info(
    "%s (%s %s): %s; monotone in %s",
    md.name,
    ex.result.engine,
    ex.result.engine_version,
    ex.result.expression,
    ex.monotone_equivalent_to,
)
