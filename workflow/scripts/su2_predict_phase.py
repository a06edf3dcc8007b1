import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.su2.learning import predict_phase  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
models = list(zip(snakemake.input.models, snakemake.input.metas))
out = predict_phase(
    models,
    snakemake.input.data,
    snakemake.params.su2_learning,
    snakemake.params.seed,
    snakemake.output[0],
)
log.info("P(deconfined) = 1/2 crossing at beta = %.4f", out.attrs["beta_c_crossing"])
