import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.siamese.benchmark import build_tasks, load_formula_tasks, run_benchmark  # noqa: E402
from physlens.training import configure_torch  # noqa: E402

log = setup(snakemake)
configure_torch(snakemake.threads)
p = snakemake.params
inputs, out = snakemake.input, snakemake.output
ising = inputs.ising if "ising" in inputs.keys() else None
tasks = build_tasks(p.twin, p.seed, ising)
formulas = load_formula_tasks(p.twin, inputs.formulas) if "formulas" in inputs.keys() else None
table = run_benchmark(
    tasks,
    p.twin,
    p.training,
    p.seed,
    getattr(out, "table", None),
    getattr(out, "predictions", None),
    out.headline,
    formula_tasks=formulas,
    formula_outputs={
        "table": getattr(out, "formula_table", None),
        "predictions": getattr(out, "formula_predictions", None),
    },
)
if table is not None:
    log.info("\n%s", table.to_string())
