"""Rule environment: code version, package versions and compute device of this run."""

import sys

sys.path.insert(0, snakemake.scriptdir)
from _common import setup  # noqa: E402

from physlens.io import atomic_path  # noqa: E402
from physlens.provenance import environment_rows  # noqa: E402

setup(snakemake)
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text("item\tvalue\n" + "".join(f"{k}\t{v}\n" for k, v in environment_rows()))
