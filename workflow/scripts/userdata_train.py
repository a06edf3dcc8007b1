import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.training import configure_torch, resolve_device  # noqa: E402
from physlens.userdata.pipeline import train_classifier  # noqa: E402

setup(snakemake)
p, i = snakemake.params, snakemake.input
configure_torch(snakemake.threads, resolve_device(p.training["device"]))
train_classifier(
    i.data,
    i.split,
    p.variables,
    p.train,
    p.training,
    p.name,
    p.seed,
    dict(snakemake.output.items()),
    resume_dir=p.resume,
)
