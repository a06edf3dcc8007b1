# physlens: what neural networks learn about physics, answered in physical terms.
# Rules live in workflow/rules/ by stage; science lives in src/physlens/.
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

# The library is importable from the source tree even without installation (conda route).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from physlens.config import validate_config


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# One clear message naming the key and value, then Snakemake's own check (fills defaults).
validate_config(config)
validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/ising.smk"
include: "workflow/rules/su2.smk"
include: "workflow/rules/supervised.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/unsupervised.smk"
include: "workflow/rules/siamese.smk"
include: "workflow/rules/su2_learning.smk"
include: "workflow/rules/representations.smk"
include: "workflow/rules/concepts.smk"
include: "workflow/rules/ccnn.smk"
include: "workflow/rules/summary.smk"


rule all:
    default_target: True
    input:
        all_targets(),
