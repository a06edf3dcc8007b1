import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.training import configure_torch  # noqa: E402
from physlens.userdata.analysis_pipeline import run_concepts  # noqa: E402
from physlens.userdata.pipeline import model_files  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
p, i, o = snakemake.params, snakemake.input, snakemake.output
run_concepts(
    i.outputs,
    i.observables,
    p.model,
    model_files(i),
    i.check,
    p.reference,
    p.name,
    p.seed,
    o.concepts,
    o.headline,
)
