"""Science of the userdata stage that has no home in another stage: the classifier's
P(class 1) = 1/2 crossing on an irregular grid of the control parameter, the direction of
each class along the control, and concept knobs in the hidden layer the head reads.

Concept knobs, in the space the decision is read from: the knob of a concept Q moves a
hidden representation h the way the data move it when Q changes, by b dQ with b the
least-squares slope of h on Q (per unit; Q's "data direction"). Unlike the direction that
best predicts Q from h (a concept activation vector), b is well defined when hidden units
are nearly collinear, as units of one trained layer often are. The head turns the move into
a logit change: dlogit/dQ per sample (its sign says whether more Q means more class 1), and
a sweep of Q from each class's mean representation gives the shift of Q that flips the
decision, to compare with how far apart the classes lie in Q.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from physlens.phase import crossing
from physlens.phase.ensemble import bootstrap_error

SWEEP_POINTS = 41


def grid_rows(control: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(grid, P) with P[i, j] the j-th value at the i-th distinct control value, NaN-padded:
    the layout of :mod:`physlens.phase.crossing` for samples that need not be equal in number
    at every grid point."""
    grid = np.unique(control)
    rows = [values[control == g] for g in grid]
    P = np.full((len(grid), max(len(r) for r in rows)), np.nan)
    for i, r in enumerate(rows):
        P[i, : len(r)] = r
    return grid, P


def class1_rises(control: np.ndarray, labels: np.ndarray) -> bool:
    """True when class 1 lies at the high end of the control (mean control of class 1 above
    that of class 0), read from the labelled samples."""
    c1, c0 = control[labels == 1], control[labels == 0]
    if not len(c1) or not len(c0):
        raise ValueError("class1_rises: both classes need labelled samples")
    return bool(c1.mean() > c0.mean())


def critical_control(
    control, p_class1, rising: bool, rng: np.random.Generator, n_resamples: int
) -> dict:
    """Where the mean P(class 1) crosses 1/2 along the control, with the bootstrap error over
    samples (resampled within each grid point)."""
    grid, P = grid_rows(np.asarray(control, float), np.asarray(p_class1, float))
    mean, sem, n = crossing.mean_by_temperature(P)
    value = crossing.half_crossing(grid, mean, rising=rising)
    boots = crossing.bootstrap_crossings(grid, P, rng, n_resamples, rising=rising)
    return {
        "grid": grid,
        "mean": mean,
        "sem": sem,
        "n": n,
        "value": value,
        "error": bootstrap_error(boots),
        "failed_resamples": int((~np.isfinite(boots)).sum()),
    }


def data_signs(observables: Mapping[str, np.ndarray], labels: np.ndarray) -> dict[str, float]:
    """+1 where an observable is larger in class 1 than in class 0 (means over the labelled
    samples), -1 where smaller, 0 where equal: what a knob must do if the model uses it."""
    out = {}
    for k, q in observables.items():
        q = np.asarray(q, float)
        out[k] = float(np.sign(q[labels == 1].mean() - q[labels == 0].mean()))
    return out


def _sweep_flip(amounts: np.ndarray, logits: np.ndarray) -> float:
    """The concept shift where the swept logit first changes sign (NaN if it never does)."""
    s = np.sign(logits)
    flips = np.flatnonzero(s[:-1] * s[1:] < 0)
    if not len(flips):
        return float("nan")
    shift = [
        amounts[i] - logits[i] * (amounts[i + 1] - amounts[i]) / (logits[i + 1] - logits[i])
        for i in flips
    ]
    return float(min(shift, key=abs))  # the smallest shift that flips it


def data_direction(hidden: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, float]:
    """(b, r2): the least-squares slope of every hidden unit on q, and the share of the
    hidden variance that the line h = a + b q explains."""
    H = np.asarray(hidden, float)
    dq = np.asarray(q, float) - np.mean(q)
    dH = H - H.mean(axis=0)
    b = dH.T @ dq / float(dq @ dq)
    ss = float(np.sum(dH**2))
    r2 = 1.0 - float(np.sum((dH - np.outer(dq, b)) ** 2)) / ss if ss > 0 else float("nan")
    return b, r2


def concept_knobs(
    hidden: np.ndarray,
    head: Callable[[np.ndarray], np.ndarray],
    observables: Mapping[str, np.ndarray],
    labels: np.ndarray,
    rel_step: float = 0.05,
) -> dict[str, dict]:
    """Per observable: its data direction's r2, dlogit/dQ per sample (mean and fraction
    positive), and sweeps of Q from each class's mean representation (shifts in units of Q,
    the logits, the shift that flips the decision, and the class separation in Q)."""
    H = np.asarray(hidden, float)
    out = {}
    for name, q in observables.items():
        q = np.asarray(q, float)
        scale = float(np.std(q))
        if scale == 0:
            continue
        b, r2 = data_direction(H, q)
        eps = rel_step * scale
        effect = (head(H + eps * b) - head(H - eps * b)) / (2 * eps)
        amounts = np.linspace(-np.ptp(q), np.ptp(q), SWEEP_POINTS)
        sweeps, flips = {}, {}
        for cls in (1, 0):
            if not (labels == cls).any():  # no analysed sample of the class to start from
                sweeps[cls], flips[cls] = np.full(len(amounts), np.nan), float("nan")
                continue
            h0 = H[labels == cls].mean(axis=0)
            sweeps[cls] = head(h0[None, :] + amounts[:, None] * b[None, :])
            flips[cls] = _sweep_flip(amounts, sweeps[cls])
        out[name] = {
            "r2": r2,
            "separation": float(q[labels == 1].mean() - q[labels == 0].mean()),
            "effect_mean": float(np.mean(effect)),
            "effect_positive_fraction": float(np.mean(effect > 0)),
            "amounts": amounts,
            "sweep_class1": sweeps[1],
            "sweep_class0": sweeps[0],
            "flip_from_class1": flips[1],
            "flip_from_class0": flips[0],
        }
    return out
