import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.userdata.pipeline import check_model, model_files  # noqa: E402

setup(snakemake)
p, i = snakemake.params, snakemake.input
check_model(p.model, model_files(i), i.data, p.variables, p.name, p.seed, snakemake.output[0])
