"""Rule memory follows the Monte Carlo data: the sizes the rule files compute from the config
(physlens.config.ising_data_mb / su2_data_mb) are those of the arrays a run writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import TINY_CONFIG
from snakemake.utils import update_config

from physlens.config import ising_data_mb, su2_data_mb, validate_config
from physlens.io import open_dataset

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def tiny_config() -> dict:
    """config/config.yaml with config/test.yaml on top, merged as Snakemake merges them."""
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(cfg, yaml.safe_load((ROOT / TINY_CONFIG).read_text()))
    return validate_config(cfg)


def test_data_sizes_are_those_of_the_written_arrays(tiny_run):
    cfg = tiny_config()
    for L in cfg["ising"]["sizes"]:
        with open_dataset(tiny_run / f"results/ising/L{L}.h5") as ds:
            assert ising_data_mb(cfg, L) == pytest.approx(ds["spins"].size * 4 / 1e6)
    with open_dataset(tiny_run / "results/su2/configs.h5") as ds:
        assert su2_data_mb(cfg) == pytest.approx(ds["links"].size * 4 / 1e6)
