import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.supervised.pipeline import predict_phase  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
inp, L = snakemake.input, int(snakemake.wildcards.L)
models = list(zip(inp.models, inp.metas))
ds = predict_phase(
    models,
    inp.train_data,
    inp.data,
    L,
    snakemake.params.split,
    snakemake.params.seed,
    snakemake.output[0],
    beta_over_nu=snakemake.params.beta_over_nu,
)
log.info("L = %d: P(ordered) = 1/2 at T = %.4f", L, ds.attrs["tc_crossing"])
