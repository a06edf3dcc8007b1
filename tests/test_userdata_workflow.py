"""physlens as a Snakemake module on a system it does not simulate: docs/examples/own-data,
run from a copy with the one command its README gives (`snakemake --cores 2` in its folder).

The example samples the 2D three-state Potts model itself (heat bath, L = 8), trains the
phase CNN through config with a 1x1 kernel and ranks its decision neuron against the user's
observables. Independent truth: a 1x1-kernel network sees every site alone, so it can only
use the histogram of the three states, and the histogram's one function that separates the
phases symmetrically is the order parameter; the energy (nearest-neighbour bonds) is out of
its reach. So the Potts order parameter (or an exact equivalent) must rank first and the
energy group below it. The exact Tc = 1/ln(1 + sqrt 3) of the model (Baxter) judges where
the classifier places the transition.

The second test changes the inputs of the finished run to bad ones (data with a NaN, an
observable function that raises, a model that does not take the data's shape) and checks
that each stops with one message naming the file or key and leaves every result in place.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from conftest import ROOT, copy_workflow, run_snakemake

EXAMPLE = Path("docs") / "examples" / "own-data"
OUT = Path("results") / "userdata" / "potts"
TC_POTTS3 = 1.0 / math.log(1.0 + math.sqrt(3.0))
# A hang guard: the run takes about 1-2 min on a loaded 2-core machine.
TIMEOUT_S = 900


def copy_example(dest: Path) -> Path:
    """The physlens workflow and the example beside it, as in a fresh clone; the example's folder."""
    copy_workflow(dest)
    ignore = shutil.ignore_patterns("results", ".snakemake", "data", "__pycache__")
    shutil.copytree(ROOT / EXAMPLE, dest / EXAMPLE, ignore=ignore)
    return dest / EXAMPLE


@pytest.fixture(scope="module")
def potts_run(tmp_path_factory):
    workdir = copy_example(tmp_path_factory.mktemp("own_data"))
    start = time.monotonic()
    run_snakemake(workdir, "--cores", "2", timeout=TIMEOUT_S)
    return workdir, time.monotonic() - start


def _open(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


@pytest.mark.slow
def test_the_module_ranks_the_potts_order_parameter_first(potts_run):
    workdir, seconds = potts_run
    print(f"own-data example: {seconds:.0f} s wall clock")
    ranking = _open(workdir / OUT / "ranking.h5")
    rank = {str(o): int(r) for o, r in zip(ranking.observable.values, ranking["rank"].values)}
    assert rank["order_parameter"] == 1 and rank["order_squared"] == 1  # exact equivalents
    assert rank["energy"] == rank["satisfied_bonds"] == 2  # E/N = -2 x satisfied fraction
    assert rank["state0_fraction"] == 3  # not symmetric under relabelling the states
    top = ranking.sel(observable="order_parameter")
    second = ranking.sel(observable="energy")
    assert float(top.spearman_lo) > float(abs(second.spearman).max())  # first beyond its CI
    # the data: ordered at low T, disordered at high T, as the Potts model must be
    obs = _open(workdir / OUT / "observables.h5")
    T = _open(workdir / OUT / "split.h5")["control"].values
    m = obs["order_parameter"].values
    assert m[T == T.min()].mean() > 0.9 > 0.5 > m[T == T.max()].mean()
    summary = json.loads((workdir / OUT / "summary.json").read_text())
    judged = {r["name"]: r for r in summary["records"] if r["status"] != "info"}
    assert set(judged) == {
        "userdata.potts.abs_spearman[order_parameter]",
        "userdata.potts.expected_ranks_first",
        "userdata.potts.critical_temperature",
        "userdata.potts.knob_follows_data[order_parameter]",
        "userdata.potts.confounder_flagged",
    }
    assert all(r["status"] == "met" for r in judged.values()), judged
    tc = judged["userdata.potts.critical_temperature"]
    assert tc["reference"] == pytest.approx(TC_POTTS3, rel=1e-4)
    assert (workdir / OUT / "figures" / "overview.png").stat().st_size > 10_000


def _results(workdir: Path) -> dict[str, bytes]:
    """Every result file of the run, by path."""
    return {
        str(p.relative_to(workdir)): p.read_bytes()
        for p in sorted((workdir / OUT).rglob("*"))
        if p.is_file() and p.name not in ("check.json", "model_check.json")
    }


def _nan_data(workdir: Path) -> str:
    path = workdir / "data" / "potts.h5"
    ds = _open(path)
    ds["configurations"].values[5, 0, 2, 3] = np.nan
    path.unlink()
    ds.to_netcdf(path, engine="h5netcdf")
    return "data/potts.h5: configurations is not finite (NaN or inf): 1 value(s), first at sample=5, channel=0, y=2, x=3"


def _raising_observable(workdir: Path) -> str:
    path = workdir / "observables_potts.py"
    path.write_text(path.read_text() + "\n\ndef order_parameter(x):\n    raise ValueError('bad')\n")
    return "userdata.observables.functions: observables_potts.py:order_parameter raised ValueError: bad"


def _wrong_shape_model(workdir: Path) -> str:
    path = workdir / "config.yaml"
    path.write_text(path.read_text().replace("in_channels: 2", "in_channels: 1"))
    return "userdata.model.train.architecture: the model does not take the configurations of data/potts.h5"


@pytest.mark.slow
@pytest.mark.parametrize("spoil", [_nan_data, _raising_observable, _wrong_shape_model])
def test_bad_input_stops_with_one_message_and_keeps_the_results(potts_run, tmp_path, spoil):
    workdir = tmp_path / "run"
    shutil.copytree(potts_run[0].parents[2], workdir, symlinks=True)
    workdir = workdir / EXAMPLE
    before = _results(workdir)
    expected = spoil(workdir)
    proc = run_snakemake(workdir, "--cores", "2", check=False, timeout=TIMEOUT_S)
    out = proc.stdout + proc.stderr
    logs = "".join(
        p.read_text() for p in (workdir / "results" / "logs" / "userdata").rglob("*check.log")
    )
    assert proc.returncode != 0
    assert expected in logs, logs[-3000:] + out[-3000:]
    assert _results(workdir) == before


@pytest.mark.slow
def test_the_main_workflow_has_userdata_jobs_only_with_the_block(tmp_path):
    """The default config plans no userdata job; a config with the block plans the stage's
    jobs (dry run), and the run-wide summary collects its headlines."""
    import yaml

    workdir = copy_workflow(tmp_path)
    plain = run_snakemake(workdir, "-n", "--cores", "1", timeout=TIMEOUT_S)
    assert "userdata_" not in plain.stdout + plain.stderr
    r = np.random.default_rng(0)
    xr.Dataset(
        {
            "configurations": (("sample", "y", "x"), r.choice([-1, 1], (40, 4, 4)).astype(np.int8)),
            "temperature": ("sample", np.repeat([1.0, 3.0], 20)),
        }
    ).to_netcdf(workdir / "mine.h5", engine="h5netcdf")
    block = {
        "userdata": {
            "name": "mine",
            "data": "mine.h5",
            "system": "ising",
            "windows": {"low_max": 1.5, "high_min": 2.5},
            "model": {"train": {"architecture": {"name": "phase_cnn", "channels": [2]}}},
        }
    }
    (workdir / "mine.yaml").write_text(yaml.safe_dump(block))
    # the target before --configfile, which takes every argument after it
    planned = run_snakemake(
        workdir, "results/summary.json", "-n", "--cores", "1", "--configfile", "mine.yaml"
    )
    out = planned.stdout + planned.stderr
    for rule in ("userdata_check", "userdata_train", "userdata_probing", "userdata_confounder"):
        assert f"rule {rule}:" in out, out[-3000:]


@pytest.mark.slow
def test_the_module_run_makes_the_report(potts_run):
    """snakemake --report in the importing workflow: the stage's figure in its category, with
    the caption's measured numbers."""
    workdir, _ = potts_run
    run_snakemake(workdir, "--report", "report.html", timeout=TIMEOUT_S)
    html = (workdir / "report.html").read_text()
    assert "Your data" in html and "runs as a Snakemake module" in html
    # the caption's measured numbers, with reference and verdict
    assert "userdata.potts.critical_temperature = 1.0" in html and "MET" in html
