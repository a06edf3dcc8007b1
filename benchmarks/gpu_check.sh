#!/usr/bin/env bash
# GPU readiness check (also `make gpu-check`): the test preset's GPU-marked training rules on
# CUDA (fp32 and mixed precision) against the CPU, then bench_training.py's CUDA rows.
# Exits 3 with a message where no CUDA device is visible; details in benchmarks/gpu_check.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
if [ ! -x "$python" ]; then
    echo "gpu_check: $python not found: run 'make setup' first (or set PYTHON)" >&2
    exit 2
fi
exec "$python" "$root/benchmarks/gpu_check.py" "$@"
