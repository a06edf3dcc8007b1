"""Attributions: answers known by construction (linear models, hand-set 1x2 net, invariants)."""

import h5py
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import xarray as xr

from physlens.interpret import attributions as A
from physlens.interpret.lrp import LRPAdapter, lrp
from physlens.io import to_netcdf_atomic
from physlens.observables import local_bond_energy

pytestmark = pytest.mark.usefixtures("float64_single_thread")


def spins(n, L, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 2, (n, L, L), generator=g) * 2 - 1).double()


class PeriodicConv(nn.Conv2d):
    """Like physlens.models.ising.PeriodicConv2d: a Conv2d *subclass* padding circularly."""

    def forward(self, x):
        ky, kx = self.kernel_size
        return super().forward(F.pad(x, (0, kx - 1, 0, ky - 1), mode="circular"))


class MeanProbe(nn.Module):
    """conv -> act -> functional lattice mean -> linear logit, as the physlens probing nets."""

    def __init__(self, kernel=(1, 2), channels=2, act=nn.ReLU, bias=True, pool_module=False):
        super().__init__()
        self.conv = PeriodicConv(1, channels, kernel, bias=bias)
        self.act = act()
        self.pool = nn.AdaptiveAvgPool2d(1) if pool_module else None
        self.head = nn.Linear(channels, 1, bias=bias)

    def forward(self, s):
        h = self.act(self.conv(s.unsqueeze(1)))
        h = self.pool(h).flatten(1) if self.pool is not None else h.mean(dim=(-2, -1))
        return self.head(h).squeeze(-1)


def hand_set_1x2(w_out=3.0, b_out=-1.4):
    """Computes w_out * (fraction of anti-aligned horizontal bonds) + b_out exactly."""
    m = MeanProbe().double()
    with torch.no_grad():
        m.conv.weight[:] = torch.tensor([[[[1.0, -1.0]]], [[[-1.0, 1.0]]]])
        m.conv.bias[:] = -1.0  # fires (output 1) only on (+,-) resp. (-,+) bonds
        m.head.weight[:] = w_out
        m.head.bias[:] = b_out
    return m


def domain_wall_fraction(s):
    return ((1 - s * torch.roll(s, -1, dims=-1)) / 2).mean(dim=(-2, -1))


# --- LRP --------------------------------------------------------------------------------


def test_lrp0_of_linear_model_is_weight_times_input_and_delta_is_bias():
    torch.manual_seed(0)  # unseeded draws can put an output at z ~ 0, where LRP-0 divides by z
    lin = nn.Linear(6, 1).double()
    x = torch.randn(10, 6)
    r, delta = lrp(lin, x, rule="zero")
    w, b = lin.weight.detach()[0], lin.bias.detach()[0]
    torch.testing.assert_close(r, (w * x).reshape(10, 6), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(delta, torch.full((10,), float(b)), rtol=1e-9, atol=1e-12)


def test_lrp_delta_equals_relevance_absorbed_by_biases_in_a_dense_net():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 1)).double()
    x = torch.randn(7, 5)
    r, delta = lrp(net, x, rule="zero")
    W1, b1 = net[0].weight.detach(), net[0].bias.detach()
    W2, b2 = net[2].weight.detach()[0], net[2].bias.detach()[0]
    z1 = x @ W1.T + b1
    a1 = z1.clamp(min=0)
    R1 = a1 * W2  # LRP-0 at the top layer
    absorbed = b2 + (b1 * R1 / z1).sum(dim=1)  # hidden biases take b_k R_k / z_k
    torch.testing.assert_close(delta, absorbed, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(
        r.sum(1) + delta, net(x).squeeze(-1).detach(), rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("rule", ["zero", "epsilon"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: MeanProbe(kernel=(2, 2), channels=3, bias=False),
        lambda: nn.Sequential(
            nn.Flatten(), nn.Linear(16, 8, bias=False), nn.ReLU(), nn.Linear(8, 1, bias=False)
        ),
        lambda: MeanProbe(kernel=(1, 2), channels=3, act=nn.ELU, bias=False),
    ],
    ids=["conv-mean", "dense", "conv-elu"],
)
def test_lrp_conserves_relevance_in_bias_free_nets(make, rule):
    torch.manual_seed(2)
    net = make().double()
    x = spins(6, 4, seed=3)
    r, delta = lrp(net, x, rule=rule, epsilon=1e-9)
    out = net(x).detach().reshape(-1)
    assert torch.all(delta.abs() <= 1e-6 * out.abs().clamp(min=1e-3))
    torch.testing.assert_close(r.sum(dim=(1, 2)), out, rtol=1e-6, atol=1e-9)


def test_functional_mean_is_routed_like_captums_own_adaptive_pool():
    # captum's AdaptiveAvgPool2d path is the independent truth for the lattice average.
    torch.manual_seed(4)
    functional = MeanProbe(kernel=(2, 2), channels=3, act=nn.Tanh).double()
    pooled = MeanProbe(kernel=(2, 2), channels=3, act=nn.Tanh, pool_module=True).double()
    pooled.load_state_dict(functional.state_dict())
    x = spins(5, 5, seed=5)
    r_f, d_f = lrp(functional, x, rule="epsilon")
    r_p, d_p = lrp(pooled, x, rule="epsilon")
    torch.testing.assert_close(r_f, r_p, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(d_f, d_p)
    assert len(LRPAdapter(functional, x[:1]).reductions) == 1


def test_lrp_with_circular_padding_is_translation_equivariant():
    # Periodic boundaries: shifting the lattice must shift the relevance map (a wrong
    # treatment of the wrapped bonds breaks this at the edges).
    torch.manual_seed(6)
    net = MeanProbe(kernel=(2, 3), channels=4).double()
    x = spins(3, 6, seed=7)
    r, _ = lrp(net, x, rule="epsilon")
    r_shift, _ = lrp(net, torch.roll(x, (2, 3), dims=(-2, -1)), rule="epsilon")
    torch.testing.assert_close(r_shift, torch.roll(r, (2, 3), dims=(-2, -1)), rtol=1e-9, atol=1e-12)


def test_alpha1beta0_propagates_only_positive_relevance_and_conserves_it():
    torch.manual_seed(8)
    net = nn.Sequential(
        nn.Linear(6, 5, bias=False), nn.ReLU(), nn.Linear(5, 1, bias=False)
    ).double()
    with torch.no_grad():
        net[2].weight.abs_()  # positive output for nonnegative hidden activity
    x = torch.rand(9, 6)  # nonnegative inputs: the regime where the rule is defined
    r, delta = lrp(net, x, rule="alpha1beta0")
    out = net(x).detach().reshape(-1)
    keep = out > 1e-6
    assert torch.all(r[keep] >= 0)
    # captum's fixed stabiliser (1e-9 per layer) is the only leak
    torch.testing.assert_close(r.sum(1)[keep], out[keep], rtol=1e-6, atol=1e-8)


def test_lrp_rules_are_configurable_per_layer_and_bad_names_are_errors():
    net = MeanProbe(channels=2).double()
    x = spins(2, 4)
    r_comp, _ = lrp(net, x, rule=["gamma", "epsilon"])
    assert torch.isfinite(r_comp).all()
    with pytest.raises(ValueError, match="interpret.lrp.rule"):
        lrp(net, x, rule="lrp-42")
    with pytest.raises(ValueError, match="3 rules given for 2"):
        lrp(net, x, rule=["gamma", "epsilon", "zero"])

    class Odd(nn.Module):
        def forward(self, x):
            return x**3

    with pytest.raises(TypeError, match="Odd"):
        lrp(nn.Sequential(nn.Linear(3, 1), Odd()).double(), torch.randn(2, 3))
    # the model is left clean: no captum attributes, weights restored
    assert not any(hasattr(m, "rule") or hasattr(m, "activations") for m in net.modules())


def test_logit_model_strips_the_final_sigmoid():
    body = nn.Sequential(nn.Linear(4, 1)).double()
    full = nn.Sequential(body[0], nn.Sigmoid())
    x = torch.randn(3, 4)
    r_body, _ = lrp(body, x, rule="zero")
    r_logit, _ = lrp(A.logit_model(full), x, rule="zero")
    torch.testing.assert_close(r_logit, r_body)
    with pytest.raises(ValueError, match="pre-sigmoid logit"):
        A.logit_model(nn.Linear(2, 1))


def test_hand_set_1x2_net_puts_relevance_on_domain_walls():
    L = 8
    net = hand_set_1x2(w_out=3.0, b_out=-1.4)
    x = spins(6, L, seed=9)
    torch.testing.assert_close(
        net(x).detach(), 3.0 * domain_wall_fraction(x) - 1.4
    )  # the net computes the nearest-neighbour correlation
    r, _ = lrp(net, x, rule="zero")
    e = local_bond_energy(x.numpy(), directions=("x",))
    # each anti-aligned bond gives w_out / N to both of its spins: R_i = w_out/N (1 + e_i)
    np.testing.assert_allclose(r.numpy(), 3.0 / L**2 * (1 + e), atol=1e-9)
    assert A.relevance_bond_energy_correlation(r.numpy(), x.numpy(), ("x",)) > 0.999999
    # a logit for "ordered" (physlens label 1) counts walls against: r = -1
    r_neg, _ = lrp(hand_set_1x2(w_out=-3.0, b_out=1.4), x, rule="zero")
    assert A.relevance_bond_energy_correlation(r_neg.numpy(), x.numpy(), ("x",)) < -0.999999
    ordered = torch.ones(1, L, L)
    r_ord, _ = lrp(net, ordered, rule="zero")
    assert torch.all(r_ord == 0)  # no domain wall, no relevance


# --- gradient methods -----------------------------------------------------------------------


def test_saliency_and_smoothgrad_of_linear_model_are_its_weights():
    lin = nn.Linear(5, 1).double()
    x = torch.randn(4, 5)
    w = lin.weight.detach()[0].expand(4, 5)
    torch.testing.assert_close(A.saliency(lin, x), w)
    torch.testing.assert_close(A.smoothgrad(lin, x, seed=1, nt_samples=4), w)


def test_smoothgrad_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(10)
    net = MeanProbe(kernel=(2, 2), channels=3, act=nn.Tanh).double()
    x = spins(2, 4)
    state = torch.get_rng_state()
    a1 = A.smoothgrad(net, x, seed=5, nt_samples=8)
    a2 = A.smoothgrad(net, x, seed=5, nt_samples=8)
    a3 = A.smoothgrad(net, x, seed=6, nt_samples=8)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a1, a2) and not torch.equal(a1, a3)


def test_integrated_gradients_and_deeplift_are_complete():
    torch.manual_seed(11)
    net = MeanProbe(kernel=(2, 2), channels=4, act=nn.Tanh).double()
    x = spins(4, 5, seed=12)
    f = net(x).detach()
    f0 = net(torch.zeros_like(x)).detach()
    for attr, delta in (A.integrated_gradients(net, x, n_steps=64), A.deeplift(net, x)):
        torch.testing.assert_close(attr.sum(dim=(1, 2)), f - f0, rtol=1e-5, atol=1e-7)
        assert delta.abs().max() < 1e-5


# --- physics comparison -------------------------------------------------------------------


def test_local_bond_energy_sums_to_the_total_energy():
    s = spins(3, 5, seed=13).numpy()
    e = local_bond_energy(s)
    total = np.zeros(3)
    for i in range(5):
        for j in range(5):  # each periodic bond once, to the right and downward
            total -= s[:, i, j] * (s[:, i, (j + 1) % 5] + s[:, (i + 1) % 5, j])
    np.testing.assert_allclose(e.sum(axis=(1, 2)), total)
    checker = np.indices((4, 4)).sum(0) % 2 * 2 - 1
    np.testing.assert_array_equal(local_bond_energy(checker), np.full((4, 4), 2.0))
    np.testing.assert_array_equal(local_bond_energy(np.ones((4, 4))), np.full((4, 4), -2.0))


def test_correlation_signs_and_degenerate_cases():
    s = spins(4, 6, seed=14).numpy()
    e = local_bond_energy(s)
    assert A.relevance_bond_energy_correlation(2 * e + 1, s) == pytest.approx(1.0)
    assert A.relevance_bond_energy_correlation(-e, s) == pytest.approx(-1.0)
    assert np.isnan(A.relevance_bond_energy_correlation(np.ones((1, 4, 4)), np.ones((1, 4, 4))))
    with pytest.raises(ValueError, match="differ in shape"):
        A.relevance_bond_energy_correlation(np.ones((2, 4, 4)), np.ones((2, 5, 5)))


def test_attribution_dataset_is_labelled_and_readable(tmp_path):
    net = hand_set_1x2()
    x = spins(3, 4, seed=15)
    ds = A.attribution_dataset(
        net,
        x,
        seed=3,
        settings={"lrp": {"rule": "zero"}, "smoothgrad": {"nt_samples": 4}},
        sample_coords={"temperature": [1.0, 2.0, 3.0]},
        model_name="hand-set 1x2",
    )
    assert ds["attribution"].dims == ("explainer", "sample", "y", "x")
    assert list(ds.explainer.values) == list(A.METHODS)
    assert np.isnan(ds["delta"].sel(explainer="saliency")).all()
    assert np.isfinite(ds["delta"].sel(explainer="lrp")).all()
    path = tmp_path / "attr.h5"
    to_netcdf_atomic(ds, path)
    back = xr.open_dataset(path, engine="h5netcdf")
    np.testing.assert_array_equal(back["attribution"].values, ds["attribution"].values)
    assert back.attrs["seed"] == 3 and "physlens_version" in back.attrs
    with h5py.File(path) as fh:
        assert fh["attribution"].shape == (5, 3, 4, 4)
    again = A.attribution_dataset(
        net, x, seed=3, settings={"lrp": {"rule": "zero"}, "smoothgrad": {"nt_samples": 4}}
    )
    np.testing.assert_array_equal(again["attribution"].values, ds["attribution"].values)


def test_physlens_models_are_explained_without_new_code_paths():
    import physlens.models as models

    x = spins(2, 6, seed=16)
    for arch in (
        {"name": "probe", "kernel": [1, 2], "channels": 2, "activation": "softplus"},
        {"name": "phase_cnn", "channels": [4, 4]},
    ):
        torch.manual_seed(0)
        net = models.build_model(arch).double()
        r, delta = lrp(net, x, rule="epsilon")
        torch.testing.assert_close(r.sum(dim=(1, 2)) + delta, net(x).detach())
        assert r.shape == x.shape and torch.isfinite(r).all()


def test_relevance_figure_is_written(tmp_path):
    import physlens.plots.interpret_attributions as plots

    x = torch.cat([torch.ones(1, 6, 6), spins(1, 6, seed=17)])
    ds = A.attribution_dataset(
        hand_set_1x2(),
        x,
        ["lrp", "saliency"],
        seed=1,
        settings={"lrp": {"rule": "zero"}},
        sample_coords={"temperature": [1.0, 3.5]},
    )
    r = A.bond_energy_correlations(ds, ("x",), tc=2.269)
    assert r.sel(explainer="lrp", phase="disordered") > 0.999999  # w_out > 0: walls count for
    assert np.isnan(r.sel(explainer="lrp", phase="ordered"))  # all up: no wall, no relevance
    plots.plot_relevance_maps(ds, tmp_path / "relevance.png")
    assert (tmp_path / "relevance.png").read_bytes()[:4] == b"\x89PNG"
