"""SU(2) as unit quaternions: U = a0*1 + i (a1 s1 + a2 s2 + a3 s3), s_k the Pauli matrices.

With this convention ``(U V)`` has components
``c0 = a0 b0 - a.b`` and ``c = a0 b + b0 a - a x b``, the adjoint is ``(a0, -a)`` and
``1/2 tr U = a0``. The numba functions work on 4-tuples, which stay in registers (no allocation); the NumPy helpers serve tests and set-up.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=np.complex128)


@njit(cache=True)
def qmul(a, b):
    """Components of the product A B of two quaternions (4-tuples)."""
    a0, a1, a2, a3 = a
    b0, b1, b2, b3 = b
    return (
        a0 * b0 - a1 * b1 - a2 * b2 - a3 * b3,
        a0 * b1 + b0 * a1 - (a2 * b3 - a3 * b2),
        a0 * b2 + b0 * a2 - (a3 * b1 - a1 * b3),
        a0 * b3 + b0 * a3 - (a1 * b2 - a2 * b1),
    )


@njit(cache=True)
def qdag(a):
    """A^dagger (the inverse of a unit quaternion)."""
    return a[0], -a[1], -a[2], -a[3]


@njit(cache=True)
def qmul_dag(a, b):
    """A B^dagger."""
    return qmul(a, qdag(b))


@njit(cache=True)
def qdag_mul(a, b):
    """A^dagger B."""
    return qmul(qdag(a), b)


@njit(cache=True)
def qload(links, site, mu):
    """The link U_mu(site) of a flat (V, 4, 4) link array as a 4-tuple."""
    return links[site, mu, 0], links[site, mu, 1], links[site, mu, 2], links[site, mu, 3]


@njit(cache=True)
def qstore_normalised(links, site, mu, q):
    """Store a quaternion, rescaled to unit norm so rounding never drifts out of SU(2)."""
    q0, q1, q2, q3 = q
    inv = 1.0 / np.sqrt(q0 * q0 + q1 * q1 + q2 * q2 + q3 * q3)
    links[site, mu, 0] = q0 * inv
    links[site, mu, 1] = q1 * inv
    links[site, mu, 2] = q2 * inv
    links[site, mu, 3] = q3 * inv


# --- NumPy helpers (vectorised over leading axes) ---------------------------------------


def to_matrix(q: np.ndarray) -> np.ndarray:
    """The 2x2 complex matrices a0*1 + i a.sigma of quaternions q[..., 4]."""
    q = np.asarray(q, dtype=np.float64)
    eye = np.eye(2, dtype=np.complex128)
    return q[..., 0, None, None] * eye + 1j * np.einsum("...k,kij->...ij", q[..., 1:], _PAULI)


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Quaternion products a b over leading axes (NumPy twin of :func:`qmul`)."""
    a0, av = a[..., :1], a[..., 1:]
    b0, bv = b[..., :1], b[..., 1:]
    c0 = a0 * b0 - np.sum(av * bv, axis=-1, keepdims=True)
    cv = a0 * bv + b0 * av - np.cross(av, bv)
    return np.concatenate([c0, cv], axis=-1)


def dagger(a: np.ndarray) -> np.ndarray:
    """Hermitian conjugates (inverse for unit quaternions)."""
    return a * np.array([1.0, -1.0, -1.0, -1.0])


def random_su2(rng: np.random.Generator, shape=()) -> np.ndarray:
    """Haar-distributed SU(2) elements: unit quaternions uniform on the 3-sphere."""
    q = rng.standard_normal((*shape, 4))
    return q / np.linalg.norm(q, axis=-1, keepdims=True)
