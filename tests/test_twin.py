"""Twin neural network regression: exact identities of the construction, and a tiny fit.

Truths: antisymmetry of F_sym and F_sym(a, a) = 0 hold exactly in floating point; with an
oracle F(a, b) = h(a) - h(b) the anchor average returns h exactly (and the loop sum is 0);
Gaussian errors of known sigma have known interval coverage.
"""

import numpy as np
import pytest
import torch

import physlens.models.siamese  # noqa: F401
from physlens.models import build_model
from physlens.siamese import tnnr
from physlens.siamese.benchmark import synthetic_task
from physlens.training import TrainSettings


def _twin(n_features=3, seed=0):
    torch.manual_seed(seed)
    return build_model(
        {"name": "twin_mlp", "n_features": n_features, "hidden": [16, 16], "activation": "relu"}
    )


def test_symmetric_twin_is_exactly_antisymmetric_and_zero_on_the_diagonal():
    model = _twin()
    a, b = torch.randn(200, 3), torch.randn(200, 3)
    with torch.no_grad():
        assert not torch.allclose(model.raw(a, b), -model.raw(b, a))  # the raw net is not
        assert torch.equal(model.difference(a, b), -model.difference(b, a))
        assert torch.equal(model.difference(a, a), torch.zeros(200))
        pairs = torch.stack([a, b], 1)
        assert torch.equal(model(pairs), model.difference(a, b))


def test_triplet_forward_is_the_loop_of_differences():
    model = _twin()
    t = torch.randn(50, 3, 3)
    with torch.no_grad():
        out = model(t)
        assert out.shape == (50, 3)
        assert torch.equal(out[:, 0], model.difference(t[:, 0], t[:, 1]))
        assert torch.equal(out[:, 2], model.difference(t[:, 2], t[:, 0]))


class _Oracle(torch.nn.Module):
    """F(a, b) = h(a) - h(b) with h(x) = sum of squares: exact differences."""

    @staticmethod
    def h(x):
        return (torch.as_tensor(x, dtype=torch.float64) ** 2).sum(-1)

    def difference(self, a, b):
        return self.h(a) - self.h(b)

    def forward(self, x):
        a, b, c = x[:, 0], x[:, 1], x[:, 2]
        return torch.stack(
            [self.difference(a, b), self.difference(b, c), self.difference(c, a)], -1
        )


def test_anchor_average_is_exact_for_exact_differences():
    gen = np.random.default_rng(0)
    Xq, Xa = gen.normal(size=(40, 3)), gen.normal(size=(25, 3))
    oracle = _Oracle()
    h_q, h_a = oracle.h(Xq).numpy(), oracle.h(Xa).numpy()
    mean, std = tnnr.tnnr_predict(oracle, Xq, Xa, h_a)
    np.testing.assert_allclose(mean, h_q, rtol=0, atol=1e-5)  # float32 inputs
    assert np.max(std) < 1e-5  # all anchors agree
    # noisy anchor labels: the prediction is h + mean noise, identically for every query
    noise = gen.normal(size=25)
    mean_noisy, std_noisy = tnnr.tnnr_predict(oracle, Xq, Xa, h_a + noise)
    np.testing.assert_allclose(mean_noisy - mean, noise.mean(), atol=1e-9)
    np.testing.assert_allclose(std_noisy, noise.std(), atol=1e-5)
    assert tnnr.loop_violation(oracle, Xq, 100, gen) < 1e-5


def test_triplet_targets_and_loss_masking():
    y = np.array([1.0, 3.0, np.nan, 7.0], np.float32)
    idx = np.array([[0, 1, 3], [0, 2, 1]])
    t = tnnr.triplet_targets(idx, y)
    np.testing.assert_array_equal(t[0], [-2.0, -4.0, 6.0])
    assert np.nansum(t[0]) == 0 and np.isnan(t[1, 0]) and np.isnan(t[1, 1]) and t[1, 2] == 2.0
    pred = torch.tensor([[-2.0, -4.0, 6.0], [5.0, -6.0, 3.0]])
    loss = tnnr.twin_loss(0.0)(pred, torch.as_tensor(t))
    assert float(loss) == pytest.approx((3.0 - 2.0) ** 2 / 4)  # only the 4 known entries
    loop = tnnr.twin_loss(1.0)(pred, torch.as_tensor(t)) - loss
    assert float(loop) == pytest.approx((0.0**2 + 2.0**2) / 2)


def test_sample_triplets_respects_labelled_block():
    gen = np.random.default_rng(1)
    idx = tnnr.sample_triplets(10, 5, 1000, 0.3, gen)
    assert idx.shape == (1000, 3)
    assert idx[:700].max() < 10 and idx[700:].max() >= 10
    assert tnnr.sample_triplets(10, 0, 100, 0.5, gen).max() < 10


def test_coverage_and_calibration_of_gaussian_errors():
    gen = np.random.default_rng(2)
    n = 20000
    sigma = gen.uniform(0.5, 2.0, n)
    y = sigma * gen.standard_normal(n)
    pred = np.zeros(n)
    # binomial standard error of a coverage near 0.68 with n = 20000 is 0.0033
    assert tnnr.coverage(pred, sigma, y, 1.0) == pytest.approx(0.6827, abs=0.015)
    assert tnnr.coverage(pred, sigma, y, 1.959964) == pytest.approx(0.95, abs=0.01)
    assert tnnr.calibration_scale(pred, sigma / 2, y) == pytest.approx(2.0, rel=0.03)


@pytest.mark.slow
def test_tiny_tnnr_fit_beats_a_constant_predictor():
    torch.set_num_threads(1)
    X, y = synthetic_task(400, np.random.default_rng(3))
    std = tnnr.Standardiser(X[:100], y[:100])
    settings = TrainSettings(epochs=8, batch_size=128, lr=3e-3, patience=8, device="cpu")
    res = tnnr.train_twin(
        std.x(X[:100]),
        std.y(y[:100]),
        np.empty((0, 2), np.float32),
        std.x(X[100:150]),
        std.y(y[100:150]),
        {"name": "twin_mlp", "hidden": [32, 32], "activation": "relu"},
        settings,
        seed=5,
        n_triplets=3000,
        loop_weight=1.0,
    )
    mean, sigma = tnnr.tnnr_predict(res.model, std.x(X[150:]), std.x(X[:100]), std.y(y[:100]))
    pred = std.y_back(mean)
    constant = tnnr.rmse(np.full(250, y[:100].mean()), y[150:])
    assert tnnr.rmse(pred, y[150:]) < 0.5 * constant
    assert np.all(sigma > 0)


def test_twin_training_is_deterministic_for_a_seed():
    torch.set_num_threads(1)
    X, y = synthetic_task(120, np.random.default_rng(4))
    settings = TrainSettings(epochs=2, batch_size=64, patience=2, device="cpu")
    arch = {"name": "twin_mlp", "hidden": [8], "activation": "relu"}

    def fit(seed):
        res = tnnr.train_twin(
            X[:60].astype(np.float32),
            y[:60].astype(np.float32),
            X[60:90].astype(np.float32),
            X[90:].astype(np.float32),
            y[90:].astype(np.float32),
            arch,
            settings,
            seed,
            n_triplets=300,
            loop_weight=1.0,
            semi_fraction=0.5,
        )
        return res.model.state_dict()

    a, b, c = fit(9), fit(9), fit(10)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
