import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.userdata.pipeline import check_inputs  # noqa: E402

setup(snakemake)
p = snakemake.params
check_inputs(
    snakemake.input.data,
    p.variables,
    p.windows,
    p.split,
    p.system,
    p.observables,
    p.reference,
    p.name,
    p.seed,
    snakemake.output[0],
)
