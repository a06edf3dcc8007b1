"""Exact physics behind the pair datasets: Kepler orbits, Lorentz boosts of fields and 4-vectors.

Units: G M = mu = 1 for the Kepler problem (m = 1), c = 1 for special relativity.
"""

from __future__ import annotations

import numpy as np

# --- Kepler problem in the plane, V(r) = -mu / r -------------------------------------------


def kepler_energy(x, y, vx, vy, mu=1.0):
    """Energy per unit mass, E = v^2/2 - mu/r."""
    return 0.5 * (vx**2 + vy**2) - mu / np.hypot(x, y)


def angular_momentum(x, y, vx, vy):
    """z-component of the angular momentum per unit mass, L_z = x v_y - y v_x."""
    return x * vy - y * vx


def solve_kepler(mean_anomaly, e, tol=1e-14, max_iter=50):
    """Eccentric anomaly E from Kepler's equation M = E - e sin E (Newton, vectorised)."""
    M = np.asarray(mean_anomaly, dtype=float)
    E = np.where(e < 0.8, M, np.pi * np.ones_like(M))  # standard robust start
    for _ in range(max_iter):
        f = E - e * np.sin(E) - M
        dE = f / (1.0 - e * np.cos(E))
        E = E - dE
        if np.all(np.abs(dE) < tol):
            break
    return E


def kepler_state(a, e, omega, mean_anomaly, mu=1.0):
    """Phase-space point (x, y, vx, vy) on the ellipse (a, e, periapsis angle omega).

    Exact: positions from the eccentric anomaly, velocities from the vis-viva geometry, so
    energy -mu/(2a) and L_z = sqrt(mu a (1 - e^2)) hold to rounding error.
    """
    E = solve_kepler(mean_anomaly, e)
    cosE, sinE = np.cos(E), np.sin(E)
    b = a * np.sqrt(1.0 - e**2)
    n = np.sqrt(mu / a**3)  # mean motion
    edot = n / (1.0 - e * cosE)
    px, py = a * (cosE - e), b * sinE  # periapsis frame
    pvx, pvy = -a * sinE * edot, b * cosE * edot
    c, s = np.cos(omega), np.sin(omega)
    return np.stack(
        [c * px - s * py, s * px + c * py, c * pvx - s * pvy, s * pvx + c * pvy], axis=-1
    )


def leapfrog(state, dt, n_steps, mu=1.0):
    """Velocity-Verlet (symplectic) integration; returns the trajectory (n_steps + 1, ..., 4).

    Used as an independent check of the analytic orbits: a symplectic step conserves L_z
    exactly for a central force and keeps the energy error bounded, O(dt^2).
    """
    s = np.array(state, dtype=float)
    out = [s.copy()]

    def acc(x, y):
        r3 = np.hypot(x, y) ** 3
        return -mu * x / r3, -mu * y / r3

    ax, ay = acc(s[..., 0], s[..., 1])
    for _ in range(n_steps):
        s[..., 2] += 0.5 * dt * ax
        s[..., 3] += 0.5 * dt * ay
        s[..., 0] += dt * s[..., 2]
        s[..., 1] += dt * s[..., 3]
        ax, ay = acc(s[..., 0], s[..., 1])
        s[..., 2] += 0.5 * dt * ax
        s[..., 3] += 0.5 * dt * ay
        out.append(s.copy())
    return np.stack(out)


# --- Special relativity ----------------------------------------------------------------------


def boost_fields(E, B, beta):
    """Exact Lorentz transformation of (E, B) to a frame moving with velocity beta (c = 1).

    E' = gamma (E + beta x B) - gamma^2/(gamma+1) beta (beta . E)
    B' = gamma (B - beta x E) - gamma^2/(gamma+1) beta (beta . B)
    """
    beta = np.asarray(beta, dtype=float)
    b2 = np.sum(beta**2, axis=-1, keepdims=True)
    if np.any(b2 >= 1.0):
        raise ValueError("boost speed must be below c = 1")
    gamma = 1.0 / np.sqrt(1.0 - b2)
    k = gamma**2 / (gamma + 1.0)
    Ep = gamma * (E + np.cross(beta, B)) - k * beta * np.sum(beta * E, axis=-1, keepdims=True)
    Bp = gamma * (B - np.cross(beta, E)) - k * beta * np.sum(beta * B, axis=-1, keepdims=True)
    return Ep, Bp


def boost_four_vector(p, beta):
    """Boost of a 4-vector p = (t, x, y, z) by velocity beta (c = 1)."""
    beta = np.asarray(beta, dtype=float)
    b2 = np.sum(beta**2, axis=-1, keepdims=True)
    if np.any(b2 >= 1.0):
        raise ValueError("boost speed must be below c = 1")
    gamma = 1.0 / np.sqrt(1.0 - b2)
    t, x = p[..., :1], p[..., 1:]
    bx = np.sum(beta * x, axis=-1, keepdims=True)
    t_new = gamma * (t - bx)
    x_new = x + ((gamma - 1.0) * bx / np.where(b2 > 0, b2, 1.0) - gamma * t) * beta
    return np.concatenate([t_new, x_new], axis=-1)


def random_rotation(rng: np.random.Generator, n: int) -> np.ndarray:
    """n Haar-random 3x3 rotation matrices (QR of Gaussian matrices, sign-fixed, det +1)."""
    A = rng.standard_normal((n, 3, 3))
    Q, R = np.linalg.qr(A)
    Q = Q * np.sign(np.diagonal(R, axis1=-2, axis2=-1))[:, None, :]
    det = np.linalg.det(Q)
    Q[:, :, 0] *= det[:, None]
    return Q


def random_velocity(rng: np.random.Generator, n: int, beta_max: float) -> np.ndarray:
    """Boost velocities with isotropic direction and rapidity uniform in [0, artanh(beta_max)]."""
    direction = rng.standard_normal((n, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    speed = np.tanh(rng.uniform(0.0, np.arctanh(beta_max), n))
    return direction * speed[:, None]
