"""Where a workflow run's time goes: total job time, the critical path and the top rules.

Reads the per-job Snakemake benchmark files (``results/benchmarks/**/*.tsv``: wall seconds
``s`` and ``cpu_time`` per job) and the jobs' dependencies, taken from Snakemake's own job
listing: a dry run (``snakemake -n --forceall``, run here unless ``--jobs-from`` names a saved
listing or a run's ``.snakemake/log/*.snakemake.log``). Job B depends on job A when one of B's
inputs is one of A's outputs. The critical path is the longest chain of dependent jobs,
weighted by their benchmarked wall time: no number of cores finishes the run faster.

    .venv/bin/python benchmarks/job_times.py [--results results] [--top 15]
        [--jobs-from FILE] [--cores 2] [--json out.json] [-- <snakemake arguments>]

Arguments after ``--`` go to the dry run (e.g. ``--configfile config/paper.yaml``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

JOB_HEADER = re.compile(r"^\s*(?:local)?rule (\w+):\s*$")  # indented inside group jobs
JOB_FIELD = re.compile(r"^\s+(input|output|benchmark|wildcards|jobid): (.*)$")


@dataclass
class Job:
    rule: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    benchmark: str | None = None
    wildcards: str = ""

    @property
    def label(self) -> str:
        return f"{self.rule}[{self.wildcards}]" if self.wildcards else self.rule


def _split_files(value: str) -> list[str]:
    return [f.strip() for f in value.split(",") if f.strip()]


def parse_jobs(text: str) -> list[Job]:
    """The jobs of a Snakemake job listing (dry run or run log): one block per job, a
    ``rule NAME:`` line followed by indented ``input:``, ``output:``, ``benchmark:`` lines.
    A job listed twice (a run log repeats finished jobs) is kept once."""
    jobs: dict[tuple, Job] = {}
    current: Job | None = None

    def close():
        if current is not None and current.outputs:
            jobs.setdefault(tuple(current.outputs), current)

    for line in text.splitlines():
        head = JOB_HEADER.match(line)
        if head:
            close()
            current = Job(head.group(1))
            continue
        m = JOB_FIELD.match(line) if current is not None else None
        if m is None:
            if current is not None and line.strip() and not line.startswith((" ", "\t")):
                close()
                current = None
            continue
        key, value = m.groups()
        if key == "input":
            current.inputs = _split_files(value)
        elif key == "output":
            current.outputs = _split_files(value)
        elif key == "benchmark":
            current.benchmark = value.strip()
        elif key == "wildcards":
            current.wildcards = value.strip()
    close()
    return list(jobs.values())


def read_benchmark(path: Path) -> dict[str, float]:
    """Mean wall seconds `s` and `cpu_time` over the rows of one Snakemake benchmark file."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows:
        raise ValueError(f"{path}: empty benchmark file")

    def mean(key):
        vals = [float(r[key]) for r in rows if r.get(key) not in (None, "", "NA", "-")]
        return sum(vals) / len(vals) if vals else 0.0

    return {"s": mean("s"), "cpu_time": mean("cpu_time")}


def dependencies(jobs: list[Job]) -> list[list[int]]:
    """For each job, the indices of the jobs that produce one of its inputs."""
    producer = {out: i for i, job in enumerate(jobs) for out in job.outputs}
    return [
        sorted({producer[f] for f in job.inputs if f in producer and producer[f] != i})
        for i, job in enumerate(jobs)
    ]


def critical_path(weights: list[float], deps: list[list[int]]) -> tuple[float, list[int]]:
    """Longest weighted chain through the DAG (weights on nodes): its length and its jobs,
    first to last. Jobs in dependency order (Kahn); a cycle is an error."""
    n = len(weights)
    users: list[list[int]] = [[] for _ in range(n)]
    waiting = [len(d) for d in deps]
    for i, d in enumerate(deps):
        for j in d:
            users[j].append(i)
    ready = [i for i in range(n) if waiting[i] == 0]
    finish, via = [0.0] * n, [None] * n
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        best = max(deps[i], key=lambda d: finish[d], default=None)
        finish[i] = weights[i] + (finish[best] if best is not None else 0.0)
        via[i] = best
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    if done < n:
        raise ValueError("the job dependencies contain a cycle")
    if n == 0:
        return 0.0, []
    end = max(range(n), key=lambda i: finish[i])
    path = [end]
    while via[path[-1]] is not None:
        path.append(via[path[-1]])
    return float(finish[end]), path[::-1]


def job_listing(jobs_from: str | None, workdir: Path, smk_args: list[str]) -> str:
    """The text listing every job: a saved file, or a dry run of the workflow in `workdir`."""
    if jobs_from:
        return Path(jobs_from).read_text(errors="replace")
    snakemake = Path(sys.executable).parent / "snakemake"
    cmd = [str(snakemake), "--dry-run", "--forceall", "--cores", "1", *smk_args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc.stdout + proc.stderr


def summarise(jobs: list[Job], results: Path, top: int, cores: int) -> dict:
    """Per-job times from the benchmark files, per-rule totals and the critical path."""
    times, missing = [], []
    for job in jobs:
        bench = job.benchmark and Path(job.benchmark)
        if bench and not bench.is_absolute():
            # benchmark paths are relative to the workflow directory, like `results`
            bench = results.parent / bench
        if bench and bench.is_file():
            times.append(read_benchmark(bench))
        else:
            times.append({"s": 0.0, "cpu_time": 0.0})
            missing.append(job.label)
    wall = [t["s"] for t in times]
    length, path = critical_path(wall, dependencies(jobs))
    by_rule: dict[str, dict] = defaultdict(
        lambda: {"jobs": 0, "s": 0.0, "cpu_time": 0.0, "max_s": 0.0}
    )
    for job, t in zip(jobs, times):
        r = by_rule[job.rule]
        r["jobs"] += 1
        r["s"] += t["s"]
        r["cpu_time"] += t["cpu_time"]
        r["max_s"] = max(r["max_s"], t["s"])
    total = sum(wall)
    rules = sorted(by_rule.items(), key=lambda kv: -kv[1]["s"])
    return {
        "jobs": len(jobs),
        "jobs_without_benchmark": missing,
        "total_job_s": total,
        "total_cpu_s": sum(t["cpu_time"] for t in times),
        "critical_path_s": length,
        "critical_path": [{"job": jobs[i].label, "s": wall[i]} for i in path],
        "cores": cores,
        # neither the longest chain nor the total work shared by all cores can be beaten
        "lower_bound_wall_s": max(length, total / max(cores, 1)),
        "top_rules": [
            {"rule": name, **r, "share": r["s"] / total if total else 0.0}
            for name, r in rules[:top]
        ],
        "short_jobs_under_3s": sum(1 for s in wall if 0 < s < 3),
        "short_jobs_s": sum(s for s in wall if 0 < s < 3),
    }


def report(summary: dict) -> str:
    lines = [
        f"jobs: {summary['jobs']} ({len(summary['jobs_without_benchmark'])} without a benchmark file)",
        f"total job time: {summary['total_job_s']:.0f} s wall, {summary['total_cpu_s']:.0f} s CPU",
        f"critical path: {summary['critical_path_s']:.0f} s over {len(summary['critical_path'])} jobs",
        f"lower bound on the wall time with {summary['cores']} cores: "
        f"{summary['lower_bound_wall_s']:.0f} s (max of the critical path and total / cores)",
        f"jobs under 3 s: {summary['short_jobs_under_3s']}, {summary['short_jobs_s']:.0f} s in all",
        "",
        "critical path:",
        *(f"  {step['s']:8.1f} s  {step['job']}" for step in summary["critical_path"]),
        "",
        f"{'rule':34s} {'jobs':>5s} {'total s':>9s} {'share':>6s} {'max s':>8s} {'cpu s':>8s}",
        *(
            f"{r['rule']:34s} {r['jobs']:5d} {r['s']:9.1f} {r['share']:6.1%} {r['max_s']:8.1f} "
            f"{r['cpu_time']:8.1f}"
            for r in summary["top_rules"]
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    smk_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default="results", help="the run's results folder")
    ap.add_argument("--jobs-from", help="a saved dry run or a run's .snakemake/log file")
    ap.add_argument("--top", type=int, default=15, help="rules to list")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", help="also write the summary here")
    args = ap.parse_args(argv)
    results = Path(args.results).resolve()
    if not (results / "benchmarks").is_dir():
        sys.exit(f"{results / 'benchmarks'}: no benchmark files (run the workflow first)")
    jobs = parse_jobs(job_listing(args.jobs_from, results.parent, smk_args))
    if not jobs:
        sys.exit("no jobs found in the Snakemake job listing")
    summary = summarise(jobs, results, args.top, args.cores)
    print(report(summary))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
