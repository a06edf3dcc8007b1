"""Shared set-up for Snakemake scripts: logging to the rule's log file, thread limits."""

import logging
import os
import sys
from pathlib import Path

# The library is used from the source tree, so conda jobs need no installed copy of it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from physlens.io import remove_stale_temporaries  # noqa: E402


def setup(snakemake) -> logging.Logger:
    """Route stdout/stderr and logging to the rule's log, and honour the rule's threads."""
    if snakemake.log:
        fh = open(snakemake.log[0], "w", buffering=1)
        sys.stdout = sys.stderr = fh
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # numba's OpenMP workers busy-wait by default, which starves the other jobs sharing the
    # cores (measured: up to 100x slower parallel kernels on a loaded 2-core machine)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    threads = str(getattr(snakemake, "threads", 1) or 1)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, threads)
    log = logging.getLogger(f"physlens.{snakemake.rule}")
    for tmp in remove_stale_temporaries(snakemake.output):
        log.info("removed %s, left by an interrupted earlier run", tmp)
    return log
