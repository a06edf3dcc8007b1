"""Pairwise force laws in NumPy: the truth the simulations, the tests and the interpretation
share, plus a plain (vectorised over simulations, looped over time) velocity-Verlet integrator.

Each law is a potential U(r_s) of the softened distance r_s = r + eps (eps as in the paper's
code, so close encounters stay finite); the force on particle i from particle j is
F_ij = -dU/dr_s * dx_ij / r with dx_ij = x_i - x_j, written f(r) * dx_ij / r:

  spring  U = (r_s - 1)^2           f = -2 (r_s - 1)
  r1      U = m_i m_j log r_s       f = -m_i m_j / r_s
  r2      U = -m_i m_j / r_s        f = -m_i m_j / r_s^2
  charge  U = q_i q_j / r_s         f = +q_i q_j / r_s^2
"""

from __future__ import annotations

import numpy as np

LAWS = ("spring", "r1", "r2", "charge")
LAW_CODES = {name: k for k, name in enumerate(LAWS)}  # the integer the numba kernels take


def check_law(law: str) -> str:
    if law not in LAWS:
        raise ValueError(f"gnn force law {law!r}: choose one of {LAWS}")
    return law


def radial_force(law: str, r, m_i, m_j, q_i, q_j, eps: float) -> np.ndarray:
    """f(r) such that the force on i from j is f * (x_i - x_j) / r (positive = repulsive)."""
    rs = np.asarray(r, float) + eps
    if check_law(law) == "spring":
        return -2.0 * (rs - 1.0)
    if law == "r1":
        return -m_i * m_j / rs
    if law == "r2":
        return -m_i * m_j / rs**2
    return q_i * q_j / rs**2


def pair_potential(law: str, r, m_i, m_j, q_i, q_j, eps: float) -> np.ndarray:
    rs = np.asarray(r, float) + eps
    if check_law(law) == "spring":
        return (rs - 1.0) ** 2
    if law == "r1":
        return m_i * m_j * np.log(rs)
    if law == "r2":
        return -m_i * m_j / rs
    return q_i * q_j / rs


def pair_forces(law: str, x, m, q, eps: float) -> np.ndarray:
    """Force on i from j for every ordered pair: (..., n, n, dim), zero on the diagonal."""
    x = np.asarray(x, float)
    dx = x[..., :, None, :] - x[..., None, :, :]
    r = np.sqrt(np.sum(dx**2, axis=-1))
    n = x.shape[-2]
    off = ~np.eye(n, dtype=bool)
    m, q = np.asarray(m, float), np.asarray(q, float)
    f = radial_force(
        law, r, m[..., :, None], m[..., None, :], q[..., :, None], q[..., None, :], eps
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(off[..., None], dx / np.where(off, r, 1.0)[..., None], 0.0)
    return f[..., None] * unit


def accelerations(law: str, x, m, q, eps: float) -> np.ndarray:
    """a_i = sum_j F_ij / m_i, for positions (..., n, dim)."""
    return pair_forces(law, x, m, q, eps).sum(axis=-2) / np.asarray(m, float)[..., None]


def energy(law: str, x, v, m, q, eps: float) -> np.ndarray:
    """Kinetic plus pair potential energy, for states (..., n, dim) -> (...)."""
    x, v, m, q = (np.asarray(a, float) for a in (x, v, m, q))
    kinetic = 0.5 * np.sum(m[..., None] * v**2, axis=(-2, -1))
    dx = x[..., :, None, :] - x[..., None, :, :]
    r = np.sqrt(np.sum(dx**2, axis=-1))
    upper = np.triu(np.ones(x.shape[-2], dtype=bool), k=1)
    u = pair_potential(
        law, r, m[..., :, None], m[..., None, :], q[..., :, None], q[..., None, :], eps
    )
    return kinetic + np.sum(np.where(upper, u, 0.0), axis=(-2, -1))


def momentum(v, m) -> np.ndarray:
    """Total momentum sum_i m_i v_i: (..., n, dim) -> (..., dim)."""
    return np.sum(np.asarray(m, float)[..., None] * np.asarray(v, float), axis=-2)


def verlet_numpy(law: str, x0, v0, m, q, eps: float, dt: float, n_store: int, stride: int):
    """Plain NumPy velocity Verlet over a batch of simulations (S, n, dim): positions,
    velocities and accelerations at every `stride`-th step, (S, n_store, n, dim) each."""
    x, v = np.array(x0, float), np.array(v0, float)
    a = accelerations(law, x, m, q, eps)
    shape = (x.shape[0], n_store) + x.shape[1:]
    X, V, A = np.empty(shape), np.empty(shape), np.empty(shape)
    for t in range(n_store):
        X[:, t], V[:, t], A[:, t] = x, v, a
        for _ in range(stride if t < n_store - 1 else 0):
            v += 0.5 * dt * a
            x += dt * v
            a = accelerations(law, x, m, q, eps)
            v += 0.5 * dt * a
    return X, V, A
