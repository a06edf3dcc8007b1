import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.supervised.pipeline import train_phase_classifier  # noqa: E402
from physlens.training import configure_torch, resolve_device  # noqa: E402

# The supervised stage's training code, settings and seed (member 0), on the confounder
# experiment's data and windows: clean and confounded models differ only in the marker.
setup(snakemake)
p = snakemake.params
configure_torch(snakemake.threads, resolve_device(p.training["device"]))
train_phase_classifier(
    snakemake.input.data,
    0,
    p.split,
    p.classifier,
    p.training,
    p.seed,
    dict(snakemake.output.items()),
    resume_dir=p.resume,
)
