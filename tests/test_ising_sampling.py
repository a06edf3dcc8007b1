"""Monte Carlo samples against exact truth, plus determinism, file layout, atomicity, errors."""

import copy

import h5py
import numpy as np
import pytest
import xarray as xr
from scipy import stats

from physlens.config import ConfigError
from physlens.ising import exact, sampling
from physlens.ising.sampling import simulate_to_file
from physlens.stats import thinned_mean_error


def params(temperatures, algorithm="metropolis", window=(), samples=64, **over):
    """Rule-style params.ising whose grid is exactly `temperatures` (evenly spaced)."""
    assert np.allclose(np.diff(temperatures), np.diff(temperatures)[:1]), (
        "use an evenly spaced list"
    )
    p = {
        "seed": 11,
        "temperatures": {
            "coarse": {"start": temperatures[0], "stop": temperatures[-1], "num": len(temperatures)}
        },
        "samples_per_temperature": samples,
        "algorithm": {"default": algorithm, "wolff_window": list(window)},
        "wolff_chains": 8,
        "pilot_sweeps": 400,
        "equilibration": {"min_sweeps": 200, "tau_multiple": 20},
        "thinning_multiple": 2,
    }
    p.update(over)
    return p


def chi_square_pvalue(samples_e, T, L):
    """Pearson chi-square of an energy histogram against exact enumeration (bins pooled to >= 5)."""
    values, probs = exact.exact_energy_distribution(T, L)
    counts = np.array([(np.isclose(samples_e, v)).sum() for v in values])
    assert counts.sum() == len(samples_e), "a sampled energy is not an allowed level"
    expected = probs * len(samples_e)
    obs, exp_, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(counts, expected):  # pool adjacent levels until the expectation is >= 5
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 5:
            obs.append(acc_o), exp_.append(acc_e)
            acc_o = acc_e = 0.0
    obs[-1] += acc_o
    exp_[-1] += acc_e
    return stats.chisquare(obs, exp_).pvalue


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
def test_energy_histogram_on_4x4_torus_matches_exact_enumeration(tmp_path, algorithm):
    """Chi-square of 4096 samples per temperature against the exact 2^16-state distribution.

    Samples are 10 tau_int apart within a chain (64 Metropolis replicas or 64 Wolff chains),
    so they are independent to ~e^-10 and the chi-square statistic is valid. With a correct
    sampler each p-value is uniform: a fixed seed fails the p > 1e-4 threshold with
    probability 1e-4 per temperature (4e-4 for the test).
    """
    temps = [1.5, 2.0, 2.5, 3.0]
    p = params(temps, algorithm=algorithm, samples=4096, thinning_multiple=10, wolff_chains=64)
    path = simulate_to_file(p, 4, tmp_path / "L4.h5", threads=2, progress=False)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        for i, T in enumerate(temps):
            pvalue = chi_square_pvalue(ds["energy"][i].values, T, 4)
            assert pvalue > 1e-4, f"{algorithm} T={T}: p = {pvalue:.2e}"


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
def test_large_lattice_agrees_with_onsager_and_kaufman(tmp_path, algorithm):
    """L = 32, away from Tc: <E/N> vs Onsager and <|M|> vs Yang within 4 statistical errors
    (errors from tau_int); at T = 2.3 (near Tc, finite-size effects large) <E/N> vs Kaufman's
    exact L = 32 torus. Failure probability with a correct sampler ~1e-4 per comparison."""
    temps = [1.8, 2.3, 2.8]
    L = 32
    p = params(temps, algorithm=algorithm, samples=512, pilot_sweeps=1000)
    path = simulate_to_file(p, L, tmp_path / "L32.h5", threads=2, progress=False)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        for i, T in enumerate(temps):
            e = ds["energy"][i].values
            m = np.abs(ds["magnetization"][i].values)
            spacing = int(ds["thinning_sweeps"][i])
            err_e = thinned_mean_error(e, float(ds["tau_int_energy"][i]), spacing)
            err_m = thinned_mean_error(m, float(ds["tau_int_abs_m"][i]), spacing)
            reference = exact.kaufman_energy(T, L) if T == 2.3 else exact.onsager_energy(T)
            assert abs(e.mean() - reference) < 4 * err_e, (T, e.mean(), reference, err_e)
            if T < exact.TC_EXACT - 0.25:
                m_exact = exact.spontaneous_magnetization(T)
                assert abs(m.mean() - m_exact) < 4 * err_m, (T, m.mean(), m_exact, err_m)
            assert err_e < 0.01  # the check has teeth


def _arrays(path):
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return {
            v: ds[v].values for v in ("spins", "energy", "magnetization", "chain", "tau_int_energy")
        }


@pytest.mark.parametrize("chains", [8, 1])
def test_same_seed_gives_identical_samples_whatever_the_thread_count(tmp_path, chains):
    """One chain per Wolff temperature puts several temperatures in one parallel batch."""
    p = params([1.5, 2.0, 2.5, 3.0], window=(2.0, 2.5), samples=70, wolff_chains=chains)
    a = _arrays(simulate_to_file(p, 6, tmp_path / "a.h5", threads=1, progress=False))
    b = _arrays(simulate_to_file(p, 6, tmp_path / "b.h5", threads=2, progress=False))
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
    # the whole file too: no time stamps, and the chunk checksums depend on the data only
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()
    c = _arrays(
        simulate_to_file({**p, "seed": 12}, 6, tmp_path / "c.h5", threads=2, progress=False)
    )
    assert a["spins"].tobytes() != c["spins"].tobytes()


def test_adding_a_temperature_leaves_the_others_unchanged(tmp_path):
    base = params([2.0, 3.0], samples=16)
    more = params([2.0, 2.5, 3.0], samples=16)
    a = _arrays(simulate_to_file(base, 4, tmp_path / "a.h5", threads=2, progress=False))
    b = _arrays(simulate_to_file(more, 4, tmp_path / "b.h5", threads=2, progress=False))
    np.testing.assert_array_equal(a["spins"], b["spins"][[0, 2]])


def test_file_layout_is_the_shared_contract(tmp_path):
    temps = [1.5, 2.25, 3.0]
    p = params(temps, window=(2.0, 2.5), samples=80)
    path = simulate_to_file(p, 6, tmp_path / "L6.h5", threads=2, progress=False)
    with h5py.File(path, "r") as f:
        assert f["spins"].dtype == np.int8 and f["spins"].shape == (3, 80, 6, 6)
        assert f["spins"].compression == "gzip" and f["spins"].chunks[0] == 1
        assert f.attrs["L"] == 6 and f.attrs["seed"] == 11 and "physlens_version" in f.attrs
        # every array carries a checksum of each chunk, verified by HDF5 on every read
        assert [k for k in f if isinstance(f[k], h5py.Dataset) and not f[k].fletcher32] == []
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds["spins"].dims == ("temperature", "sample", "y", "x")
        np.testing.assert_allclose(ds["temperature"].values, temps)
        for name in ("energy", "magnetization", "chain"):
            assert ds[name].dims == ("temperature", "sample")
        for name in ("tau_int_abs_m", "tau_int_energy", "thinning_sweeps", "algorithm"):
            assert ds[name].dims == ("temperature",)
        meanings = ds["algorithm"].attrs["flag_meanings"].split()
        assert [meanings[c] for c in ds["algorithm"].values] == [
            "metropolis",
            "wolff",
            "metropolis",
        ]
        s = ds["spins"].values.astype(float)
        assert set(np.unique(s)) <= {-1.0, 1.0}
        # stored observables are those of the stored configurations
        energy = -(s * np.roll(s, -1, -1) + s * np.roll(s, -1, -2)).sum(axis=(-2, -1)) / 36
        np.testing.assert_array_equal(ds["energy"].values, energy)
        np.testing.assert_array_equal(ds["magnetization"].values, s.mean(axis=(-2, -1)))
        # Metropolis: 80 samples = 64 replicas, then 16; Wolff: 8 chains in turn
        np.testing.assert_array_equal(ds["chain"][0].values, np.r_[np.arange(64), np.arange(16)])
        np.testing.assert_array_equal(ds["chain"][1].values, np.tile(np.arange(8), 10))
        assert (
            ds["thinning_sweeps"].values >= np.maximum(1, 2 * ds["tau_int_energy"].values)
        ).all()
        assert (ds["equilibration_sweeps"].values >= 20 * ds["tau_int_abs_m"].values).all()


def test_failed_run_leaves_no_file(tmp_path, monkeypatch):
    calls = []

    def failing(batch, p):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed mid-write")
        return real(batch, p)

    real = sampling.simulate_batch
    monkeypatch.setattr(sampling, "simulate_batch", failing)
    target = tmp_path / "L4.h5"
    with pytest.raises(RuntimeError, match="killed mid-write"):
        simulate_to_file(
            params([1.5, 2.0, 2.5, 3.0], samples=8), 4, target, threads=1, progress=False
        )
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p.update(samples_per_temperature=0), "ising.samples_per_temperature = 0"),
        (lambda p: p.update(colour="red"), "unknown key ising.colour"),
        (
            lambda p: p["algorithm"].update(default="heatbath"),
            "ising.algorithm.default = 'heatbath'",
        ),
        (lambda p: p["algorithm"].update(wolff_window=[2.5, 2.0]), "ising.algorithm.wolff_window"),
        (lambda p: p.update(pilot_sweeps=10), "ising.pilot_sweeps = 10"),
        (lambda p: p.pop("seed"), "'seed' missing"),
    ],
)
def test_bad_params_name_the_key(tmp_path, change, message):
    p = copy.deepcopy(params([2.0, 3.0]))
    change(p)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        simulate_to_file(p, 4, tmp_path / "x.h5", progress=False)
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize("L", [1, 2.5, "8"])
def test_bad_lattice_size(tmp_path, L):
    with pytest.raises(ConfigError, match="lattice size L"):
        simulate_to_file(params([2.0]), L, tmp_path / "x.h5", progress=False)
