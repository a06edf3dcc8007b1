import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.siamese.benchmark import build_tasks, run_benchmark  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p = snakemake.params
ising = snakemake.input.ising if "ising" in snakemake.input.keys() else None
tasks = build_tasks(p.twin, p.seed, ising)
out = snakemake.output
table = run_benchmark(tasks, p.twin, p.training, p.seed, out.table, out.predictions, out.headline)
log.info("\n%s", table.to_string())
