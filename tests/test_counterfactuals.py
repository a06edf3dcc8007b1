"""Counterfactuals on a hand-built generative model whose knobs are known by construction.

Decoder: s(x) = m + a * c(x) with z = (m, a) and c a fixed zero-mean staggered pattern, so
M/N = m exactly and the continuous energy per site is E = -2 m^2 + 2 a^2 (the staggered
pattern has bond correlation -1). The classifier depends on |M| only. A counterfactual must
move m, leave a alone, and change the energy only by what the change of m implies.
"""

import numpy as np
import pytest
import torch

from physlens.concepts.counterfactuals import (
    concept_directions,
    describe_counterfactual,
    find_counterfactual,
    knob_sweep,
    observable_changes,
)

L = 8
STAGGER = torch.tensor([[(-1.0) ** (x + y) for x in range(L)] for y in range(L)])


def decoder(z):
    return z[:, :1, None] + z[:, 1:2, None] * STAGGER  # (n, L, L)


def classifier(x):  # "ordered" when M^2 > 0.25
    return 20 * (x.mean(dim=(-2, -1)) ** 2 - 0.25)


def magnetisation(x):
    return np.abs(x.mean(axis=(-2, -1)))


def energy(x):
    return -(x * np.roll(x, 1, -1) + x * np.roll(x, 1, -2)).mean(axis=(-2, -1))


def test_concept_directions_recover_the_knobs():
    rng = np.random.default_rng(0)
    Z = rng.uniform(-1, 1, (500, 2))
    dirs = concept_directions(Z, {"m": Z[:, 0], "stagger": 3 * Z[:, 1]})
    np.testing.assert_allclose(np.abs(dirs["m"].direction), [1, 0], atol=1e-12)
    assert dirs["stagger"].slope == pytest.approx(3.0)
    assert dirs["m"].r2 == pytest.approx(1.0)


def test_counterfactual_changes_magnetisation_and_not_the_independent_knob():
    z0 = np.array([0.2, 0.3])
    cf = find_counterfactual(z0, decoder, classifier, target=1)
    assert cf.p0 < 0.5 and cf.flipped and cf.p >= 0.6
    assert abs(cf.z[1] - z0[1]) < 1e-6  # the classifier gives no gradient along a
    before = decoder(torch.tensor(z0[None], dtype=torch.float32)).numpy()
    after = decoder(torch.tensor(cf.z[None], dtype=torch.float32)).numpy()
    ch = observable_changes(before, after, {"abs_magnetization": magnetisation, "energy": energy})
    assert ch["abs_magnetization"]["change"] > 0.3
    implied = -2 * (cf.z[0] ** 2 - z0[0] ** 2)  # energy change that the |M| change implies
    assert abs(ch["energy"]["change"] - implied) < 1e-5
    text = describe_counterfactual({"abs_magnetization": ch["abs_magnetization"]}, "ordered")
    assert text.startswith("would be called ordered if abs_magnetization rose from 0.20 to 0.")


def test_knob_sweep_is_monotone_along_the_magnetisation_direction():
    p, x = knob_sweep(
        np.array([0.0, 0.3]), np.array([1.0, 0.0]), np.linspace(0, 1, 11), decoder, classifier
    )
    assert np.all(np.diff(p) >= 0) and p[0] < 0.01 and p[-1] > 0.99
    assert x.shape == (11, L, L)
