"""Cluster execution through profiles/slurm on a real (one-node, local) SLURM cluster.

tests/slurm/cluster.sh installs and starts slurmctld/slurmd/munged (root on Debian); where
that is impossible the cluster tests are skipped with the reason. The profile checks at the
top need no cluster.
"""

from __future__ import annotations

import importlib.machinery
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr
import yaml

from compare_runs import WALL_CLOCK_VARIABLES, same_arrays
from conftest import (
    BIN,
    ROOT,
    SNAKEMAKE,
    TINY_CONFIG,
    copy_workflow,
    failure_report,
    snakemake_env,
)
from physlens.io import read_json

PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
CLUSTER = ROOT / "tests" / "slurm" / "cluster.sh"
PROBE = ROOT / "tests" / "slurm" / "probe.smk"
CLUSTER_START_TIMEOUT_S = 1500  # includes a first-time apt-get install
# ~1 min of work plus ~10 s of Snakemake start-up per SLURM job.
RUN_TIMEOUT_S = 900
CANNOT_SET_UP = 2  # cluster.sh's exit status when this machine cannot host the cluster

# Targets for the profile's dry run: the Ising stage, whose rules the profile sizes.
ISING_TARGETS = ("results/ising/headline.json",)
# The part of the tiny workflow that runs on the cluster: grouped Monte Carlo jobs, GPU-marked
# trainings of two stages and the jobs that read their models. Every job costs ~10 s of
# Snakemake start-up on SLURM, so the whole workflow (over 100 jobs) would add ~15 min to CI
# without exercising anything these ten jobs do not.
SLURM_TARGETS = (
    "results/ising/headline.json",
    "results/supervised/headline_tc.json",
    "results/unsupervised/ae2/headline.json",
)

# Test-only speed-up: poll SLURM every few seconds instead of the profile's 20 s (squeue stays
# reliable: the test cluster keeps finished jobs 300 s). The runs also get --cores = the test
# node's CPUs: a group job must fit one node, and Snakemake sizes it within --cores.
FAST_POLLING = (
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--seconds-between-status-checks",
    "2",
)


# The SLURM executor plugin (extra `slurm`): in the venv (`make setup-slurm`) or beside it,
# where `make test` installs it: outside site-packages, so that no other Snakemake run imports
# it (its import calls `scontrol`, which waits for a timeout where no controller answers).
PLUGIN_DIR = BIN.parent / "slurm-plugin"


def slurm_env() -> dict:
    """snakemake_env() with the SLURM executor plugin importable."""
    env = snakemake_env()
    env["PYTHONPATH"] = os.pathsep.join((str(PLUGIN_DIR), env["PYTHONPATH"]))
    return env


def require_plugin() -> None:
    path = [str(PLUGIN_DIR), *sys.path]
    if importlib.machinery.PathFinder.find_spec("snakemake_executor_plugin_slurm", path) is None:
        pytest.skip(
            "snakemake-executor-plugin-slurm is not installed: `make test` installs it into "
            f"{PLUGIN_DIR}, `make setup-slurm` into the venv"
        )


def profile() -> dict:
    return yaml.safe_load(PROFILE.read_text())


# --- the profile itself (no cluster needed) ------------------------------------------------


def test_profile_uses_the_slurm_executor_without_forbidden_extras():
    prof = profile()
    assert prof["executor"] == "slurm"
    assert prof["slurm-status-command"] in ("squeue", "sacct")
    assert prof["group-components"] == {"montecarlo": 4}
    # GPUs go through the gpu/gpu_model resources; the plugin rejects them in slurm_extra.
    extras = [
        str(res.get("slurm_extra", ""))
        for res in [prof.get("default-resources", {}), *prof.get("set-resources", {}).values()]
    ]
    assert not any(re.search(r"--(gres|gpus)\b", e) for e in extras), extras


@pytest.mark.slow
def test_profile_set_resources_name_existing_rules_and_parse(tiny_run):
    """A renamed rule must not silently lose its cluster sizing; every expression evaluates."""
    require_plugin()
    listed = subprocess.run(
        [str(SNAKEMAKE), "--list-rules", "--configfile", TINY_CONFIG],
        cwd=tiny_run,
        env=snakemake_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr[-3000:]
    rules = set(listed.stdout.split())
    unknown = set(profile().get("set-resources", {})) - rules
    assert not unknown, f"profiles/slurm/config.yaml sizes rules that do not exist: {unknown}"
    # A dry run with the profile parses every option and resource expression (attempt 1).
    dry = subprocess.run(
        [
            str(SNAKEMAKE),
            *ISING_TARGETS,
            "--dry-run",
            "--forceall",
            "--workflow-profile",
            "profiles/slurm",
            "--configfile",
            TINY_CONFIG,
        ],
        cwd=tiny_run,
        env=slurm_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = dry.stdout + dry.stderr
    assert dry.returncode == 0, out[-3000:]
    runtimes = dict(re.findall(r"rule (\w+):.*?runtime=(\d+)", out, re.S))
    checked = 0
    for rule, res in profile()["set-resources"].items():
        # runtimes in the profile are "<minutes> * attempt"; attempt 1 gives <minutes>
        m = re.fullmatch(r"(\d+) \* attempt", str(res.get("runtime", "")))
        assert m, f"set-resources {rule}: runtime {res.get('runtime')!r} is not 'N * attempt'"
        if rule in runtimes:
            assert int(runtimes[rule]) == int(m.group(1)), (rule, runtimes[rule], m.group(0))
            checked += 1
    assert checked >= 2, runtimes  # simulate_ising and ising_checks at least


# --- a real cluster -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running one-node cluster; stopped afterwards if this session started it."""
    if shutil.which("bash") is None:
        pytest.skip("SLURM test cluster: no bash")
    require_plugin()
    was_running = subprocess.run([str(CLUSTER), "status"], capture_output=True).returncode == 0
    try:
        proc = subprocess.run(
            [str(CLUSTER), "start"], capture_output=True, text=True, timeout=CLUSTER_START_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"SLURM test cluster did not come up within {CLUSTER_START_TIMEOUT_S}s")
    if proc.returncode == CANNOT_SET_UP:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "unknown reason"
        print(f"\nSKIP SLURM tests: {reason}")
        pytest.skip(reason)
    assert proc.returncode == 0, f"tests/slurm/cluster.sh start failed:\n{proc.stderr[-3000:]}"
    yield
    if not was_running:
        subprocess.run([str(CLUSTER), "stop"], capture_output=True, timeout=120)


def node_cpus() -> int:
    out = subprocess.run(["sinfo", "-h", "-N", "-o", "%c"], capture_output=True, text=True)
    return int(out.stdout.split()[0])


def start_on_slurm(workdir: Path, *args) -> subprocess.Popen:
    """Start Snakemake with profiles/slurm in `workdir` (targets first in `args`: the
    --configfile option takes several values)."""
    cmd = [
        str(SNAKEMAKE),
        *args,
        "--workflow-profile",
        str(workdir / "profiles" / "slurm"),
        "--cores",
        str(node_cpus()),
        *FAST_POLLING,
    ]
    return subprocess.Popen(
        cmd,
        cwd=workdir,
        env=slurm_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def finish_on_slurm(proc: subprocess.Popen, workdir: Path, timeout: float) -> str:
    """Wait for a run; on time-out cancel its jobs. Return its output, or fail with logs."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # Ctrl-C lets Snakemake cancel its SLURM jobs; then make sure none is left behind.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        run_id = re.search(r"SLURM run ID: (\S+)", out or "")
        if run_id:
            subprocess.run(["scancel", "--name", run_id.group(1)], capture_output=True, timeout=30)
        queue = subprocess.run(
            ["squeue", "--states=all", "-o", "%i %j %T %r"], capture_output=True, text=True
        ).stdout
        pytest.fail(
            f"SLURM run in {workdir} timed out after {timeout:.0f}s\n{(out or '')[-4000:]}\n{queue}"
        )
    if proc.returncode != 0:
        completed = subprocess.CompletedProcess(proc.args, proc.returncode, out, "")
        pytest.fail(failure_report(workdir, completed), pytrace=False)
    return out


@pytest.fixture(scope="module")
def slurm_runs(slurm_cluster, tmp_path_factory) -> dict:
    """Part of the tiny workflow (SLURM_TARGETS) and the probe workflow, side by side on SLURM.

    Returns {"tiny": (workdir, output), "probe": (workdir, output)}.
    """
    tiny = copy_workflow(tmp_path_factory.mktemp("slurm_tiny"))
    probe = tmp_path_factory.mktemp("slurm_probe")
    shutil.copytree(ROOT / "profiles", probe / "profiles")
    shutil.copy(PROBE, probe / "Snakefile")
    procs = {
        "tiny": (tiny, start_on_slurm(tiny, *SLURM_TARGETS, "--configfile", TINY_CONFIG)),
        "probe": (probe, start_on_slurm(probe)),
    }
    deadline = time.monotonic() + RUN_TIMEOUT_S
    return {
        name: (workdir, finish_on_slurm(proc, workdir, max(1.0, deadline - time.monotonic())))
        for name, (workdir, proc) in procs.items()
    }


HEADLINE_FIELDS = ("value", "uncertainty", "reference", "tolerance", "status", "context")


@pytest.mark.slow
@pytest.mark.slurm
def test_tiny_workflow_on_slurm_matches_local_run(slurm_runs, tiny_run):
    workdir, out = slurm_runs["tiny"]

    # The Monte Carlo jobs went to SLURM bundled: group jobs, no single simulate_ising job.
    submitted = re.findall(r"has been submitted with SLURM jobid \d+ \(log: (\S+)\)", out)
    assert submitted, out[-3000:]
    assert any("/group_montecarlo" in s for s in submitted), submitted
    assert not any("/rule_simulate_ising/" in s for s in submitted), submitted
    # and every other rule went to SLURM too (nothing ran on the submitting host)
    rules = {m for s in submitted for m in re.findall(r"/rule_(\w+)/", s)}
    assert {"train_phase_classifier", "train_autoencoder", "supervised_tc"} <= rules, sorted(rules)

    # Every array of every HDF5 file the SLURM run wrote equals the local run's, byte for
    # byte, apart from the training histories' wall-clock seconds.
    remote_files = sorted((workdir / "results").rglob("*.h5"))
    assert len(remote_files) >= 6, f"the SLURM run wrote only {len(remote_files)} HDF5 files"
    for remote in remote_files:
        rel = remote.relative_to(workdir)
        path = tiny_run / rel
        assert path.exists(), f"the local run wrote no {rel}"
        with (
            xr.open_dataset(path, engine="h5netcdf") as a,
            xr.open_dataset(remote, engine="h5netcdf") as b,
        ):
            differ = [n for n in same_arrays(a, b) if n not in WALL_CLOCK_VARIABLES]
            assert differ == [], f"{rel}: {differ}"
            assert a.attrs.get("seed") == b.attrs.get("seed"), rel

    # Every headline number of the stages it ran equals the local run's.
    for target in SLURM_TARGETS:
        local_records, slurm_records = (
            {r["name"]: r for r in read_json(d / target)["records"]} for d in (tiny_run, workdir)
        )
        assert local_records and set(slurm_records) == set(local_records), target
        for name, rec in slurm_records.items():
            for field in HEADLINE_FIELDS:
                assert rec[field] == local_records[name][field], (target, name, field)


@pytest.mark.slow
@pytest.mark.slurm
def test_profile_gives_gpu_jobs_a_gpu_and_retries_with_longer_runtime(slurm_runs):
    workdir, _ = slurm_runs["probe"]

    gpu = dict(line.split("=", 1) for line in (workdir / "gpu.txt").read_text().split())
    assert gpu["TresPerJob"].endswith("gpu:1"), gpu
    cpus_per_gpu = profile()["default-resources"]["cpus_per_gpu"]
    assert gpu["CpusPerTres"].endswith(f"gpu:{cpus_per_gpu}"), gpu
    assert gpu["CUDA_VISIBLE_DEVICES"] != "", gpu

    attempts = re.findall(r"runtime=(\d+) timelimit=(\S+)", (workdir / "attempts.txt").read_text())
    assert len(attempts) == 2, attempts
    (r1, t1), (r2, t2) = attempts
    assert int(r2) == 2 * int(r1), attempts  # the profile's "N * attempt"
    # and SLURM's time limit ([H:]MM:SS) is the runtime in minutes
    for runtime, limit in attempts:
        parts = [int(p) for p in limit.split(":")]
        minutes = parts[-3] * 60 + parts[-2] if len(parts) == 3 else parts[0]
        assert minutes == int(runtime), (runtime, limit)
