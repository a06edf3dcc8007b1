"""Config validation: every bad key stops the run with a message naming key and value."""

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from physlens.config import (
    ConfigError,
    config_docs,
    load_config,
    temperature_grid,
    validate_config,
)

ROOT = Path(__file__).resolve().parents[1]
PRESETS = sorted((ROOT / "config").glob("*.yaml"))


@pytest.fixture()
def good():
    with open(ROOT / "config" / "test.yaml") as fh:
        return yaml.safe_load(fh)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_presets_are_valid(preset):
    cfg = load_config(preset)
    assert cfg["ising"]["algorithm"]["default"] in ("metropolis", "wolff")


def test_defaults_are_filled(good):
    del good["ising"]["wolff_chains"]
    cfg = validate_config(good)
    assert cfg["ising"]["wolff_chains"] == 8


@pytest.mark.parametrize(
    "mutate, key, value",
    [
        (lambda c: c["ising"].__setitem__("sizes", [1, 8]), "ising.sizes[0]", "1"),
        (lambda c: c["ising"].__setitem__("sizes", []), "ising.sizes", "[]"),
        (lambda c: c["ising"].__setitem__("sizes", "28"), "ising.sizes", "'28'"),
        (
            lambda c: c["ising"]["temperatures"]["coarse"].__setitem__("start", -1.0),
            "ising.temperatures.coarse.start",
            "-1.0",
        ),
        (
            lambda c: c["ising"]["temperatures"]["coarse"].__setitem__("num", 0),
            "ising.temperatures.coarse.num",
            "0",
        ),
        (
            lambda c: c["ising"]["temperatures"]["coarse"].__setitem__("stop", 0.5),
            "ising.temperatures.coarse.stop",
            "0.5",
        ),
        (
            lambda c: c["ising"].__setitem__("samples_per_temperature", "many"),
            "ising.samples_per_temperature",
            "'many'",
        ),
        (lambda c: c["ising"].__setitem__("bogus", 3), "ising.bogus", "unknown key"),
        (lambda c: c.__setitem__("sed", 3), "sed", "unknown key"),
        (lambda c: c.__setitem__("seed", -5), "seed", "-5"),
        (
            lambda c: c["ising"]["algorithm"].__setitem__("default", "glauber"),
            "ising.algorithm.default",
            "'glauber'",
        ),
        (
            lambda c: c["ising"]["algorithm"].__setitem__("wolff_window", [2.6, 2.0]),
            "ising.algorithm.wolff_window",
            "[2.6, 2.0]",
        ),
        (
            lambda c: c["ising"].__setitem__("thinning_multiple", 1),
            "ising.thinning_multiple",
            "1",
        ),
    ],
)
def test_bad_values_are_named(good, mutate, key, value):
    cfg = copy.deepcopy(good)
    mutate(cfg)
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    msg = str(err.value)
    assert key in msg and value in msg, msg


def test_missing_required_key_is_named(good):
    del good["ising"]["sizes"]
    with pytest.raises(ConfigError, match=r"'sizes' is a required property"):
        validate_config(good)


def test_snakemake_stops_before_any_job(tmp_path, good):
    """The Snakefile validates at start-up: a dry run with a bad value fails and names it."""
    good["ising"]["sizes"] = [8, 1]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(good))
    snakemake = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run(
        [str(snakemake), "-n", "--cores", "1", "--configfile", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "ising.sizes[1] = 1" in out, out[-3000:]
    assert "Job stats" not in out  # nothing was scheduled


def test_temperature_grid_merges_coarse_and_fine():
    grid = temperature_grid(
        {
            "temperatures": {
                "coarse": {"start": 1.0, "stop": 3.0, "num": 5},
                "fine": {"start": 2.0, "stop": 2.5, "num": 3},
            }
        }
    )
    np.testing.assert_allclose(grid, [1.0, 1.5, 2.0, 2.25, 2.5, 3.0])


def test_config_readme_is_generated_from_schema():
    """config/README.md documents every key; regenerate with `python -m physlens.config docs`."""
    assert (ROOT / "config" / "README.md").read_text() == config_docs()


def test_every_schema_property_has_a_description():
    text = config_docs()
    for line in text.splitlines():
        if line.startswith("| `"):
            assert not line.rstrip().endswith("|  |"), f"undocumented key: {line}"
