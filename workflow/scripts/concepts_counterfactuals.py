import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.concepts.pipeline import run_counterfactuals  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

setup(snakemake)
configure_torch(snakemake.threads)
p, i, o = snakemake.params, snakemake.input, snakemake.output
run_counterfactuals(
    (i.model, i.meta),
    (i.ae_model, i.ae_meta),
    i.data,
    i.latent,
    p.split,
    p.counterfactuals,
    p.seed,
    o.counterfactuals,
    o.knobs,
    o.descriptions,
    o.headline,
    names={
        "classifier": f"classifier_member{p.counterfactuals['classifier_member']}",
        "autoencoder": p.counterfactuals["autoencoder"],
    },
)
