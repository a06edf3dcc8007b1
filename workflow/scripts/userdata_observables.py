import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.userdata.pipeline import compute_candidates  # noqa: E402

setup(snakemake)
p = snakemake.params
compute_candidates(snakemake.input.data, p.variables, p.system, p.observables, snakemake.output[0])
