"""The SciNet rules on the tiny preset: every rule runs, the data file is the generator's own
output for the config's seed, and every headline the stage promises is recorded."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TINY_CONFIG, copy_workflow, run_snakemake
from physlens.io import load_dataset, read_json

SYSTEMS = ("pendulum", "heliocentric")
EXPECTED = {
    "pendulum": ["active_latents", "one_to_one", "score[kappa]", "score[b]", "answer_rms_error"],
    "heliocentric": [
        "active_latents",
        "one_to_one",
        "score[phi_earth]",
        "score[phi_mars]",
        "increment_ratio",
        "score_means[phi_earth]",
        "answer_rms_error[sun]",
        "answer_rms_error[mars]",
    ],
}


@pytest.fixture(scope="module")
def scinet_run(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("scinet_run"))
    targets = [f"results/scinet/{s}/figures/latents.png" for s in SYSTEMS]
    targets += [f"results/scinet/{s}/headline.json" for s in SYSTEMS]
    run_snakemake(workdir, *targets, "--cores", "2", "--configfile", TINY_CONFIG, timeout=300)
    return workdir


def test_every_rule_ran_and_recorded_its_headlines(scinet_run):
    for system in SYSTEMS:
        base = scinet_run / "results" / "scinet" / system
        assert (base / "figures" / "latents.png").stat().st_size > 0
        for rule in ("data", "train", "interpret", "figures"):
            assert (
                scinet_run / "results" / "benchmarks" / "scinet" / f"{rule}_{system}.tsv"
            ).exists()
        records = {r["name"]: r for r in read_json(base / "headline.json")["records"]}
        for name in EXPECTED[system]:
            rec = records[f"scinet.{system}.{name}"]
            assert rec["stage"] == "scinet"
        # judged records carry a verdict, recorded ones are info
        assert records[f"scinet.{system}.active_latents"]["status"] in ("met", "missed")
        report = read_json(base / "interpretation.json")
        assert len(report["mean_kl"]) == (3 if system == "pendulum" else 2)


def test_data_file_is_the_seeded_generator_output(scinet_run, tiny_config, tmp_path):
    from physlens.scinet.pipeline import write_data
    from physlens.slices import scinet_data_slice

    for system in SYSTEMS:
        path = tmp_path / f"{system}.h5"
        ours = write_data(
            system, scinet_data_slice(tiny_config["scinet"], system), tiny_config["seed"], path
        )
        theirs = load_dataset(scinet_run / "results" / "scinet" / system / "data.h5")
        np.testing.assert_array_equal(ours["observation"].values, theirs["observation"].values)
