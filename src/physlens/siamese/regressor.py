"""Twin neural network regression as a scikit-learn-style estimator.

    reg = TwinRegressor(hidden=(64, 64), seed=1).fit(X_train, y_train)
    mean, std = reg.predict(X_test, return_std=True)

The estimator wraps :mod:`physlens.siamese.tnnr` (triplet training with the loop-consistency
loss, prediction averaged over the training anchors, whose spread is the uncertainty); the
benchmark (:mod:`physlens.siamese.benchmark`) trains its TNNR models through it. Defaults
are the workflow's (`twin` block of the config schema).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from physlens.seeding import rng
from physlens.siamese import tnnr
from physlens.training import TrainSettings

DEFAULT_TRAIN = {"epochs": 40, "batch_size": 256, "lr": 0.002, "patience": 10}


@dataclass
class TwinRegressor:
    """Twin network regression (Wetzel, Ryczko, Melko, Tamblyn 2022).

    hidden, activation: the MLP of the twin network (relu, tanh, elu, softplus).
    n_triplets: training triplets (a, b, c) drawn once, seeded.
    loop_weight: weight of the loop-consistency loss (F_ab + F_bc + F_ca)^2.
    semi_fraction: share of triplets drawn from labelled and unlabelled points together, when
        `fit` is given unlabelled points (semi-supervised); the rest use labelled points only.
    train: training settings (a dict of physlens.training.TrainSettings fields or the
        dataclass); default 40 epochs, batch 256, lr 0.002, patience 10, CPU or CUDA (auto).
    val_fraction: share of the labelled points held out for early stopping when `fit` is
        given no validation set.
    standardise: fit inputs and targets to zero mean, unit variance (training statistics) and
        map predictions back; False trains on the data as given.
    seed: every random choice (weights, triplets, minibatches, validation split) follows it.
    """

    hidden: Sequence[int] = (64, 64)
    activation: str = "relu"
    n_triplets: int = 20000
    loop_weight: float = 1.0
    semi_fraction: float = 0.5
    train: dict | TrainSettings = field(default_factory=lambda: dict(DEFAULT_TRAIN))
    val_fraction: float = 0.2
    standardise: bool = True
    seed: int = 0
    name: str = "twin"

    def fit(self, X, y, X_val=None, y_val=None, X_unlabelled=None) -> TwinRegressor:
        """Train on labelled (X, y), plus unlabelled points for the loop loss if given."""
        X, y = np.asarray(X, float), np.asarray(y, float).reshape(-1)
        if X.ndim != 2 or len(X) != len(y) or len(y) < 2:
            raise ValueError(f"X must be (n, features) with n = len(y) >= 2, got {X.shape}")
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise ValueError("X and y must be finite (NaN or inf found)")
        if X_val is None:
            X, y, X_val, y_val = self._hold_out(X, y)
        X_unl = np.zeros((0, X.shape[1])) if X_unlabelled is None else np.asarray(X_unlabelled)
        self.standardiser_ = tnnr.Standardiser(X, y) if self.standardise else None
        x, t = self._x, self._y
        settings = (
            self.train
            if isinstance(self.train, TrainSettings)
            else TrainSettings.from_config({**DEFAULT_TRAIN, **self.train})
        )
        arch = {"name": "twin_mlp", "hidden": list(self.hidden), "activation": self.activation}
        self.result_ = tnnr.train_twin(
            x(X),
            t(y),
            x(X_unl),
            x(np.asarray(X_val)),
            t(np.asarray(y_val)),
            arch,
            settings,
            self.seed,
            n_triplets=self.n_triplets,
            loop_weight=self.loop_weight,
            semi_fraction=self.semi_fraction if len(X_unl) else 0.0,
            name=self.name,
        )
        self.model_ = self.result_.model
        self.anchors_ = (x(X), t(y))
        return self

    def predict(self, X, return_std: bool = False):
        """Anchor-averaged prediction; with `return_std` also the anchors' spread."""
        mean, std = tnnr.tnnr_predict(self.model_, self._x(np.asarray(X, float)), *self.anchors_)
        s = self.standardiser_
        if s is not None:
            mean, std = s.y_back(mean), s.y_back(std, scale_only=True)
        return (mean, std) if return_std else mean

    def loop_violation(self, X, n_loops: int = 2000, gen=None) -> float:
        """RMS of F(a,b) + F(b,c) + F(c,a) over random triplets of X (drawn from `gen`,
        default seeded by `seed`), in units of y; 0 for exactly consistent differences."""
        gen = rng(self.seed, "twin_regressor", "loops") if gen is None else gen
        v = tnnr.loop_violation(self.model_, self._x(np.asarray(X, float)), n_loops, gen)
        return v * (self.standardiser_.y_std if self.standardiser_ is not None else 1.0)

    def _hold_out(self, X, y):
        n_val = max(1, int(round(self.val_fraction * len(y))))
        if len(y) - n_val < 2:
            raise ValueError(f"{len(y)} points leave too few for training after validation")
        perm = rng(self.seed, "twin_regressor", "validation").permutation(len(y))
        fit, val = perm[n_val:], perm[:n_val]
        return X[fit], y[fit], X[val], y[val]

    def _x(self, X):
        s = getattr(self, "standardiser_", None)
        return s.x(X) if s is not None else np.asarray(X, np.float32)

    def _y(self, y):
        s = getattr(self, "standardiser_", None)
        return s.y(y) if s is not None else np.asarray(y, np.float32)
