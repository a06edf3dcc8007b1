"""numba kernels: pairwise accelerations and velocity Verlet for many short simulations.

The force laws are those of :mod:`physlens.gnn.forces` (law codes: forces.LAW_CODES); the
kernels are single-threaded, so a given seed gives the same trajectories on every machine.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _radial(law, r, m_i, m_j, q_i, q_j, eps):
    rs = r + eps
    if law == 0:  # spring, rest length 1
        return -2.0 * (rs - 1.0)
    if law == 1:  # 1/r
        return -m_i * m_j / rs
    if law == 2:  # 1/r^2
        return -m_i * m_j / (rs * rs)
    return q_i * q_j / (rs * rs)  # charge


@njit(cache=True)
def accelerations_into(x, m, q, law, eps, out):
    """out[i] = sum_j F_ij / m_i for one state x (n, dim); each pair is evaluated once."""
    n, d = x.shape
    out[:] = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(d):
                r2 += (x[i, k] - x[j, k]) ** 2
            r = np.sqrt(r2)
            f = _radial(law, r, m[i], m[j], q[i], q[j], eps) / r
            for k in range(d):
                fk = f * (x[i, k] - x[j, k])
                out[i, k] += fk / m[i]
                out[j, k] -= fk / m[j]


@njit(cache=True)
def verlet_batch(x0, v0, m, q, law, eps, dt, n_store, stride):
    """Velocity Verlet for S simulations (x0, v0: (S, n, dim); m, q: (S, n)); returns the
    positions, velocities and accelerations at every `stride`-th step, (S, n_store, n, dim)."""
    S, n, d = x0.shape
    X = np.empty((S, n_store, n, d))
    V = np.empty((S, n_store, n, d))
    A = np.empty((S, n_store, n, d))
    a = np.empty((n, d))
    for s in range(S):
        x = x0[s].copy()
        v = v0[s].copy()
        accelerations_into(x, m[s], q[s], law, eps, a)
        for t in range(n_store):
            X[s, t] = x
            V[s, t] = v
            A[s, t] = a
            if t == n_store - 1:
                break
            for _ in range(stride):
                v += 0.5 * dt * a
                x += dt * v
                accelerations_into(x, m[s], q[s], law, eps, a)
                v += 0.5 * dt * a
    return X, V, A
