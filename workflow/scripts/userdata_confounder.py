import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.training import configure_torch  # noqa: E402
from physlens.userdata.analysis_pipeline import run_confounder  # noqa: E402
from physlens.userdata.pipeline import model_files  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
p, i, o = snakemake.params, snakemake.input, snakemake.output
run_confounder(
    p.model,
    model_files(i),
    i.data,
    p.variables,
    i.outputs,
    p.confounder,
    p.attributions,
    p.reference,
    p.name,
    p.seed,
    o.confounder,
    o.headline,
)
