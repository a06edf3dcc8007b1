"""Models: shapes for any L, the symmetries the architectures promise, clear errors."""

import numpy as np
import pytest
import torch

from physlens.models import ArchitectureError, build_model
from physlens.training import seeded_model

torch.set_num_threads(1)


def random_spins(n, L, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.where(torch.rand(n, L, L, generator=g) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize(
    "arch",
    [
        {"name": "phase_cnn", "channels": [4, 4], "kernel": 3},
        {"name": "phase_cnn", "channels": [4], "kernel": 3, "activation": "relu", "z2_odd": False},
        {"name": "probe", "kernel": [1, 2], "channels": 2},
        {"name": "probe", "kernel": [2, 2], "channels": 2},
        {"name": "constant"},
    ],
)
@pytest.mark.parametrize("L", [6, 11])
def test_output_is_one_logit_per_configuration_for_any_L(arch, L):
    model = build_model(arch)
    assert model(random_spins(5, L)).shape == (5,)
    assert model.arch == arch


def translate(x, dy, dx):
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))


@pytest.mark.parametrize(
    "arch",
    [{"name": "phase_cnn", "channels": [3, 3]}, {"name": "probe", "kernel": [2, 3], "channels": 2}],
)
def test_periodic_translation_invariance(arch):
    """Circular padding + lattice average: a translated configuration is the same physics."""
    model = seeded_model(arch, seed=1)
    x = random_spins(4, 7)
    torch.testing.assert_close(model(x), model(translate(x, 3, 5)))


def test_z2_odd_classifier_is_spin_flip_invariant():
    model = seeded_model({"name": "phase_cnn", "channels": [4, 4], "z2_odd": True}, seed=2)
    x = random_spins(6, 8)
    torch.testing.assert_close(model(x), model(-x))


def test_z2_odd_needs_an_odd_activation():
    with pytest.raises(ArchitectureError, match="odd activation"):
        build_model({"name": "phase_cnn", "activation": "relu", "z2_odd": True})


def test_1x1_probe_sees_only_the_magnetization():
    """Two configurations with the same M but different arrangements are indistinguishable."""
    model = seeded_model({"name": "probe", "kernel": [1, 1], "channels": 3}, seed=3)
    stripes = torch.ones(8, 8)
    stripes[::2] = -1.0  # M = 0, every horizontal bond aligned
    checker = torch.tensor(
        np.indices((8, 8)).sum(0) % 2 * 2 - 1, dtype=torch.float32
    )  # M = 0, antiferromagnet
    out = model(torch.stack([stripes, checker]))
    torch.testing.assert_close(out[0], out[1])


def test_1x2_probe_distinguishes_same_magnetization_different_energy():
    model = seeded_model({"name": "probe", "kernel": [1, 2], "channels": 3}, seed=4)
    stripes = torch.ones(8, 8)
    stripes[::2] = -1.0
    checker = torch.tensor(np.indices((8, 8)).sum(0) % 2 * 2 - 1, dtype=torch.float32)
    out = model(torch.stack([stripes, checker]))
    assert not torch.allclose(out[0], out[1])


def test_constant_model_ignores_its_input():
    model = build_model({"name": "constant"})
    out = model(random_spins(3, 5))
    assert torch.all(out == out[0])


def test_full_lattice_kernel_fits_and_larger_kernel_is_rejected():
    model = build_model({"name": "probe", "kernel": [8, 8], "channels": 1})
    assert model(random_spins(2, 8)).shape == (2,)
    with pytest.raises(ValueError, match="larger than the lattice"):
        model(random_spins(2, 6))


def test_unknown_model_and_bad_arguments_are_named():
    with pytest.raises(ArchitectureError, match="unknown model 'resnet'"):
        build_model({"name": "resnet"})
    with pytest.raises(ArchitectureError, match="bad arguments for model 'probe'"):
        build_model({"name": "probe", "kernal": [1, 2]})
    with pytest.raises(ArchitectureError, match="'name' key"):
        build_model({"kernel": [1, 2]})
