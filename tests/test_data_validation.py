"""Damaged or non-finite data is refused where it is loaded, with file and variable named,
and a NaN or infinite number in a check makes its headline 'missed', never 'met'."""

import h5py
import numpy as np
import pandas as pd
import pytest

from _ising_fixture import write_fixture
from physlens.io import DataFileError, open_dataset
from physlens.ising.checks import headline_records, mark_onsager_comparisons
from physlens.ising.exact import kaufman_energy, onsager_energy, spontaneous_magnetization
from physlens.ising.sampling import simulate_to_file
from physlens.summary import headline
from physlens.supervised.data import load_ising
from physlens.validate import ising_energy_from_spins, validate_ising

TEMPS = [1.5, 2.0, 3.5]


@pytest.fixture()
def ising_file(tmp_path):
    return write_fixture(tmp_path / "L8.h5", 8, TEMPS, 6, seed=3, sweeps=20)


def _poke(path, name, index, value):
    with h5py.File(path, "r+") as f:
        f[name][index] = value


def test_energy_from_spins_brute_force():
    """E/N against a loop over every bond of a random 3x3 torus."""
    s = np.random.default_rng(0).choice([-1, 1], size=(3, 3)).astype(np.int8)
    e = 0
    for y in range(3):
        for x in range(3):
            e -= s[y, x] * (s[y, (x + 1) % 3] + s[(y + 1) % 3, x])
    assert ising_energy_from_spins(s) == pytest.approx(e / 9)
    assert ising_energy_from_spins(np.ones((4, 4))) == -2.0


def test_sound_file_loads(ising_file):
    ds = load_ising(ising_file)
    assert ds.sizes["sample"] == 6


@pytest.mark.parametrize(
    ("name", "index", "value", "words"),
    [
        ("energy", (1, 2), np.nan, ("energy is not finite", "temperature=1, sample=2")),
        ("energy", (0, 0), np.inf, ("energy is not finite",)),
        ("magnetization", (2, 5), -np.inf, ("magnetization is not finite",)),
        ("energy", (0, 3), -1.234, ("energy disagrees with the stored spins",)),
        ("magnetization", (1, 1), 0.123, ("magnetization disagrees with the stored spins",)),
        ("spins", (0, 1, 2, 3), 3, ("spins must be -1 or +1, found [3]", "sample=1, y=2, x=3")),
        ("spins", (2, 0, 0, 0), 0, ("spins must be -1 or +1, found [0]",)),
    ],
)
def test_damaged_file_is_refused_with_file_and_variable(ising_file, name, index, value, words):
    _poke(ising_file, name, index, value)
    with pytest.raises(DataFileError) as err:
        load_ising(ising_file)
    msg = str(err.value)
    assert str(ising_file) in msg
    for w in words:
        assert w in msg, msg


@pytest.fixture(scope="module")
def simulated_file(tmp_path_factory):
    """A small file from the workflow's own writer."""
    params = {
        "seed": 5,
        "temperatures": {"values": [1.5, 3.0]},
        "samples_per_temperature": 8,
        "algorithm": {"default": "metropolis", "wolff_window": []},
        "pilot_sweeps": 100,
        "equilibration": {"min_sweeps": 20, "tau_multiple": 5},
    }
    path = tmp_path_factory.mktemp("ising") / "L4.h5"
    return simulate_to_file(params, 4, path, progress=False)


def _flip_stored_byte(src, dst, name):
    """Copy `src` to `dst` with one bit of the first stored byte of variable `name` flipped,
    behind HDF5's back (as a disk or a copy would); for energy that is the lowest mantissa
    byte of a float64, a change no content check can see."""
    with h5py.File(src, "r") as f:
        d = f[name]
        offset = d.id.get_offset() if d.chunks is None else d.id.get_chunk_info(0).byte_offset
    data = bytearray(src.read_bytes())
    data[offset] ^= 1
    dst.write_bytes(bytes(data))
    return dst


def _load_lazily(path):
    return validate_ising(open_dataset(path), path)


@pytest.mark.parametrize("load", [load_ising, _load_lazily], ids=["load", "lazy"])
@pytest.mark.parametrize("name", ["spins", "energy", "tau_int_energy", "temperature"])
def test_flipped_byte_in_a_data_array_is_refused_naming_file_and_variable(
    simulated_file, tmp_path, load, name
):
    assert load(simulated_file).sizes["sample"] == 8  # the undamaged file loads
    damaged = _flip_stored_byte(simulated_file, tmp_path / "L4.h5", name)
    with pytest.raises(DataFileError) as err:
        load(damaged)
    msg = str(err.value)
    assert msg.startswith(f"{damaged}: {name} cannot be read (checksum mismatch"), msg


def test_wrong_dims_are_refused(ising_file):
    ds = load_ising(ising_file)
    bad = ds.assign(energy=(("sample", "temperature"), ds["energy"].values.T))
    with pytest.raises(DataFileError, match="energy has dims"):
        validate_ising(bad, "x.h5")


def _exact_table(L=8, temps=(1.2, 1.6, 3.0, 3.5)):
    """A checks table whose means are the exact values: every headline must be met."""
    rows = []
    for T in temps:
        for obs, exact in (
            ("energy", onsager_energy(T)),
            ("abs_magnetization", spontaneous_magnetization(T)),
        ):
            k = kaufman_energy(T, L) if obs == "energy" else np.nan
            rows.append(
                {
                    "L": L,
                    "temperature": T,
                    "observable": obs,
                    "algorithm": "metropolis",
                    "mean": float(k if obs == "energy" else exact),
                    "error": 0.01,
                    "tau_int": 1.0,
                    "onsager": float(exact),
                    "kaufman": k,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("column", "value"), [("mean", np.nan), ("error", np.inf), ("error", np.nan), ("mean", np.inf)]
)
def test_non_finite_check_value_is_missed_never_met(column, value):
    table = _exact_table()
    # L = 8 energies equal Kaufman's exactly: met. Onsager's L = inf is close enough at
    # |T - Tc| >= 0.7 for 4 sigma with error 0.01.
    records = {r["name"]: r for r in headline_records(mark_onsager_comparisons(table, 0.5), 4)}
    assert records["ising.energy_vs_kaufman.L8"]["status"] == "met"
    row = table.index[(table["observable"] == "energy") & (table["temperature"] == 3.0)][0]
    table.loc[row, column] = value
    records = {r["name"]: r for r in headline_records(mark_onsager_comparisons(table, 0.5), 4)}
    assert records["ising.energy_vs_kaufman.L8"]["status"] == "missed"
    assert records["ising.energy_vs_kaufman.L8"]["context"]["T"] == 3.0


@pytest.mark.parametrize("uncertainty", [np.inf, np.nan])
def test_headline_with_non_finite_error_is_missed(uncertainty):
    rec = headline(
        "x",
        1.0,
        stage="t",
        uncertainty=uncertainty,
        reference=1.0,
        tolerance=4,
        tolerance_kind="sigma",
    )
    assert rec["status"] == "missed"
    assert (
        headline(
            "x", 1.0, stage="t", uncertainty=0.1, reference=1.0, tolerance=4, tolerance_kind="sigma"
        )["status"]
        == "met"
    )
