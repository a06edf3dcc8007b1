import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.interpret.pipeline import run_ablation  # noqa: E402
from physlens.modeldata import load_model_data  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p, i, o = snakemake.params, snakemake.input, snakemake.output
md = load_model_data(snakemake.wildcards.model, i.model, i.meta, i.data, p.split, p.seed)
units, _ = run_ablation(md, p.ablation, p.samples_per_temperature, p.seed, o.units, o.occlusion)
log.info("delta loss per unit:\n%s", units["delta_loss"].to_pandas())
