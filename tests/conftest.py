"""Shared fixtures: the tiny workflow run once per session, and a Snakemake runner.

`tiny_run` copies the workflow (Snakefile, workflow/, config/, envs/, profiles/) into a
fresh directory and runs it with config/test.yaml; tests that check outputs read them
there and must not modify that directory (run a fresh copy with `copy_workflow` instead).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
# The venv that runs pytest also provides snakemake (works in any venv, not only .venv).
BIN = Path(sys.executable).parent
SNAKEMAKE = BIN / "snakemake"
WORKFLOW_PARTS = ("Snakefile", "workflow", "config", "envs", "profiles")
TINY_CONFIG = "config/test.yaml"
# A hang guard, not a speed target: 4-6 min on an idle 2-core runner, 9 min at load 3-4.
TINY_RUN_TIMEOUT_S = 1800

# The library in this source tree, even where the package is not installed (editable or not).
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))


def snakemake_env() -> dict:
    """Environment for Snakemake subprocesses: this tree's src/ first, this venv on PATH."""
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env["PATH"] = os.pathsep.join((str(BIN), env.get("PATH", "")))
    return env


def copy_workflow(dest: Path) -> Path:
    """Copy the workflow's own files (not results/, not .snakemake/) into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".snakemake", "results")
    for name in WORKFLOW_PARTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore, dirs_exist_ok=True)
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def failure_report(workdir: Path, proc: subprocess.CompletedProcess) -> str:
    """What went wrong: Snakemake's own output and log, and the logs of the failed rules."""
    out = (proc.stdout or "") + (proc.stderr or "")
    parts = [f"snakemake {' '.join(map(str, proc.args[1:]))} exited {proc.returncode} in {workdir}"]
    # The cause is often far above the tail (e.g. a config error followed by a config dump).
    errors = [line for line in out.splitlines() if re.search(r"Error|Exception|error:", line)]
    if errors:
        parts.append("--- error lines ---\n" + "\n".join(dict.fromkeys(errors[:20])))
    parts.append("--- snakemake output (tail) ---\n" + _tail(out))
    logs = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    if logs:
        parts.append(f"--- {logs[-1].name} (tail) ---\n" + _tail(logs[-1].read_text(), 40))
    # Failed jobs are reported as "Error in rule X:" followed by their "log: path" lines.
    rule_logs = dict.fromkeys(
        m.group(1)
        for block in re.split(r"Error in (?:rule|group) ", out)[1:]
        for m in re.finditer(r"^\s*log: (\S+)", block, re.M)
    )
    for rel in rule_logs:
        path = Path(rel) if Path(rel).is_absolute() else workdir / rel
        if path.is_file():
            parts.append(f"--- {rel} (tail) ---\n" + _tail(path.read_text(errors="replace"), 40))
    return "\n".join(parts)


def run_snakemake(
    workdir: Path, *args, check: bool = True, timeout: float = 600, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run `snakemake *args` in `workdir`; with check, fail the test with the logs' tails."""
    try:
        proc = subprocess.run(
            [str(SNAKEMAKE), *map(str, args)],
            cwd=workdir,
            env=env or snakemake_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") + (exc.stderr or b"").decode(
            errors="replace"
        )
        pytest.fail(
            f"snakemake {' '.join(map(str, args))} in {workdir} timed out after "
            f"{timeout}s\n{_tail(out)}"
        )
    if check and proc.returncode != 0:
        pytest.fail(failure_report(workdir, proc), pytrace=False)
    return proc


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """Directory of one complete run of the workflow with config/test.yaml (run once)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("tiny_run"))
    run_snakemake(workdir, "--cores", "2", "--configfile", TINY_CONFIG, timeout=TINY_RUN_TIMEOUT_S)
    return workdir


@pytest.fixture()
def float64_single_thread():
    """Double precision for exactness checks, and one intra-op torch thread: tiny problems only
    lose time to thread contention on a shared 2-core runner (100x slower with 2 threads under
    load). Both settings are restored afterwards."""
    import torch

    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(dtype)
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _seed_global_rngs():
    """Every test starts from the same global torch/NumPy random state: no test depends on
    the order it runs in, and none can fail on an unlucky draw only sometimes."""
    import numpy as np
    import torch

    torch.manual_seed(20261125)
    np.random.seed(20261125)  # noqa: NPY002 - seeds any legacy global-state use in tested code
    yield


@pytest.fixture()
def tiny_config() -> dict:
    """config/config.yaml with config/test.yaml on top, merged as Snakemake merges them, and
    validated (a fresh dict per test: tests may edit it)."""
    import yaml
    from snakemake.utils import update_config

    from physlens.config import validate_config

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(cfg, yaml.safe_load((ROOT / TINY_CONFIG).read_text()))
    return validate_config(cfg)


@pytest.fixture()
def minimal_config():
    """The smallest valid config, with every default the schema fills in (the default
    stages train at L = 28 and 8 and label T <= 1.8 and T >= 2.8, so these must exist)."""
    from physlens.config import validate_config

    return validate_config(
        {
            "seed": 1,
            "ising": {
                "sizes": [8, 28],
                "temperatures": {"coarse": {"start": 1, "stop": 3, "num": 11}},
                "samples_per_temperature": 4,
            },
        }
    )
