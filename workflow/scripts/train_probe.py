import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.supervised.probes import train_probe  # noqa: E402
from physlens.training import configure_torch, resolve_device  # noqa: E402

log = setup(snakemake)
p = snakemake.params
configure_torch(snakemake.threads, resolve_device(p.training["device"]))
train_probe(
    snakemake.input.data,
    snakemake.wildcards.probe,
    p.split,
    p.probes,
    p.training,
    p.seed,
    dict(snakemake.output.items()),
    resume_dir=p.resume,
)
