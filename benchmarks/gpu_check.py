"""GPU readiness: the GPU-marked training rules on CUDA agree with the CPU, and how fast.

1. Runs the test preset's GPU-marked rules (those with ``resources: gpu=``) and what they
   need on the CPU (``training.device: cpu``), in a copy of the workflow under ``--workdir``.
2. Reruns only those rules on CUDA, fp32 (``training.device: cuda, mixed_precision: false``)
   and mixed precision (``mixed_precision: true``, bf16 where supported), each in a copy of the
   CPU run, and compares every number in their JSON outputs with the CPU run's (TOLERANCES).
3. Runs benchmarks/bench_training.py: samples/s on one CPU thread, all CPU threads, CUDA fp32
   and CUDA mixed precision, with the ratio to one CPU thread.

Exits 3 with a message where torch sees no CUDA device, 1 where a number disagrees.

    .venv/bin/python benchmarks/gpu_check.py [--workdir DIR] [--cores N] [--skip-bench]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_PARTS = ("Snakefile", "workflow", "config", "envs", "profiles", "resources")
TEST_CONFIG = "config/test.yaml"
NO_GPU = 3

# How far a CUDA run's numbers may lie from the CPU run's. Different kernels (and bf16 in
# mixed precision) change rounding, so training trajectories diverge slightly; counts of data
# must agree exactly. A key is judged by the first pattern its name matches (abs, rel):
# |cuda - cpu| <= abs + rel * |cpu|.
TOLERANCES = {
    "fp32": [
        (r"^n_|_count$|^n$", 0.0, 0.0),
        (r"accuracy", 0.03, 0.0),
        (r"loss", 0.02, 0.25),
        (r".", 0.05, 0.10),
    ],
    "mixed": [
        (r"^n_|_count$|^n$", 0.0, 0.0),
        (r"accuracy", 0.05, 0.0),
        (r"loss", 0.03, 0.35),
        (r".", 0.08, 0.15),
    ],
}
# Not judged: the trajectory's length, clocks and provenance.
SKIPPED_KEYS = re.compile(
    r"epoch|seconds|time|_s$|date|version|sha256|seed|provenance|device|dtype|host|path"
)


def cuda_device() -> str | None:
    """The CUDA device's name, or None where torch sees none."""
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def gpu_rules(rules_dir: Path) -> list[str]:
    """The rules that declare `resources: gpu=...` (the training rules)."""
    found = []
    for path in sorted(rules_dir.glob("*.smk")):
        text = path.read_text()
        for m in re.finditer(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", text, re.S | re.M):
            if re.search(r"^\s+gpu=", m.group(2), re.M):
                found.append(m.group(1))
    return found


def copy_workflow(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".snakemake", "results")
    for name in WORKFLOW_PARTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore, dirs_exist_ok=True)
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def snakemake(workdir: Path, training: dict, targets: list[str], cores: int, *extra: str) -> str:
    """Run the test preset for `targets` with the `training` block overridden."""
    override = workdir / "device.yaml"
    override.write_text(json.dumps({"training": training}))
    exe = Path(sys.executable).parent / "snakemake"
    # targets first: --resources and --configfile take several values
    cmd = [str(exe), *targets, "--cores", str(cores), "--resources", f"gpu={cores}"]
    cmd += ["--configfile", TEST_CONFIG, str(override), *extra]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        sys.exit(f"gpu_check: {' '.join(cmd)} failed in {workdir}:\n{out[-4000:]}")
    return out


def rule_outputs(workdir: Path, rules: list[str], cores: int) -> list[str]:
    """The outputs of the jobs of `rules`, from a dry run's job listing of the test preset."""
    spec = importlib.util.spec_from_file_location("job_times", ROOT / "benchmarks" / "job_times.py")
    job_times = importlib.util.module_from_spec(spec)
    sys.modules["job_times"] = job_times
    spec.loader.exec_module(job_times)
    listing = snakemake(workdir, {"device": "cpu"}, [], cores, "--dry-run", "--forceall")
    return sorted(
        out for job in job_times.parse_jobs(listing) if job.rule in rules for out in job.outputs
    )


def numbers(doc, prefix="") -> dict[str, float]:
    """Every numeric leaf of a JSON document, by its dotted path."""
    if isinstance(doc, dict):
        return {
            k: v for key, val in doc.items() for k, v in numbers(val, f"{prefix}{key}.").items()
        }
    if isinstance(doc, list):
        return {k: v for i, val in enumerate(doc) for k, v in numbers(val, f"{prefix}{i}.").items()}
    if isinstance(doc, bool) or not isinstance(doc, int | float):
        return {}
    return {prefix.rstrip("."): float(doc)}


def compare(cpu: dict, cuda: dict, kind: str) -> tuple[list[str], int]:
    """Disagreements beyond TOLERANCES[kind] (as messages) and the number of values judged."""
    bad, judged = [], 0
    a, b = numbers(cpu), numbers(cuda)
    for key in sorted(a.keys() | b.keys()):
        leaf = key.rsplit(".", 1)[-1]
        if SKIPPED_KEYS.search(key):
            continue
        if key not in a or key not in b:
            bad.append(f"{key}: only in the {'CPU' if key in a else 'CUDA'} run")
            continue
        atol, rtol = next((t[1], t[2]) for t in TOLERANCES[kind] if re.search(t[0], leaf))
        x, y = a[key], b[key]
        judged += 1
        if math.isnan(x) and math.isnan(y):
            continue
        if not abs(y - x) <= atol + rtol * abs(x):
            bad.append(f"{key}: CPU {x:.6g}, CUDA {y:.6g} (allowed {atol} + {rtol} x |CPU|)")
    return bad, judged


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", help="where the runs go (default: a new temporary folder)")
    ap.add_argument("--cores", type=int, default=min(os.cpu_count() or 1, 8))
    ap.add_argument("--skip-bench", action="store_true", help="skip bench_training.py")
    args = ap.parse_args(argv)

    name = cuda_device()
    if name is None:
        import torch

        print(
            f"gpu_check: no CUDA device (torch {torch.__version__}: torch.cuda.is_available() "
            "is False); nothing checked. Run it on a GPU node with a CUDA build of torch.",
            file=sys.stderr,
        )
        return NO_GPU
    print(f"gpu_check: CUDA device {name}")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="physlens-gpu-check-")).resolve()
    rules = gpu_rules(ROOT / "workflow" / "rules")
    print(f"GPU-marked rules: {', '.join(rules)}\nruns in {work}")

    cpu_dir = copy_workflow(work / "cpu")
    targets = rule_outputs(cpu_dir, rules, args.cores)
    snakemake(cpu_dir, {"device": "cpu"}, targets, args.cores)
    outputs = [t for t in targets if t.endswith(".json")]
    failures = 0
    for kind, mixed in (("fp32", False), ("mixed", True)):
        run_dir = work / f"cuda_{kind}"
        if run_dir.exists():
            shutil.rmtree(run_dir)
        shutil.copytree(cpu_dir, run_dir, symlinks=True)  # keeps mtimes: only the rules rerun
        training = {"device": "cuda", "mixed_precision": mixed}
        snakemake(run_dir, training, targets, args.cores, "--forcerun", *rules)
        judged = 0
        for rel in outputs:
            cpu_doc = json.loads((cpu_dir / rel).read_text())
            cuda_doc = json.loads((run_dir / rel).read_text())
            bad, n = compare(cpu_doc, cuda_doc, kind)
            judged += n
            for msg in bad:
                print(f"  DIFFERS {kind} {rel}: {msg}")
            failures += len(bad)
        print(f"CUDA {kind} vs CPU: {judged} numbers in {len(outputs)} JSON files compared")

    if not args.skip_bench:
        bench = [sys.executable, str(ROOT / "benchmarks" / "bench_training.py")]
        bench += ["--json", str(work / "bench_training.json")]
        subprocess.run(bench, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    if failures:
        print(f"gpu_check: {failures} numbers differ beyond the tolerances", file=sys.stderr)
        return 1
    print("gpu_check: CUDA results agree with the CPU within the tolerances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
