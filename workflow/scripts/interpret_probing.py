import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.interpret.pipeline import run_probing  # noqa: E402
from physlens.modeldata import load_model_data  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p, i, o = snakemake.params, snakemake.input, snakemake.output
md = load_model_data(snakemake.wildcards.model, i.model, i.meta, i.data, p.split, p.seed)
ranking, _ = run_probing(md, p.probing, p.seed, o.ranking, o.linear, o.headline)
log.info("%s ranking:\n%s", md.name, ranking[["spearman", "r2_heldout", "rank"]].to_dataframe())
