import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.userdata.analysis_pipeline import run_representations  # noqa: E402

setup(snakemake)
p, i, o = snakemake.params, snakemake.input, snakemake.output
run_representations(
    i.outputs, i.observables, p.n_components, p.name, p.seed, o.representations, o.headline
)
