"""Influence functions: exact Hessian vs analytic, CG/LiSSA vs exact, prediction vs retraining."""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from physlens.interpret import influence as I
from physlens.interpret.ablation import bce_with_logits
from physlens.io import open_dataset, to_netcdf_atomic

# torch's own forward-mode decompositions (used by jvp) still call torch.jit.script
pytestmark = [
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
    pytest.mark.usefixtures("float64_single_thread"),
]


def observables_data(n, seed):
    """Two 'observables' (like |m| and e per site) whose means differ between the phases."""
    g = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(float)
    x = np.c_[g.normal(1.0 - y, 0.8), g.normal(-1.5 + 0.8 * y, 0.6)]
    return torch.tensor(x), torch.tensor(y)


def logistic(train):
    model = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    I.fit_to_optimum(model, bce_with_logits, *train, l2=1e-2)
    return model


class PeriodicConv(nn.Conv2d):
    def forward(self, x):
        ky, kx = self.kernel_size
        return super().forward(F.pad(x, (0, kx - 1, 0, ky - 1), mode="circular"))


class Probe1x2(nn.Module):
    """1x2 periodic conv -> tanh -> lattice mean -> logit: 9 parameters."""

    def __init__(self):
        super().__init__()
        self.conv = PeriodicConv(1, 2, (1, 2))
        self.act = nn.Tanh()
        self.head = nn.Linear(2, 1)
        with torch.no_grad():  # start near an aligned-bond detector; training refines it
            self.conv.weight[:] = torch.tensor([[[[1.0, 1.0]]], [[[-1.0, -1.0]]]])
            self.conv.bias[:] = -1.0
            self.head.weight[:] = -2.0
            self.head.bias[:] = 0.5

    def forward(self, s):
        return self.head(self.act(self.conv(s.unsqueeze(1))).mean(dim=(-2, -1))).squeeze(-1)


def spin_data(n, L, seed):
    """Label 1: disordered (flip probability 0.25-0.5), label 0: ordered (0-0.3)."""
    g = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(float)
    p = np.where(y == 1, g.uniform(0.25, 0.5, n), g.uniform(0.0, 0.3, n))
    flips = np.where(g.random((n, L, L)) < p[:, None, None], -1.0, 1.0)
    return torch.tensor(g.choice([-1.0, 1.0], n)[:, None, None] * flips), torch.tensor(y)


def test_exact_hessian_of_logistic_regression_matches_the_analytic_one():
    x, y = observables_data(30, 0)
    model = logistic((x, y))
    obj = I.FlatObjective(model, bce_with_logits, x, y, l2=1e-2)
    xt = torch.cat([x, torch.ones(30, 1)], dim=1)  # parameters are (w1, w2, b)
    p = torch.sigmoid(xt @ obj.theta0)
    analytic = (xt.T * (p * (1 - p))) @ xt / 30 + 1e-2 * torch.eye(3)
    torch.testing.assert_close(obj.hessian(obj.theta0), analytic, rtol=1e-10, atol=1e-12)
    # and the trained parameters are a stationary point of the regularised objective
    g = torch.func.grad(obj.objective)(obj.theta0)
    assert g.abs().max() < 1e-7


def test_cg_and_lissa_agree_with_the_exact_inverse():
    x, y = spin_data(32, 4, 1)
    torch.manual_seed(0)
    model = Probe1x2()
    obj = I.FlatObjective(model, bce_with_logits, x, y, l2=0.1)
    v = torch.as_tensor(np.random.default_rng(2).normal(size=obj.n_params))
    damping = 0.3  # keeps H positive definite at these untrained parameters
    exact = I.inverse_hvp_exact(obj, obj.theta0, v, damping=damping)

    def rel(a):
        return float((a - exact).norm() / exact.norm())

    assert rel(I.inverse_hvp_cg(obj, obj.theta0, v, damping=damping)) < 1e-8
    # full-batch LiSSA is a deterministic Neumann series: converges to the exact solution
    full = I.inverse_hvp_lissa(obj, obj.theta0, v, seed=3, damping=damping, depth=200, repeats=1)
    assert rel(full) < 1e-4
    # minibatch LiSSA is stochastic: agrees to its noise level, reproducibly for a seed
    kw = dict(seed=4, damping=damping, depth=100, repeats=3, batch_size=16)
    noisy = I.inverse_hvp_lissa(obj, obj.theta0, v, **kw)
    assert rel(noisy) < 0.2
    assert torch.equal(noisy, I.inverse_hvp_lissa(obj, obj.theta0, v, **kw))


def test_influence_predicts_leave_one_out_retraining_for_logistic_regression(tmp_path):
    train, test = observables_data(60, 5), observables_data(40, 6)
    model = logistic(train)
    idx = list(range(0, 60, 5))
    res = I.validate_against_retraining(model, bce_with_logits, *train, *test, idx, l2=1e-2)
    assert res.attrs["pearson_r"] > 0.98  # convex model: first order is nearly exact
    # the magnitudes agree too, not only the ranking
    np.testing.assert_allclose(res["predicted"], res["actual"], rtol=0.3, atol=2e-4)
    # the model is left at its optimum after retraining
    inf = I.influence_on_test_loss(model, bce_with_logits, *train, *test, l2=1e-2, method="cg")
    np.testing.assert_allclose(
        inf["predicted_delta_test_loss"].values[idx], res["predicted"], rtol=1e-6
    )
    to_netcdf_atomic(inf, tmp_path / "influence.h5")
    back = open_dataset(tmp_path / "influence.h5", required=("influence",))
    assert back.attrs["n_params"] == 3 and back.attrs["l2"] == 1e-2


@pytest.mark.slow
def test_influence_predicts_leave_one_out_retraining_for_a_1x2_probing_net():
    train, test = spin_data(48, 6, 0), spin_data(48, 6, 1)
    model = Probe1x2()
    I.fit_to_optimum(model, bce_with_logits, *train, l2=1e-2)
    res = I.validate_against_retraining(
        model, bce_with_logits, *train, *test, list(range(0, 48, 6)), l2=1e-2
    )
    assert res.attrs["pearson_r"] >= 0.8


def test_non_positive_definite_hessian_is_reported():
    x, y = observables_data(20, 7)
    model = logistic((x, y))
    obj = I.FlatObjective(model, bce_with_logits, x, y, l2=-5.0)
    with pytest.raises(np.linalg.LinAlgError, match="interpret.influence.l2"):
        I.inverse_hvp_exact(obj, obj.theta0, torch.ones(3))
    dropout_net = nn.Sequential(nn.Linear(2, 1), nn.Dropout(0.5), nn.Flatten(0)).train()
    with pytest.raises(ValueError, match="model.eval()"):
        I.FlatObjective(dropout_net, bce_with_logits, x, y)
    with pytest.raises(ValueError, match="interpret.influence.method"):
        I.inverse_hvp(obj, obj.theta0, torch.ones(3), "newton")


def test_temperature_window_masks_and_table():
    T = np.array([1.0, 1.5, 2.0, 2.27, 2.5, 3.0, 3.5])
    m = I.temperature_window_masks(T, 3)  # edges 1.0, 1.833, 2.667, 3.5
    assert m.dims == ("window", "sample")
    np.testing.assert_array_equal(m.values.sum(axis=0), np.ones(7))  # each sample once
    np.testing.assert_array_equal(m.sel(window=2).values, [0, 0, 0, 0, 0, 1, 1])
    m2 = I.temperature_window_masks(T, [[2.0, 2.5], [3.0, 4.0]])
    np.testing.assert_array_equal(m2.values, [[0, 0, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1, 1]])
    with pytest.raises(ValueError, match="T_lo < T_hi"):
        I.temperature_window_masks(T, [[2.5, 2.0]])
    table = I.window_effect_table(m2, 0.10, [0.30, 0.12], 2.27, [2.40, 2.28])
    np.testing.assert_allclose(table["delta_val_loss"], [0.20, 0.02])
    np.testing.assert_allclose(table["delta_tc"], [0.13, 0.01], atol=1e-12)
    np.testing.assert_array_equal(table["n_removed"], [2, 2])
    with pytest.raises(ValueError, match="one validation loss and one Tc per window"):
        I.window_effect_table(m2, 0.1, [0.3], 2.27, [2.4, 2.3])
