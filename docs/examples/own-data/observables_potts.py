"""Candidate observables of the three-state Potts model for physlens (docs/userdata.md):
each function takes the configurations as stored, (sample, channel, y, x) with the state as
the unit vector (cos 2 pi s/3, sin 2 pi s/3), and returns one number per sample. The first
line of a docstring is the observable's description; a `unit` attribute its unit."""

import numpy as np


def order_parameter(x):
    """Potts magnetisation |sum_i exp(2 pi i s_i / 3)| / N: 1 ordered, ~N^(-1/2) disordered."""
    return np.hypot(x[:, 0].mean(axis=(-2, -1)), x[:, 1].mean(axis=(-2, -1)))


def state0_fraction(x):
    """Fraction of sites in state 0: not symmetric under relabelling the states."""
    return (x[:, 0] > 0.5).mean(axis=(-2, -1))


def satisfied_bonds(x):
    """Fraction of nearest-neighbour bonds whose two sites share a state."""
    # delta(s_i, s_j) = (1 + 2 u_i . u_j) / 3 for the unit vectors u of three states
    bonds = [(x * np.roll(x, 1, axis=axis)).sum(axis=1) for axis in (-1, -2)]
    return sum(((1 + 2 * b) / 3).mean(axis=(-2, -1)) for b in bonds) / 2
