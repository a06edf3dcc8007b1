import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.userdata.analysis_pipeline import run_phase  # noqa: E402

setup(snakemake)
p, o = snakemake.params, snakemake.output
run_phase(snakemake.input[0], p.bootstrap, p.reference, p.name, p.seed, o.phase, o.headline)
