"""SciNet's latent checks against encoders whose latents are known by construction: a
hand-built encoder that stores one parameter per neuron passes, a random or a mixing one fails;
the angle fits, the rotation increments and the models' shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physlens.models import build_model
from physlens.models.scinet import pair_directions
from physlens.scinet import latents as LT
from physlens.scinet import systems as S
from physlens.scinet.interpret import increments

PERIODS = {"earth": 365.256, "mars": 686.98}
SPLIT = {"val_fraction": 0.1, "test_fraction": 0.1}


def pendulum_params(n=600, seed=0):
    gen = np.random.default_rng(seed)
    return np.column_stack([gen.uniform(5, 10, n), gen.uniform(0.5, 1, n)])


def posterior_of(mu_active: np.ndarray, n_latent: int, slots) -> tuple[np.ndarray, np.ndarray]:
    """Latent means/log-variances: `mu_active` columns in `slots` with a tight posterior,
    every other neuron exactly the prior N(0, 1) (mean 0, log-variance 0)."""
    n = len(mu_active)
    mu, logvar = np.zeros((n, n_latent)), np.zeros((n, n_latent))
    mu[:, slots] = mu_active
    logvar[:, slots] = np.log(0.05**2)
    return mu, logvar


def test_kl_per_neuron_is_zero_at_the_prior_and_matches_the_closed_form():
    assert LT.kl_per_neuron(np.zeros(3), np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
    # KL(N(1, 0.5^2) || N(0, 1)) = (1 + 0.25 - 1 - ln 0.25) / 2
    assert LT.kl_per_neuron(1.0, np.log(0.25)) == pytest.approx(0.5 * (0.25 - np.log(0.25)))
    t = LT.kl_per_neuron(torch.tensor([1.0]), torch.tensor([np.log(0.25)]))
    assert float(t) == pytest.approx(0.5 * (0.25 - np.log(0.25)), rel=1e-6)


def test_hand_built_pendulum_encoder_passes_the_checks():
    p = pendulum_params()
    # neuron 0 an increasing function of kappa, neuron 2 a decreasing one of b, neuron 1 off
    mu, logvar = posterior_of(
        np.column_stack([np.sqrt(p[:, 0]) - 2.7, -3 * (p[:, 1] - 0.75)]), 3, [0, 2]
    )
    kl = LT.unit_kl(LT.kl_per_neuron(mu, logvar))
    check = LT.assignment_check(LT.abs_spearman_matrix(mu, p), kl, 0.1, 0.95)
    assert check["active"] == [0, 2] and check["count_ok"]
    assert check["assignment"] == [0, 2]  # kappa -> neuron 0, b -> neuron 2
    assert check["assignment_ok"] and check["exclusive"]
    assert min(check["assigned_scores"]) == pytest.approx(1.0)


def test_mixing_encoder_fails_the_assignment():
    p = pendulum_params()
    z = (p - p.mean(0)) / p.std(0)
    # two active neurons, each the sum or difference of both parameters: right count, wrong concepts
    mu, logvar = posterior_of(np.column_stack([z[:, 0] + z[:, 1], z[:, 0] - z[:, 1]]), 3, [0, 1])
    check = LT.assignment_check(
        LT.abs_spearman_matrix(mu, p), LT.unit_kl(LT.kl_per_neuron(mu, logvar)), 0.1, 0.95
    )
    assert check["count_ok"] and not check["assignment_ok"]
    assert max(check["assigned_scores"]) < 0.8


def test_random_scinet_encoder_fails_the_checks():
    ds = S.pendulum_dataset(
        {
            "n_samples": 500,
            "n_questions": 1,
            "n_obs": 50,
            "t_obs_max": 5.0,
            "t_question_max": 10.0,
            "kappa": [5, 10],
            "b": [0.5, 1],
        },
        SPLIT,
        np.random.default_rng(1),
    )
    p = np.column_stack([ds["kappa"].values, ds["b"].values])
    for seed in range(3):
        torch.manual_seed(seed)
        net = build_model({"name": "scinet", "n_obs": 50, "latent": 3}).eval()
        with torch.no_grad():
            mu, logvar = (
                a.double().numpy()
                for a in net.posterior(
                    torch.as_tensor(ds["observation"].values, dtype=torch.float32)
                )
            )
        kl = LT.unit_kl(LT.kl_per_neuron(mu, logvar))
        check = LT.assignment_check(LT.abs_spearman_matrix(mu, p), kl, 0.1, 0.95)
        assert not check["assignment_ok"]
        # even counting every neuron as active, no neuron stores b alone
        loose = LT.assignment_check(LT.abs_spearman_matrix(mu, p), kl, 0.0, 0.95)
        assert not (loose["assignment_ok"] and loose["exclusive"])


def test_best_assignment_maximises_the_summed_score():
    score = np.array([[0.9, 0.8], [0.95, 0.1], [0.2, 0.3]])
    # greedy (unit 1 -> kappa first) would leave b with unit 2 (0.3); the best sum pairs 1-kappa, 0-b
    assert LT.best_assignment(score, [0, 1, 2]) == [1, 0]
    assert LT.best_assignment(score, [0]) is None


def test_angle_fit_of_rotated_and_mirrored_angles():
    phi = np.random.default_rng(2).uniform(-np.pi, np.pi, 400)
    turned = np.column_stack([np.cos(phi + 1.0), np.sin(phi + 1.0)]) * 2 + 0.3
    mirrored = np.column_stack([np.cos(0.5 - phi), np.sin(0.5 - phi)])
    assert LT.angle_fit(turned, phi)["r2"] == pytest.approx(1.0)
    assert LT.angle_fit(turned, phi)["orientation"] == 1
    assert LT.angle_fit(mirrored, phi)["orientation"] == -1
    other = np.random.default_rng(3).uniform(-np.pi, np.pi, 400)
    assert LT.angle_fit(turned, other)["r2"] < 0.05


def test_rotation_increment_of_rotations_and_of_a_shear():
    th = 0.12
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    r = LT.rotation_increment(1.01 * R)
    assert r["angle"] == pytest.approx(th) and r["complex_pair"]
    np.testing.assert_allclose(r["eigen_moduli"], [1.01, 1.01])
    assert r["singular_value_ratio"] == pytest.approx(1.0)
    assert LT.rotation_increment(R.T)["angle"] == pytest.approx(-th)
    shear = LT.rotation_increment(np.array([[1.0, 0.1], [0.0, 1.0]]))
    assert not shear["complex_pair"] and shear["angle"] == 0.0
    # a non-normal map turns its (elliptical) orbits by the eigenvalue angle per step on average
    S = np.array([[2.0, 0.3], [0.0, 0.5]])
    M = S @ R @ np.linalg.inv(S)
    r = LT.rotation_increment(M)
    assert r["angle"] == pytest.approx(th)
    orbit = [np.array([1.0, 0.0])]
    for _ in range(2000):
        orbit.append(M @ orbit[-1])
    turned = np.unwrap([np.arctan2(v[1], v[0]) for v in orbit])
    assert (turned[-1] - turned[0]) / 2000 == pytest.approx(th, abs=2 * np.pi / 2000)
    assert abs(r["closest_rotation_angle"] - th) > 0.01  # the closest rotation is biased here
    # ... and it turns some directions faster than others: its singular values differ
    assert r["singular_value_ratio"] > 1.5


def rotation(a):
    return torch.tensor([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], dtype=torch.float32)


def test_hand_built_heliocentric_encoder_and_update_recover_the_period_ratio():
    cfg = {"n_samples": 400, "n_steps": 6, "step_days": 7, "periods_days": PERIODS}
    ds = S.heliocentric_dataset(cfg, SPLIT, np.random.default_rng(4))
    truth = S.true_increments(ds.attrs)
    phi = np.column_stack([ds["phi_earth"].values[:, 0], ds["phi_mars"].values[:, 0]])
    # pair 0 off, pair 1 = Earth turned, pair 2 = Mars mirrored: its update turns the other way.
    # The pairs' lengths vary with the Earth-Mars angle: the decoder reads directions only.
    length = 1 + 0.4 * np.cos(phi[:, 1] - phi[:, 0])[:, None]
    pairs = np.stack(
        [
            np.zeros_like(phi),
            length * np.column_stack([np.cos(phi[:, 0] + 2), np.sin(phi[:, 0] + 2)]),
            length * np.column_stack([np.cos(-phi[:, 1]), np.sin(-phi[:, 1])]),
        ],
        axis=1,
    )
    mu = pairs.reshape(len(pairs), -1)
    logvar = np.where(mu == 0, 0.0, np.log(0.05**2))
    kl = LT.unit_kl(LT.kl_per_neuron(mu, logvar), 2)
    directions = pair_directions(torch.as_tensor(mu)).numpy().reshape(pairs.shape)
    check = LT.assignment_check(LT.angle_r2_matrix(directions, phi), kl, 0.1, 0.95)
    assert check["active"] == [1, 2] and check["assignment"] == [1, 2] and check["assignment_ok"]
    # the unnormalised means carry the length too: their fit is worse, their angle the same
    assert LT.angle_r2_matrix(pairs, phi)[1, 0] < 0.95
    model = build_model({"name": "scinet_evolve", "latent_pairs": 3})
    with torch.no_grad():
        model.update[:] = torch.stack(
            [torch.eye(2), rotation(truth["earth"]), rotation(-truth["mars"])]
        )
    upd = increments(model, directions, phi, check, truth)
    assert upd["ratio"] == pytest.approx(PERIODS["mars"] / PERIODS["earth"], rel=1e-5)
    assert [r["orientation"] for r in upd["per_planet"]] == [1, -1]
    # the hand-built update moves the hand-built latents exactly as the planets move
    later = (
        model.evolve(torch.as_tensor(mu, dtype=torch.float32), 6)[:, -1]
        .view(-1, 3, 2)
        .detach()
        .double()
        .numpy()
    )
    later = later / np.linalg.norm(later, axis=-1, keepdims=True).clip(1e-12)
    np.testing.assert_allclose(
        later[:, 1],
        np.column_stack(
            [np.cos(ds["phi_earth"].values[:, -1] + 2), np.sin(ds["phi_earth"].values[:, -1] + 2)]
        ),
        atol=1e-5,
    )
    np.testing.assert_allclose(later[:, 2, 0], np.cos(ds["phi_mars"].values[:, -1]), atol=1e-5)


def heliocentric_test_angles(n=500, seed=5):
    cfg = {"n_samples": n, "n_steps": 2, "step_days": 7, "periods_days": PERIODS}
    ds = S.heliocentric_dataset(cfg, SPLIT, np.random.default_rng(seed))
    return ds, np.column_stack([ds["phi_earth"].values[:, 0], ds["phi_mars"].values[:, 0]])


def test_pairs_storing_other_angles_fail_the_heliocentric_assignment():
    """The Mars-Earth angle (which also turns at a constant rate), or the angles warped by a
    nonlinear map, are not the heliocentric angles: their pairs miss R^2 >= 0.95."""
    _, phi = heliocentric_test_angles()
    synodic = phi[:, 1] - phi[:, 0]
    warped = phi + 0.6 * np.sin(phi)
    for stored in (np.column_stack([phi[:, 0], synodic]), warped):
        pairs = np.stack([np.column_stack([np.cos(a), np.sin(a)]) for a in stored.T], axis=1)
        score = LT.angle_r2_matrix(pairs, phi)
        check = LT.assignment_check(score, np.array([5.0, 5.0]), 0.1, 0.95)
        assert check["count_ok"] and not check["assignment_ok"], score


def test_random_heliocentric_encoder_fails_the_checks():
    ds, phi = heliocentric_test_angles()
    obs = torch.as_tensor(ds["observation"].values[:, 0], dtype=torch.float32)
    for seed in range(3):
        torch.manual_seed(seed)
        net = build_model({"name": "scinet_evolve", "latent_pairs": 2}).eval()
        with torch.no_grad():
            mu, logvar = (a.double() for a in net.posterior(obs))
        directions = pair_directions(mu).numpy().reshape(len(mu), -1, 2)
        kl = LT.unit_kl(LT.kl_per_neuron(mu.numpy(), logvar.numpy()), 2)
        # even counting every pair as active
        check = LT.assignment_check(LT.angle_r2_matrix(directions, phi), kl, 0.0, 0.95)
        assert not check["assignment_ok"]


def test_models_shapes_and_input_errors():
    net = build_model({"name": "scinet", "n_obs": 5, "latent": 3, "encoder": [8], "decoder": [8]})
    out, mu, logvar = net.eval()(torch.zeros(4, 6))
    assert out.shape == (4,) and mu.shape == logvar.shape == (4, 3)
    with pytest.raises(ValueError, match="scinet expects"):
        net(torch.zeros(4, 5))
    evo = build_model({"name": "scinet_evolve", "latent_pairs": 2, "encoder": [8], "decoder": [8]})
    pred, mu, _ = evo.eval()(torch.randn(3, 7, 4))
    assert pred.shape == (3, 7, 4) and mu.shape == (3, 4)
    # every predicted (cos, sin) pair is a direction
    np.testing.assert_allclose(pred.view(3, 7, 2, 2).norm(dim=-1).detach().numpy(), 1.0, atol=1e-6)
    # the decoder reads each latent pair's direction only: rescaling a pair changes nothing
    z = torch.randn(3, 4)
    scaled = z * torch.tensor([2.5, 2.5, 0.3, 0.3])
    torch.testing.assert_close(evo.decode(scaled), evo.decode(z))
    with pytest.raises(ValueError, match="scinet_evolve expects"):
        evo(torch.zeros(3, 7, 3))
