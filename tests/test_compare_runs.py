"""The run comparison used to prove a refactoring changed no number finds every difference."""

import json

import numpy as np
import xarray as xr

from compare_runs import compare_hdf5, compare_summaries, main


def _run(root, x, status="met", seconds=1.0):
    (root / "results" / "a").mkdir(parents=True)
    ds = xr.Dataset({"x": ("i", np.asarray(x, float)), "seconds": ("e", [seconds])})
    ds.to_netcdf(root / "results" / "a" / "f.h5", engine="h5netcdf")
    rec = {"name": "q", "value": 1.0, "uncertainty": None, "status": status}
    (root / "results" / "summary.json").write_text(json.dumps({"records": [rec]}))
    return root


def test_identical_runs_agree_apart_from_wall_clock(tmp_path):
    a = _run(tmp_path / "a", [1, 2], seconds=1.0)
    b = _run(tmp_path / "b", [1, 2], seconds=9.0)
    assert compare_hdf5(a, b) == (1, [])
    assert compare_summaries(a, b) == (1, [])
    assert main([str(a), str(b)]) == 0


def test_a_changed_array_bit_or_status_is_reported(tmp_path):
    a = _run(tmp_path / "a", [1, 2])
    b = _run(tmp_path / "b", [1, np.nextafter(2, 3)], status="missed")
    assert compare_hdf5(a, b)[1] == ["results/a/f.h5: ['x']"]
    assert compare_summaries(a, b)[1] == ["q.status: 'met' != 'missed'"]
    assert main([str(a), str(b)]) == 1
