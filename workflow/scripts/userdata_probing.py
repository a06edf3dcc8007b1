import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.userdata.analysis_pipeline import run_probing  # noqa: E402

setup(snakemake)
p, i, o = snakemake.params, snakemake.input, snakemake.output
run_probing(
    i.outputs,
    i.observables,
    p.probing,
    p.parsimony,
    p.reference,
    p.name,
    p.seed,
    o.ranking,
    o.linear,
    o.parsimony,
    o.headline,
)
