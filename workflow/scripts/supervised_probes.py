import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.supervised.probes import analyse_probes  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p, inp, out = snakemake.params, snakemake.input, snakemake.output
models = {name: (pt, meta) for name, pt, meta in zip(p.names, inp.models, inp.metas)}
res = analyse_probes(
    models,
    inp.data,
    p.split,
    p.probes,
    p.seed,
    out.outputs,
    out.losses,
    out.decision,
    out.headline,
)
for row in res["losses"]:
    log.info("%(receptive_field)s: train %(train_loss).3g, val %(val_loss).3g", row)
