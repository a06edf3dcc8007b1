import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.training import configure_torch  # noqa: E402
from physlens.userdata.pipeline import evaluate_model, model_files  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
p, i = snakemake.params, snakemake.input
evaluate_model(p.model, model_files(i), i.data, p.variables, i.split, i.check, snakemake.output[0])
