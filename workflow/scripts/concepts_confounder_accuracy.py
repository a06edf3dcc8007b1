import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.concepts.confounder_pipeline import confounder_accuracy  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
p, i = snakemake.params, snakemake.input
data = dict(zip(p.datasets, i.data))
models = {m: (pt, meta, data[m]) for m, pt, meta in zip(p.models, i.models, i.metas)}
confounder_accuracy(
    models, data, p.split, p.seed, snakemake.output.accuracy, snakemake.output.headline
)
