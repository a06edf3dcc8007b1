"""Exact results for the 2D square-lattice Ising model (J = 1, k_B = 1).

* :func:`enumerate_torus` - brute-force density of states of a small periodic lattice.
* :func:`kaufman_log_z`, :func:`kaufman_energy` - Kaufman's (1949) exact partition function
  of the finite M x N torus and its mean energy per site, at any T.
* :func:`onsager_energy`, :func:`onsager_free_energy` - Onsager's (1944) infinite lattice.
* :func:`spontaneous_magnetization` - Onsager/Yang (1952), zero above Tc.

Energies are per site, E/N with E = -sum_<ij> s_i s_j (each nearest-neighbour bond once).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special

from physlens.config import TC_EXACT

__all__ = [
    "TC_EXACT",
    "enumerate_torus",
    "exact_energy_distribution",
    "kaufman_log_z",
    "kaufman_energy",
    "onsager_energy",
    "onsager_free_energy",
    "spontaneous_magnetization",
]


def enumerate_torus(rows: int, cols: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Energies E (integers, total) and their multiplicities g(E) for every spin state.

    Uses E = -sum_i s_i (s_right + s_down); for rows*cols <= 24 (16.7M states).
    """
    cols = rows if cols is None else cols
    n = rows * cols
    if n > 24:
        raise ValueError(f"enumeration of {rows}x{cols} = 2^{n} states is too large (max 2^24)")
    states = np.arange(2**n, dtype=np.uint32)
    bits = ((states[:, None] >> np.arange(n, dtype=np.uint32)) & 1).astype(np.int8)
    spins = (1 - 2 * bits).reshape(-1, rows, cols)
    energy = -(spins * np.roll(spins, -1, axis=2) + spins * np.roll(spins, -1, axis=1)).sum(
        axis=(1, 2), dtype=np.int64
    )
    values, counts = np.unique(energy, return_counts=True)
    return values, counts


def exact_energy_distribution(temperature: float, rows: int, cols: int | None = None):
    """(E/N values, Boltzmann probabilities) on the rows x cols torus at `temperature`."""
    values, counts = enumerate_torus(rows, cols)
    n = rows * (rows if cols is None else cols)
    logw = np.log(counts) - values / temperature
    p = np.exp(logw - logw.max())
    return values / n, p / p.sum()


def _kaufman_terms(K: float, M: int, N: int):
    """log|Z_i|, sign(Z_i), d log|Z_i| / dK for Kaufman's four products (i = 1..4)."""
    k = np.arange(2 * N)
    c, s = np.cosh(2 * K), np.sinh(2 * K)
    # cosh(gamma_k) = cosh 2K coth 2K - cos(pi k / N); gamma_0 = 2K + ln tanh K keeps its sign
    ch = c * c / s - np.cos(np.pi * k / N)
    gamma = np.arccosh(np.maximum(ch, 1.0))
    gamma[0] = 2 * K + np.log(np.tanh(K))
    dch = 2 * c * (s * s - 1) / (s * s)
    with np.errstate(divide="ignore", invalid="ignore"):
        dgamma = dch / np.sinh(gamma)
    dgamma[0] = 2 + 2 / s
    half = M * gamma / 2
    out = []
    for parity in (1, 0):  # odd k (Z1, Z2), then even k (Z3, Z4)
        h, dh = half[parity::2], (M * dgamma / 2)[parity::2]
        a = np.abs(h)
        # log(2 cosh h) and log|2 sinh h| without overflow
        log_cosh = a + np.log1p(np.exp(-2 * a))
        with np.errstate(divide="ignore"):
            log_sinh = a + np.log(-np.expm1(-2 * a))
        out.append((log_cosh.sum(), 1.0, (np.tanh(h) * dh).sum()))
        sign = np.prod(np.sign(h))
        with np.errstate(divide="ignore", invalid="ignore"):
            d_sinh = (dh / np.tanh(h)).sum()
        out.append((log_sinh.sum(), sign, d_sinh))
    return out


def kaufman_log_z(temperature: float, rows: int, cols: int | None = None) -> float:
    """ln Z of the rows x cols periodic lattice (Kaufman 1949), all states counted."""
    return _kaufman(temperature, rows, cols)[0]


def kaufman_energy(temperature: float, rows: int, cols: int | None = None) -> float:
    """Exact mean energy per site <E>/N of the rows x cols torus, -(1/N) d ln Z / d(1/T)."""
    return _kaufman(temperature, rows, cols)[1]


def _kaufman(temperature, M, N):
    N = M if N is None else N
    if temperature <= 0:
        raise ValueError(f"temperature {temperature!r} must be > 0")
    K = 1.0 / temperature
    terms = [t for t in _kaufman_terms(K, M, N) if t[1] != 0 and np.isfinite(t[0])]
    logs = np.array([t[0] for t in terms])
    signs = np.array([t[1] for t in terms])
    dlogs = np.array([t[2] for t in terms])
    w = signs * np.exp(logs - logs.max())
    total = w.sum()
    log_z = np.log(0.5) + M * N / 2 * np.log(2 * np.sinh(2 * K)) + logs.max() + np.log(total)
    d_log_z = M * N / np.tanh(2 * K) + (w * dlogs).sum() / total
    return float(log_z), float(-d_log_z / (M * N))


def onsager_energy(temperature):
    """Infinite-lattice energy per site u(T) = -coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K(k^2)]."""
    T = np.asarray(temperature, dtype=float)
    K = 1.0 / T
    k = 2 * np.sinh(2 * K) / np.cosh(2 * K) ** 2
    # (2 tanh^2 2K - 1) vanishes where K(k^2) diverges (Tc): the product tends to 0
    with np.errstate(divide="ignore", invalid="ignore"):
        term = (2 * np.tanh(2 * K) ** 2 - 1) * special.ellipk(np.minimum(k * k, 1.0))
    term = np.where(np.isfinite(term), term, 0.0)
    u = -1.0 / np.tanh(2 * K) * (1 + 2 / np.pi * term)
    return u if u.ndim else float(u)


def onsager_free_energy(temperature: float) -> float:
    """-beta f by numerical quadrature of Onsager's double integral (independent of K(k))."""
    K = 1.0 / temperature
    c2, s2 = np.cosh(2 * K) ** 2, np.sinh(2 * K)

    def integrand(t1, t2):
        return np.log(c2 - s2 * (np.cos(t1) + np.cos(t2)))

    val, _ = integrate.dblquad(integrand, 0, np.pi, 0, np.pi, epsabs=1e-12, epsrel=1e-12)
    return float(np.log(2.0) + val / (2 * np.pi**2))


def spontaneous_magnetization(temperature):
    """m(T) = (1 - sinh(2/T)^-4)^(1/8) below Tc, 0 at and above (Onsager; Yang 1952)."""
    T = np.asarray(temperature, dtype=float)
    x = 1.0 - np.sinh(2.0 / T) ** -4
    m = np.where(T < TC_EXACT, np.power(np.clip(x, 0.0, None), 0.125), 0.0)
    return m if m.ndim else float(m)
