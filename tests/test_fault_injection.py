"""Fault injection on the tiny workflow: kill -9 during a Monte Carlo job, rerun, and every
array equals an uninterrupted run's; the killed job's hidden temporary file is gone after the
rerun; and a job that refuses a damaged input shows its reason on the console."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pytest
import xarray as xr

from conftest import SNAKEMAKE, TINY_CONFIG, copy_workflow, run_snakemake, snakemake_env
from test_slurm import same_arrays

TARGET = "results/ising/L12.h5"
PROFILE = ("--workflow-profile", "profiles/default")


def _kill_when_temporary_appears(workdir: Path, timeout: float = 120) -> list[Path]:
    """Start the job, kill -9 its whole process group once its temporary file exists."""
    proc = subprocess.Popen(
        [str(SNAKEMAKE), "--cores", "2", "--configfile", TINY_CONFIG, *PROFILE, TARGET],
        cwd=workdir,
        env=snakemake_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    ising = workdir / "results" / "ising"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            found = list(ising.glob(".L12.h5.*tmp")) if ising.exists() else []
            if found:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return found
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    pytest.fail("the simulate_ising job finished or hung before its temporary file appeared")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("uninterrupted"))
    run_snakemake(
        workdir,
        "--cores",
        "2",
        "--configfile",
        TINY_CONFIG,
        *PROFILE,
        TARGET,
        "results/ising/L8.h5",
    )
    return workdir


def test_kill_9_then_rerun_equals_uninterrupted_run(reference, tmp_path):
    workdir = copy_workflow(tmp_path / "killed")
    stale = _kill_when_temporary_appears(workdir)
    assert all(p.exists() for p in stale), "kill -9 leaves the temporary (nothing can clean up)"
    assert not (workdir / TARGET).exists()

    # a killed Snakemake leaves its lock: --unlock, as docs/troubleshooting.md says
    run_snakemake(workdir, "--unlock", "--configfile", TINY_CONFIG, *PROFILE)
    run_snakemake(workdir, "--cores", "2", "--configfile", TINY_CONFIG, *PROFILE, TARGET)
    assert not any(p.exists() for p in stale), "the rerun left the stale temporary behind"
    assert list((workdir / "results" / "ising").glob(".*tmp")) == []
    with (
        xr.open_dataset(reference / TARGET, engine="h5netcdf") as a,
        xr.open_dataset(workdir / TARGET, engine="h5netcdf") as b,
    ):
        assert same_arrays(a, b) == []
    # and the Ising files are byte-identical (no time stamps in them)
    assert (reference / TARGET).read_bytes() == (workdir / TARGET).read_bytes()


def test_refusal_reason_reaches_the_console(reference, tmp_path):
    """The checks refuse a NaN energy; the console names the file and the variable."""
    workdir = copy_workflow(tmp_path / "damaged")
    (workdir / "results" / "ising").mkdir(parents=True)
    for L in (8, 12):
        shutil.copy2(reference / f"results/ising/L{L}.h5", workdir / f"results/ising/L{L}.h5")
    with h5py.File(workdir / TARGET, "r+") as f:
        f["energy"][2, 3] = float("nan")
    proc = run_snakemake(
        workdir,
        "--cores",
        "2",
        "--configfile",
        TINY_CONFIG,
        *PROFILE,
        "results/ising/headline.json",
        check=False,
    )
    console = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "energy is not finite" in console and "L12.h5" in console, console[-3000:]
