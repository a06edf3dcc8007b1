"""benchmarks/job_times.py: job dependencies from a Snakemake job listing, the critical path
(checked against brute-force enumeration of every chain) and the per-rule totals."""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("job_times", ROOT / "benchmarks" / "job_times.py")
job_times = importlib.util.module_from_spec(spec)
sys.modules["job_times"] = job_times  # dataclasses look their module up
spec.loader.exec_module(job_times)

# The shape of `snakemake --dry-run` output: plain jobs, a group job whose members are
# indented, and the input-less target rule.
LISTING = """\
Building DAG of jobs...
[Wed Dec  2 03:36:35 2026]
rule make_a:
    output: results/a.h5
    log: results/logs/a.log
    jobid: 1
    benchmark: results/benchmarks/a.tsv
    reason: Forced execution
    resources: tmpdir=/tmp, mem_mb=1000
Shell command: None
[Wed Dec  2 03:36:35 2026] Group job montecarlo (jobs in lexicogr. order):

    [Wed Dec  2 03:36:35 2026]
    rule make_b:
        output: results/b{L}.h5
        log: results/logs/b.log
        jobid: 2
        benchmark: results/benchmarks/b_8.tsv
        wildcards: L=8
        resources: tmpdir=/tmp

[Wed Dec  2 03:36:35 2026]
rule combine:
    input: results/a.h5, results/b{L}.h5
    output: results/c.json, results/c.csv
    log: results/logs/c.log
    jobid: 3
    benchmark: results/benchmarks/c.tsv
    reason: Forced execution
Shell command: None

[Wed Dec  2 03:36:35 2026]
rule figure:
    input: results/a.h5
    output: results/fig.png
    jobid: 4
    benchmark: results/benchmarks/fig.tsv

[Wed Dec  2 03:36:35 2026]
localrule all:
    input: results/c.json, results/fig.png
    jobid: 0
    reason: Forced execution
"""
SECONDS = {"a": 10.0, "b_8": 30.0, "c": 5.0, "fig": 2.0}


def write_benchmarks(root):
    bench = root / "results" / "benchmarks"
    bench.mkdir(parents=True)
    for name, s in SECONDS.items():
        (bench / f"{name}.tsv").write_text(
            "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
            f"{s}\t0:00:{int(s):02d}\t1\t1\t1\t1\t0\t0\t90\t{s / 2}\n"
        )
    return root / "results"


def test_jobs_and_their_dependencies_are_read_from_the_listing():
    jobs = job_times.parse_jobs(LISTING)
    assert [j.rule for j in jobs] == ["make_a", "make_b", "combine", "figure"]  # `all`: no outputs
    assert jobs[1].wildcards == "L=8" and jobs[2].outputs == ["results/c.json", "results/c.csv"]
    assert job_times.dependencies(jobs) == [[], [], [0, 1], [0]]


def test_summary_of_a_run(tmp_path):
    results = write_benchmarks(tmp_path)
    out = job_times.summarise(job_times.parse_jobs(LISTING), results, top=10, cores=2)
    assert out["total_job_s"] == pytest.approx(47.0)
    assert out["total_cpu_s"] == pytest.approx(23.5)
    # b (30 s) then combine (5 s) beats a -> combine (15 s) and a -> figure (12 s)
    assert out["critical_path_s"] == pytest.approx(35.0)
    assert [step["job"] for step in out["critical_path"]] == ["make_b[L=8]", "combine"]
    assert out["lower_bound_wall_s"] == pytest.approx(35.0)  # > 47 / 2
    assert out["top_rules"][0]["rule"] == "make_b" and out["short_jobs_under_3s"] == 1
    assert "critical path: 35 s over 2 jobs" in job_times.report(out)


def brute_force_longest_chain(weights, deps):
    """Every chain of the DAG, by enumerating ordered subsets along dependency edges."""
    best = 0.0
    n = len(weights)

    def extend(i, total):
        nonlocal best
        best = max(best, total)
        for j in range(n):
            if i in deps[j]:
                extend(j, total + weights[j])

    for i in range(n):
        extend(i, weights[i])
    return best


@pytest.mark.parametrize("seed", range(20))
def test_critical_path_is_the_longest_chain_of_a_random_dag(seed):
    gen = random.Random(seed)
    n = gen.randint(1, 9)
    weights = [gen.uniform(0, 10) for _ in range(n)]
    # edges only from lower to higher index, listed in a shuffled job order: any DAG
    deps = [[j for j in range(i) if gen.random() < 0.35] for i in range(n)]
    perm = list(range(n))
    gen.shuffle(perm)
    inv = {old: new for new, old in enumerate(perm)}
    w = [weights[old] for old in perm]
    d = [sorted(inv[j] for j in deps[old]) for old in perm]
    length, path = job_times.critical_path(w, d)
    assert length == pytest.approx(brute_force_longest_chain(w, d))
    assert sum(w[i] for i in path) == pytest.approx(length)
    assert all(a in d[b] for a, b in itertools.pairwise(path))  # a real chain


def test_a_cycle_is_an_error():
    with pytest.raises(ValueError, match="cycle"):
        job_times.critical_path([1.0, 1.0], [[1], [0]])
