import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.training import configure_torch, resolve_device  # noqa: E402
from physlens.unsupervised.pipeline import train_autoencoder  # noqa: E402

setup(snakemake)
p = snakemake.params
configure_torch(snakemake.threads, resolve_device(p.training["device"]))
train_autoencoder(
    snakemake.input.data,
    snakemake.wildcards.model,
    p.data,
    p.model,
    p.training,
    p.seed,
    dict(snakemake.output.items()),
    resume_dir=p.resume,
)
