"""simulate_to_file: layout, provenance, determinism, thinning, config errors, atomicity."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from physlens.config import ConfigError
from physlens.io import open_dataset, sha256sum
from physlens.references import reference
from physlens.su2 import BETA_C_NT2_REF, sampling
from physlens.su2.lattice import make_lattice
from physlens.su2.observables import average_plaquette, polyakov_loop

ROOT = Path(__file__).resolve().parents[1]


def tiny_params(**overrides):
    cfg = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    su2 = {
        **cfg["su2"],
        "beta": {"start": 1.5, "stop": 2.5, "num": 2},
        "samples_per_beta": 6,
        "pilot_sweeps": 40,
        **overrides,
    }
    return {"seed": cfg["seed"], **su2}


@pytest.fixture(scope="module")
def su2_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("su2") / "configs.h5"
    sampling.simulate_to_file(tiny_params(), path, threads=1, progress=False)
    return path


def test_file_layout_and_provenance(su2_file):
    p = sampling.validated_params(tiny_params())
    ds = open_dataset(su2_file, required=("links", "plaquette", "polyakov_loop"))
    with ds:
        assert ds["links"].dims == ("beta", "sample", "t", "z", "y", "x", "mu", "component")
        assert ds["links"].shape == (2, 6, 2, 4, 4, 4, 4, 4)
        assert ds["plaquette"].dims == ds["polyakov_loop"].dims == ("beta", "sample")
        np.testing.assert_allclose(ds["beta"], [1.5, 2.5])
        for name in ("tau_int_plaquette", "tau_int_abs_polyakov_loop", "thinning_sweeps"):
            assert ds[name].dims == ("beta",)
        assert ds.attrs["algorithm"] == "heatbath(KP)+overrelaxation"
        assert ds.attrs["seed"] == p["seed"]
        assert ds.attrs["beta_c_nt2"] == reference(BETA_C_NT2_REF).value == 1.88
        assert "mu = 0 (t)" in ds.attrs["mu_order"] and "physlens_version" in ds.attrs
        # thinning is at least thinning_multiple * tau_int of both observables
        tau = np.maximum(ds["tau_int_plaquette"], ds["tau_int_abs_polyakov_loop"])
        assert np.all(ds["thinning_sweeps"] >= p["thinning_multiple"] * tau - 1e-9)
        assert np.all(
            ds["equilibration_sweeps"] >= p["equilibration"]["min_sweeps"] + p["pilot_sweeps"]
        )
    with h5py.File(su2_file) as f:  # plain HDF5, chunked per beta and compressed
        assert f["links"].chunks[0] == 1 and f["links"].compression == "gzip"


def test_stored_observables_match_the_stored_links(su2_file):
    """The observables were measured on the float64 chain; the float32 links reproduce them."""
    lat = make_lattice(4, 2)
    with open_dataset(su2_file) as ds:
        links = ds["links"].values.astype(np.float64)
        assert np.abs(np.linalg.norm(links, axis=-1) - 1).max() < 1e-6
        for b in range(2):
            for s in (0, 5):
                assert average_plaquette(links[b, s], lat) == pytest.approx(
                    float(ds["plaquette"][b, s]), abs=1e-5
                )
                assert polyakov_loop(links[b, s], lat) == pytest.approx(
                    float(ds["polyakov_loop"][b, s]), abs=1e-5
                )
        np.testing.assert_array_equal(ds["abs_polyakov_loop"], np.abs(ds["polyakov_loop"]))


def test_same_config_gives_byte_identical_file_whatever_the_threads(
    su2_file, tmp_path, monkeypatch
):
    # fewest sweeps: the prange path forks and joins 8 times per sweep
    params = tiny_params(
        pilot_sweeps=20,
        n_overrelax=1,
        samples_per_beta=3,
        equilibration={"min_sweeps": 0, "tau_multiple": 0},
    )
    files = {name: tmp_path / f"{name}.h5" for name in ("serial", "threaded", "prange")}
    sampling.simulate_to_file(params, files["serial"], threads=1, progress=False)
    # two threads: betas in concurrent chains (small lattice), then the prange kernels
    sampling.simulate_to_file(params, files["threaded"], threads=2, progress=False)
    monkeypatch.setattr(sampling, "PARALLEL_MIN_SITES", 1)
    sampling.simulate_to_file(params, files["prange"], threads=2, progress=False)
    digests = {name: sha256sum(path) for name, path in files.items()}
    assert len(set(digests.values())) == 1, digests
    other = tmp_path / "other_seed.h5"
    sampling.simulate_to_file({**tiny_params(), "seed": 8}, other, threads=1, progress=False)
    with open_dataset(other) as a, open_dataset(su2_file) as b:
        assert not np.array_equal(a["links"].values, b["links"].values)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"n_s": 5}, r"su2\.n_s = 5"),
        ({"bogus": 1}, r"su2\.bogus"),
        ({"beta": {"start": 2.0, "stop": 1.0, "num": 3}}, r"su2\.beta\.stop"),
        ({"beta": {"start": 2.0, "stop": 2.0, "num": 3}}, r"su2\.beta\.stop"),
        ({"samples_per_beta": 0}, r"su2\.samples_per_beta = 0"),
        ({"thinning_multiple": 1}, r"su2\.thinning_multiple = 1"),
    ],
)
def test_bad_parameters_are_named(overrides, message):
    with pytest.raises(ConfigError, match=message):
        sampling.validated_params(tiny_params(**overrides))


def test_missing_seed_is_named():
    params = tiny_params()
    del params["seed"]
    with pytest.raises(ConfigError, match="seed"):
        sampling.validated_params(params)


def test_defaults_fill_an_empty_block():
    p = sampling.validated_params({"seed": 1})
    assert p["n_t"] == 2 and p["n_s"] % 2 == 0 and p["beta"]["num"] >= 2


def test_failed_run_leaves_no_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(sampling, "simulate_beta", broken)
    path = tmp_path / "configs.h5"
    with pytest.raises(RuntimeError, match="simulated crash"):
        sampling.simulate_to_file(tiny_params(), path, threads=1, progress=False)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_susceptibility_peak_finds_the_broadest_distribution():
    """Synthetic P: Gaussian with width largest at the third beta -> the peak is there."""
    from physlens.su2.checks import polyakov_susceptibility, susceptibility_peak

    betas = np.array([1.0, 1.5, 2.0, 2.5])
    widths = np.array([0.05, 0.1, 0.3, 0.1])
    poly = np.random.default_rng(0).standard_normal((4000, 4)) * widths
    # Gaussian: <P^2> - <|P|>^2 = w^2 (1 - 2/pi)
    np.testing.assert_allclose(
        polyakov_susceptibility(poly, 4), 64 * widths**2 * (1 - 2 / np.pi), rtol=0.1
    )
    assert susceptibility_peak(betas, poly, 4) == 2.0


def test_headline_records_of_a_file(su2_file, tmp_path):
    from physlens.io import read_json
    from physlens.su2.checks import write_checks

    records = write_checks(su2_file, tmp_path / "headline.json", seed=7)
    by_name = {r["name"]: r for r in records}
    peak = by_name["su2.polyakov_susceptibility_peak_beta"]
    assert peak["value"] in (1.5, 2.5) and peak["reference"] == 1.88
    assert peak["status"] in ("met", "missed") and peak["uncertainty"] > 0
    assert by_name["su2.abs_polyakov_loop_at_largest_beta"]["status"] == "info"
    assert read_json(tmp_path / "headline.json")["records"] == records
