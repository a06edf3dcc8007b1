"""Rule memory follows the Monte Carlo data: the sizes the rule files compute from the config
(physlens.config.ising_data_mb / su2_data_mb) are those of the arrays a run writes."""

from __future__ import annotations

import pytest

from physlens.config import ising_data_mb, su2_data_mb
from physlens.io import open_dataset

pytestmark = pytest.mark.slow


def test_data_sizes_are_those_of_the_written_arrays(tiny_run, tiny_config):
    for L in tiny_config["ising"]["sizes"]:
        with open_dataset(tiny_run / f"results/ising/L{L}.h5") as ds:
            assert ising_data_mb(tiny_config, L) == pytest.approx(ds["spins"].size * 4 / 1e6)
    with open_dataset(tiny_run / "results/su2/configs.h5") as ds:
        assert su2_data_mb(tiny_config) == pytest.approx(ds["links"].size * 4 / 1e6)
