# physlens: what neural networks learn about physics, answered in physical terms.
# Rules live in workflow/rules/ by stage; science lives in src/physlens/.
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

# This file's folder; workflow.basedir is the importing workflow's when another workflow uses
# physlens as a module (docs/examples/own-data/).
PHYSLENS_DIR = Path(workflow.current_basedir.get_path_or_uri(secret_free=True))
# The library is importable from the source tree even without installation (conda route).
sys.path.insert(0, str(PHYSLENS_DIR / "src"))
from physlens.config import module_config, read_yaml, validate_config

if Path(workflow.main_snakefile).resolve() != (PHYSLENS_DIR / "Snakefile").resolve():
    # Used as a module: Snakemake skips configfile below and passes the importing workflow's
    # config; the keys it does not set keep the embedded defaults.
    config = module_config(config, PHYSLENS_DIR / "config" / "config.yaml")
else:
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


# Your own data and network: only when the config has a userdata block.
if "userdata" in config:

    include: "workflow/rules/userdata.smk"


include: "workflow/rules/summary.smk"


rule all:
    default_target: True
    input:
        all_targets(),
