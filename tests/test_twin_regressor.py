"""TwinRegressor: the scikit-learn-style face of TNNR, and the benchmark's labelled output."""

import numpy as np
import pytest
import torch

from physlens.siamese import tnnr
from physlens.siamese.benchmark import run_task, synthetic_function, synthetic_task
from physlens.siamese.regressor import TwinRegressor

SMALL = {"epochs": 8, "batch_size": 128, "lr": 3e-3, "patience": 8, "device": "cpu"}


def test_fit_predict_beats_a_constant_and_gives_a_spread():
    torch.set_num_threads(1)
    X, y = synthetic_task(400, np.random.default_rng(3))
    reg = TwinRegressor(hidden=(32, 32), n_triplets=3000, train=SMALL, seed=5)
    mean, std = reg.fit(X[:150], y[:150]).predict(X[150:], return_std=True)
    assert mean.shape == std.shape == (250,)
    assert np.array_equal(reg.predict(X[150:]), mean)
    # the test targets come from the exact function, not from the model
    assert np.allclose(y[150:], synthetic_function(X[150:]))
    constant = tnnr.rmse(np.full(250, y[:150].mean()), y[150:])
    assert tnnr.rmse(mean, y[150:]) < 0.5 * constant
    assert np.all(std > 0)
    assert 0 <= reg.loop_violation(X[150:]) < 0.5 * np.std(y)


def test_standardising_inside_equals_standardising_outside():
    """standardise=True (the default) is the benchmark's own data path, exactly."""
    torch.set_num_threads(1)
    X, y = synthetic_task(120, np.random.default_rng(4))
    kw = {"hidden": (8,), "n_triplets": 300, "train": {**SMALL, "epochs": 2}, "seed": 9}
    a = TwinRegressor(**kw).fit(X[:60], y[:60], X[60:90], y[60:90])
    std = tnnr.Standardiser(X[:60], y[:60])
    b = TwinRegressor(standardise=False, **kw).fit(
        std.x(X[:60]), std.y(y[:60]), std.x(X[60:90]), std.y(y[60:90])
    )
    ma, sa = a.predict(X[90:], return_std=True)
    mb, sb = b.predict(std.x(X[90:]), return_std=True)
    assert np.array_equal(ma, std.y_back(mb))
    assert np.array_equal(sa, std.y_back(sb, scale_only=True))


def test_bad_input_is_refused():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="finite"):
        TwinRegressor().fit(X, np.r_[np.nan, np.ones(9)])
    with pytest.raises(ValueError, match="len"):
        TwinRegressor().fit(X, np.ones(9))


def test_benchmark_predictions_select_by_estimator():
    """`method` is xarray's own keyword of .sel(); the dimension is called `estimator`."""
    torch.set_num_threads(1)
    X, y = synthetic_task(60, np.random.default_rng(1))
    cfg = {
        "n_train": 20,
        "n_val": 10,
        "few_labels": 5,
        "hidden": [4],
        "activation": "relu",
        "ensemble_size": 2,
        "triplets": 50,
        "loop_weight": 1.0,
        "semi_fraction": 0.5,
        "train": {"epochs": 1, "batch_size": 32, "patience": 1},
        "baseline_train": {"epochs": 1, "batch_size": 32, "patience": 1},
    }
    rows, ds = run_task("synthetic", X, y, cfg, {"device": "cpu", "mixed_precision": False}, 3)
    assert "method" not in ds.dims
    assert ds["prediction"].sel(estimator="tnnr").dims == ("point",)
    assert {r["estimator"] for r in rows} == set(ds["estimator"].values)
