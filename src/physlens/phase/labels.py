"""Window labels and the seeded train/val/test split of a phase classifier.

The two classes are 1 and 0; which phase is which is the stage's choice (Ising: 1 ordered,
the low-temperature window; SU(2): 1 deconfined, the high-coupling window). Samples between
the windows are unlabelled (-1): never trained on, only tested.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNLABELLED = -1
# Balancing draws the class-1 subsample first; the order is part of every split's stream.
CLASSES = (1, 0)


def window_labels(
    values,
    low_max: float,
    high_min: float,
    *,
    low_label: int,
    high_label: int,
    names: tuple[str, str] = ("low_max", "high_min"),
    where: str = "windows",
) -> np.ndarray:
    """`low_label` for values <= low_max, `high_label` for values >= high_min, -1 between.

    `names` are the two bounds' config keys and `where` their block, for the message when
    the bounds are in the wrong order.
    """
    if not low_max < high_min:
        raise ValueError(f"{where}: {names[0]} = {low_max} must be below {names[1]} = {high_min}")
    v = np.asarray(values, float)
    return np.where(v <= low_max, low_label, np.where(v >= high_min, high_label, UNLABELLED))


@dataclass
class Split:
    """Index pairs (grid index, sample index) of each part."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def _balance(t_idx, s_idx, labels, rng):
    """Drop random samples of the larger class so that both classes are equally frequent
    (then the constant predictor's loss is exactly ln 2)."""
    y = labels[t_idx]
    keep = []
    n = min((y == CLASSES[0]).sum(), (y == CLASSES[1]).sum())
    for cls in CLASSES:
        members = np.flatnonzero(y == cls)
        keep.append(np.sort(rng.choice(members, size=n, replace=False)))
    keep = np.sort(np.concatenate(keep))
    return t_idx[keep], s_idx[keep]


def split_phase_data(
    labels: np.ndarray,
    n_samples: int,
    val_fraction: float,
    test_fraction: float,
    rng: np.random.Generator,
) -> Split:
    """Split the samples of labelled grid points into train/val/test (classes balanced in
    train and val); every sample of an unlabelled grid point goes to test."""
    n_test = int(round(test_fraction * n_samples))
    n_val = int(round(val_fraction * n_samples))
    if n_samples - n_test - n_val < 1 or n_val < 1:
        raise ValueError(
            f"{n_samples} samples per grid point cannot be split with val_fraction = "
            f"{val_fraction} and test_fraction = {test_fraction}"
        )
    parts = {"train": ([], []), "val": ([], []), "test": ([], [])}
    for ti, lab in enumerate(labels):
        perm = rng.permutation(n_samples)
        chunks = (
            {"test": perm}
            if lab == UNLABELLED
            else {
                "test": perm[:n_test],
                "val": perm[n_test : n_test + n_val],
                "train": perm[n_test + n_val :],
            }
        )
        for part, s in chunks.items():
            parts[part][0].append(np.full(len(s), ti))
            parts[part][1].append(np.sort(s))
    out = {
        k: (np.concatenate(a).astype(int), np.concatenate(b).astype(int))
        for k, (a, b) in parts.items()
    }
    if not all((labels == cls).any() for cls in CLASSES):
        raise ValueError("the training windows leave one of the two classes without a grid point")
    out["train"] = _balance(*out["train"], labels, rng)
    out["val"] = _balance(*out["val"], labels, rng)
    return Split(**out)
