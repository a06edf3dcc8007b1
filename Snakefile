# physlens: what neural networks learn about physics, answered in physical terms.
# Rules live in workflow/rules/ by stage; science lives in src/physlens/.
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

# The library is importable from the source tree even without installation (conda route).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from physlens.config import read_yaml, validate_config

# Snakemake's own YAML error names no file or line; these name file, line and column.
for _cfg_file in ["config/config.yaml", *workflow.config_settings.configfiles]:
    read_yaml(_cfg_file)


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# One clear message naming the key and value, then Snakemake's own check (fills defaults).
validate_config(config, machine=workflow.is_main_process and workflow.local_exec)
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
include: "workflow/rules/scinet.smk"
include: "workflow/rules/ccnn.smk"
include: "workflow/rules/gnn.smk"
include: "workflow/rules/summary.smk"


rule all:
    default_target: True
    input:
        all_targets(),
