import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.concepts.confounder_pipeline import run_confounder_check  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
p, i, o, w = snakemake.params, snakemake.input, snakemake.output, snakemake.wildcards
run_confounder_check(
    w.cmodel,
    (i.model, i.meta, i.train_data),
    w.cdata,
    i.data,
    p.split,
    p.confounders,
    p.attributions,
    p.seed,
    o.relevance,
    o.report,
    o.headline,
)
