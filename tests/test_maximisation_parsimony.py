"""Activation maximisation on hand-set nets with known optima; BIC model comparison."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from physlens.representations.maximisation import (
    maximise_activation,
    top_k_examples,
    unit_activation,
)
from physlens.representations.parsimony import bic, compare_explanations


class BondNet(nn.Module):
    """1x2 receptive field: w * mean over the lattice of s(x) s(x + e_x), periodic."""

    def __init__(self, w):
        super().__init__()
        self.w = w

    def forward(self, s):
        return self.w * (s * torch.roll(s, -1, dims=-1)).mean(dim=(-2, -1))


def magnetisation_squared(s):
    return s.mean(dim=(-2, -1)) ** 2


def test_ordered_output_is_maximised_by_an_aligned_lattice():
    res = maximise_activation(magnetisation_squared, 8, seed=1, n_starts=4, steps=200)
    assert abs(res.config.mean()) == 1.0
    assert res.activation == pytest.approx(1.0)


@pytest.mark.parametrize("w, expected_bond", [(1.0, 1.0), (-1.0, -1.0)])
def test_bond_unit_is_maximised_by_maximal_bond_order_or_disorder(w, expected_bond):
    res = maximise_activation(BondNet(w), 8, seed=2, n_starts=4, steps=300)
    s = res.config.astype(float)
    bond = (s * np.roll(s, -1, axis=1)).mean()
    assert bond == pytest.approx(expected_bond)
    assert set(np.unique(res.config)) <= {-1, 1}


def test_maximisation_is_seeded():
    a = maximise_activation(BondNet(-1.0), 6, seed=5, n_starts=3, steps=50)
    b = maximise_activation(BondNet(-1.0), 6, seed=5, n_starts=3, steps=50)
    np.testing.assert_array_equal(a.continuous, b.continuous)


def test_unit_activation_reads_a_hidden_channel():
    conv = nn.Conv2d(1, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight[:] = torch.tensor([1.0, -1.0]).view(2, 1, 1, 1)
    model = nn.Sequential(conv, nn.Flatten(), nn.Linear(2 * 16, 1))
    f = unit_activation(model, conv, 1)
    x = torch.ones(3, 1, 4, 4)
    torch.testing.assert_close(f(x), -torch.ones(3))


def test_top_k_examples_are_sorted():
    np.testing.assert_array_equal(top_k_examples(np.array([0.1, 3.0, -1.0, 2.0]), 2), [1, 3])


def test_bic_prefers_the_true_simple_model():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 400)
    y = 2 * x + 0.1 * rng.standard_normal(400)
    lin = np.polyval(np.polyfit(x, y, 1), x)
    poly = np.polyval(np.polyfit(x, y, 9), x)
    const = np.full_like(y, y.mean())
    table = compare_explanations(
        y, {"linear": (lin, 2), "degree9": (poly, 10), "constant": (const, 1)}
    )
    assert table.candidate.iloc[0] == "linear"
    assert table.weight.iloc[0] > 0.9
    assert table.weight.sum() == pytest.approx(1.0)
    assert bic(y, lin, 2) < bic(y, const, 1)
