import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.unsupervised.pipeline import run_pca  # noqa: E402

setup(snakemake)
p = snakemake.params
run_pca(
    snakemake.input.data,
    p.data,
    p.pca,
    p.tc,
    p.seed,
    snakemake.output.pca,
    snakemake.output.headline,
)
