"""SciNet losses and the checks of its latent layer, on plain arrays.

A latent *unit* is one neuron (pendulum) or one pair of neurons that holds an angle as
(cos, sin) (heliocentric). The checks:

* active units: the mean KL divergence of a unit's posterior from the prior N(0, 1), in nats;
  a unit the answers do not use collapses onto the prior (KL -> 0), so a unit is *active*
  when its mean KL exceeds a threshold.
* one-to-one assignment of active units to physical parameters: a score matrix (|Spearman|
  for scalar parameters, R^2 of a linear fit on (cos, sin) for angles), the assignment that
  maximises the summed score over all one-to-one maps (brute force: a handful of units), and
  the verdict that there are as many active units as parameters and every assigned score
  reaches the threshold.
* a learned 2x2 time update as an angular increment: the angle of its complex eigenvalues, the
  angle of its closest rotation, the eigenvalues' modulus (1 for an exact rotation) and the
  ratio of its singular values (1 for a scaled rotation, which turns every direction alike).
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from scipy.stats import spearmanr

# --- losses (called by physlens.training.train as loss_fn(model(x), target)) ------------------


def kl_per_neuron(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, 1)) of every neuron (torch or numpy, same shape)."""
    if isinstance(mu, torch.Tensor):
        mu, logvar = mu.float(), logvar.float()
        return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar)
    mu, logvar = np.asarray(mu, float), np.asarray(logvar, float)
    return 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar)


def scinet_loss(output, target: torch.Tensor, beta: float) -> torch.Tensor:
    """Squared answer error summed over a sample's answers, plus beta * KL; batch mean."""
    answer, mu, logvar = output
    err = (answer.float() - target.float()) ** 2
    sq = err.flatten(1).sum(1) if err.dim() > 1 else err
    return (sq + beta * kl_per_neuron(mu, logvar).sum(1)).mean()


# --- active units -------------------------------------------------------------------------------


def unit_kl(kl: np.ndarray, neurons_per_unit: int = 1) -> np.ndarray:
    """Mean KL (nats) of every unit over the samples, from per-neuron KL (n, neurons)."""
    kl = np.asarray(kl, float)
    if kl.shape[1] % neurons_per_unit:
        raise ValueError(f"{kl.shape[1]} neurons do not group into units of {neurons_per_unit}")
    return kl.reshape(len(kl), -1, neurons_per_unit).sum(-1).mean(0)


def active_units(mean_kl: np.ndarray, threshold: float) -> np.ndarray:
    """Indices of the units whose mean KL exceeds `threshold` nats."""
    return np.flatnonzero(np.asarray(mean_kl) > threshold)


# --- scores -------------------------------------------------------------------------------------


def abs_spearman_matrix(units: np.ndarray, params: np.ndarray) -> np.ndarray:
    """|Spearman| between every unit (n, u) and every parameter (n, p): (u, p); 0 for a constant unit."""
    units, params = np.atleast_2d(units.T).T, np.atleast_2d(params.T).T
    out = np.zeros((units.shape[1], params.shape[1]))
    for i, j in itertools.product(range(units.shape[1]), range(params.shape[1])):
        if np.ptp(units[:, i]) > 0:
            rho = spearmanr(units[:, i], params[:, j]).statistic
            out[i, j] = abs(rho) if np.isfinite(rho) else 0.0
    return out


def angle_fit(pair: np.ndarray, angle: np.ndarray) -> dict:
    """Least-squares fit pair (n, 2) = c + A (cos angle, sin angle): R^2 over both columns,
    A, and its orientation (+1: the pair turns with the angle, -1: mirrored)."""
    design = np.column_stack([np.ones(len(angle)), np.cos(angle), np.sin(angle)])
    coef, *_ = np.linalg.lstsq(design, pair, rcond=None)
    resid = pair - design @ coef
    ss_tot = ((pair - pair.mean(0)) ** 2).sum()
    r2 = 1.0 - (resid**2).sum() / ss_tot if ss_tot > 0 else 0.0
    A = coef[1:].T  # pair_i = c_i + A_i0 cos + A_i1 sin
    return {"r2": float(r2), "matrix": A, "orientation": int(np.sign(np.linalg.det(A)) or 1)}


def angle_r2_matrix(pairs: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """R^2 of the angle fit of every latent pair (n, u, 2) on every angle (n, p): (u, p)."""
    return np.array(
        [
            [angle_fit(pairs[:, i], angles[:, j])["r2"] for j in range(angles.shape[1])]
            for i in range(pairs.shape[1])
        ]
    )


# --- assignment ---------------------------------------------------------------------------------


def best_assignment(score: np.ndarray, units) -> list[int] | None:
    """Units (one per parameter, distinct) from `units` maximising the summed score; None when
    there are fewer units than parameters."""
    units = list(units)
    n_par = score.shape[1]
    if len(units) < n_par:
        return None
    best = max(
        itertools.permutations(units, n_par),
        key=lambda perm: sum(score[u, j] for j, u in enumerate(perm)),
    )
    return list(best)


def assignment_check(
    score: np.ndarray, mean_kl: np.ndarray, kl_threshold: float, min_score: float
) -> dict:
    """Active units, their one-to-one assignment to the parameters, and the verdicts.

    `count_ok`: exactly as many active units as parameters. `assignment_ok`: count_ok and every
    assigned unit reaches `min_score` with its parameter. `exclusive`: no assigned unit also
    reaches `min_score` with another parameter (each active unit a function of one parameter).
    """
    active = active_units(mean_kl, kl_threshold)
    assigned = best_assignment(score, active)
    scores = [float(score[u, j]) for j, u in enumerate(assigned)] if assigned else []
    exclusive = bool(assigned) and all(
        (np.delete(score[u], j) < min_score).all() for j, u in enumerate(assigned)
    )
    count_ok = len(active) == score.shape[1]
    return {
        "mean_kl": [float(k) for k in mean_kl],
        "active": [int(a) for a in active],
        "n_active": int(len(active)),
        "assignment": [int(u) for u in assigned] if assigned else None,
        "assigned_scores": scores,
        "count_ok": bool(count_ok),
        "exclusive": exclusive,
        "assignment_ok": bool(count_ok and scores and min(scores) >= min_score),
    }


# --- the learned time update --------------------------------------------------------------------


def rotation_increment(M: np.ndarray) -> dict:
    """Angular increment per step of the 2x2 linear update M (rad, counter-clockwise positive).

    For complex eigenvalues rho exp(+-i theta), every orbit of M turns by theta per step on
    average (exactly, for a rotation); the sign is the sense of turning, sign(M10 - M01). Also
    the angle of the closest rotation, the eigenvalue moduli (1 and 1 for a rotation) and the
    ratio of the larger to the smaller singular value (1 when M is a rotation times a scale, so
    that every direction turns by the same angle each step). Real eigenvalues mean M does not
    turn: increment 0."""
    M = np.asarray(M, float)
    eig = np.linalg.eigvals(M)
    sv = np.linalg.svd(M, compute_uv=False)
    turning = bool(abs(eig[0].imag) > 0)
    sense = np.sign(M[1, 0] - M[0, 1]) or 1.0
    return {
        "angle": float(sense * abs(np.angle(eig[0]))) if turning else 0.0,
        "closest_rotation_angle": float(np.arctan2(M[1, 0] - M[0, 1], M[0, 0] + M[1, 1])),
        "eigen_moduli": sorted(float(abs(e)) for e in eig),
        "singular_value_ratio": float(sv[0] / sv[1]) if sv[1] > 0 else float("inf"),
        "complex_pair": turning,
    }
