"""Ablation and occlusion on hand-set nets whose answer is known by construction."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from physlens.interpret import ablation as B
from physlens.io import open_dataset, to_netcdf_atomic


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny problems: intra-op threads only contend on a shared 2-core runner."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class ProbeLike(nn.Module):
    def __init__(self, channels=3):
        super().__init__()
        self.conv = nn.Conv2d(1, channels, 1)
        self.act = nn.Tanh()
        self.head = nn.Linear(channels, 1)

    def forward(self, s):
        return self.head(self.act(self.conv(s.unsqueeze(1))).mean(dim=(-2, -1))).squeeze(-1)


def signal_and_dead_channels():
    """Channel 0 reads the magnetisation, channel 1 is dead (zero in, zero out), channel 2
    carries a constant that the head ignores."""
    net = ProbeLike(3).double()
    with torch.no_grad():
        net.conv.weight.zero_()
        net.conv.bias.zero_()
        net.conv.weight[0] = 3.0
        net.conv.bias[2] = 0.7
        net.head.weight[:] = torch.tensor([[8.0, 5.0, 0.0]])
        net.head.bias.zero_()
    return net


def magnetised_data(n=64, L=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    sign = torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0).double()
    flips = (torch.rand(n, L, L, generator=g) < 0.1).double()
    s = sign[:, None, None] * (1 - 2 * flips)
    return s, (sign > 0).double()


def test_ablating_the_signal_channel_hurts_and_the_dead_one_changes_nothing():
    net = signal_and_dead_channels()
    x, y = magnetised_data()
    res = B.unit_ablation(net, "conv", x, y, mode="zero")
    assert res["delta_loss"].dims == ("unit",) and res.sizes["unit"] == 3
    assert res["delta_loss"].sel(unit=0) > 0.5  # loss goes to ln 2 from nearly 0
    assert res["delta_loss"].sel(unit=1) == 0.0  # exactly
    assert res["delta_loss"].sel(unit=2) == 0.0  # its downstream weight is 0
    np.testing.assert_allclose(float(res["loss"].sel(unit=0)), np.log(2), rtol=1e-12)
    assert res.attrs["layer"] == "conv"
    # the same result when the layer is passed as a module, and the model is unchanged after
    again = B.unit_ablation(net, net.conv, x, y)
    np.testing.assert_array_equal(again["loss"].values, res["loss"].values)
    assert not net.conv._forward_hooks


def test_mean_ablation_of_a_constant_unit_changes_nothing():
    net = signal_and_dead_channels()
    with torch.no_grad():
        net.head.weight[0, 2] = 4.0  # channel 2 is constant: the mean carries all it says
    x, y = magnetised_data()
    res = B.unit_ablation(net, "act", x, y, mode="mean")
    assert abs(float(res["delta_loss"].sel(unit=2))) < 1e-12
    assert float(res["delta_loss"].sel(unit=0)) > 0.5


def test_unit_ablation_rejects_bad_layer_and_mode():
    net = signal_and_dead_channels()
    x, y = magnetised_data(8)
    with pytest.raises(ValueError, match="'nope' not found"):
        B.unit_ablation(net, "nope", x, y)
    with pytest.raises(ValueError, match="interpret.ablation.mode"):
        B.unit_ablation(net, "conv", x, y, mode="noise")
    with pytest.raises(ValueError, match="8 inputs but 3 targets"):
        B.unit_ablation(net, "conv", x, y[:3])


class CornerModel(nn.Module):
    """Looks only at the top-left 2x2 patch of the lattice."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64))

    def forward(self, s):
        return (s[:, :2, :2] * self.w).sum(dim=(-2, -1))


def test_occlusion_finds_the_receptive_field(tmp_path):
    net = CornerModel()
    g = torch.Generator().manual_seed(1)
    x = (torch.randint(0, 2, (4, 6, 6), generator=g) * 2 - 1).double()
    res = B.input_occlusion(net, x, patch=(2, 2), stride=2, mask_value=0.0)
    occ = res["occlusion"].values
    full = net(x).detach().numpy()
    # masking the corner with 0 removes the whole output; elsewhere nothing changes, exactly
    np.testing.assert_allclose(occ[:, :2, :2], np.broadcast_to(full[:, None, None], (4, 2, 2)))
    outside = occ.copy()
    outside[:, :2, :2] = 0
    assert np.all(outside == 0)
    to_netcdf_atomic(res, tmp_path / "occ.h5")
    back = open_dataset(tmp_path / "occ.h5", required=("occlusion",))
    assert list(back.attrs["patch"]) == [2, 2]
    with pytest.raises(ValueError, match="interpret.occlusion.patch"):
        B.input_occlusion(net, x, patch=(7, 7))


# --- capacity ------------------------------------------------------------------------


def test_capacity_drop_on_the_probing_table_of_the_talk():
    # receptive field area and validation loss (Wetzel's correlation-probing table);
    # capacity 0 is the constant baseline
    table = {
        "28x28": (784, 0.0232),
        "1x2": (2, 1.2105e-7),
        "1x1": (1, 0.1886),
        "const": (0, 0.6931),
    }
    labels = list(table)
    caps, losses = zip(*table.values())
    out = B.capacity_drop(caps, losses, labels, factor=2.0, atol=0.0)
    assert out["best"] == "1x2" and out["sufficient"] == "1x2"
    assert out["drop"]["from"] == "1x2" and out["drop"]["to"] == "1x1"
    assert out["drop"]["ratio"] > 1e6


def test_capacity_drop_synthetic_tables():
    caps = [1, 2, 4, 8, 16]
    # plateau from 4 up, jump below it; input order must not matter
    losses = [0.69, 0.60, 0.051, 0.050, 0.049]
    perm = [3, 0, 4, 2, 1]
    out = B.capacity_drop([caps[i] for i in perm], [losses[i] for i in perm], factor=1.1)
    assert out["best_capacity"] == 16 and out["sufficient_capacity"] == 4
    assert out["drop"]["from_capacity"] == 4 and out["drop"]["to_capacity"] == 2
    # smooth degradation without any jump
    smooth = B.capacity_drop(caps, [0.10, 0.09, 0.08, 0.07, 0.06], factor=1.0)
    assert smooth["sufficient_capacity"] == 16 and smooth["drop"] is None
    # a large relative jump between tiny losses is not a drop (jump_atol)
    tiny = B.capacity_drop(caps, [1e-3, 1e-6, 1e-7, 1e-7, 1e-7], factor=2.0, jump_atol=0.01)
    assert tiny["drop"] is None
    with pytest.raises(ValueError, match="distinct"):
        B.capacity_drop([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="finite"):
        B.capacity_drop([1, 2], [np.nan, 0.2])


def test_ablation_and_occlusion_figures_are_written(tmp_path):
    import physlens.plots.interpret_attributions as plots

    x, y = magnetised_data(8)
    plots.plot_ablation(
        B.unit_ablation(signal_and_dead_channels(), "conv", x, y), tmp_path / "abl.png"
    )
    plots.plot_occlusion(B.input_occlusion(CornerModel(), x, patch=(2, 2)), tmp_path / "occ.png")
    for name in ("abl.png", "occ.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
