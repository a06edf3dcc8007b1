"""Twin neural network regression (TNNR; Wetzel, Ryczko, Melko, Tamblyn 2022).

A twin network F(x_i, x_j) is trained to predict y_i - y_j. The regression estimate for a
new point averages over the labelled training anchors x_j:

    y(x) ≈ mean_j [F_sym(x, x_j) + y_j],   F_sym(a, b) = ½F(a, b) - ½F(b, a),

an implicit ensemble of n_anchor predictions whose standard deviation is the uncertainty.
Training samples are *triplets* (a, b, c): the network predicts the three differences around
the loop a→b→c→a, the labelled ones are fitted (MSE) and their sum, which must vanish for
exact differences, is penalised (loop consistency). A triplet with unlabelled members still
contributes its loop term: that is the semi-supervised signal.

Works with physlens.training.train unchanged: X = triplets (n, 3, features), y = the three
target differences (n, 3) with NaN where a member is unlabelled, loss = :func:`twin_loss`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import physlens.models.siamese  # noqa: F401  (registers twin_mlp, mlp_regressor)
from physlens.training import TrainSettings, seeded_model, train

# --- data ------------------------------------------------------------------------------------


class Standardiser:
    """Affine map of inputs and targets to zero mean, unit variance (training statistics)."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.x_mean, self.x_std = X.mean(0), X.std(0)
        self.x_std = np.where(self.x_std > 0, self.x_std, 1.0)
        self.y_mean, self.y_std = float(np.mean(y)), float(np.std(y)) or 1.0

    def x(self, X):
        return ((X - self.x_mean) / self.x_std).astype(np.float32)

    def y(self, y):
        return ((np.asarray(y) - self.y_mean) / self.y_std).astype(np.float32)

    def y_back(self, y, scale_only: bool = False):
        return np.asarray(y) * self.y_std + (0.0 if scale_only else self.y_mean)


def sample_triplets(
    n_labelled: int,
    n_unlabelled: int,
    n_triplets: int,
    semi_fraction: float,
    gen: np.random.Generator,
) -> np.ndarray:
    """Indices (n_triplets, 3) into [labelled points, unlabelled points].

    A share 1 - semi_fraction of the triplets are drawn from labelled points only; the rest
    from all points (so they usually contain unlabelled members).
    """
    n_semi = int(round(semi_fraction * n_triplets)) if n_unlabelled > 0 else 0
    sup = gen.integers(0, n_labelled, (n_triplets - n_semi, 3))
    semi = gen.integers(0, n_labelled + n_unlabelled, (n_semi, 3))
    return np.concatenate([sup, semi])


def triplet_targets(idx: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The differences (y_a - y_b, y_b - y_c, y_c - y_a) of each triplet; NaN where unknown."""
    a, b, c = (y[idx[:, k]] for k in range(3))
    return np.stack([a - b, b - c, c - a], axis=-1).astype(np.float32)


def twin_loss(loop_weight: float):
    """MSE on the known differences + loop_weight * mean squared loop sum (triplets only)."""

    def loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        pred, target = pred.float(), target.float()
        if pred.dim() == 1:  # plain pairs
            return F.mse_loss(pred, target)
        known = torch.isfinite(target)
        err = torch.where(known, pred - torch.nan_to_num(target), torch.zeros_like(pred))
        sup = err.pow(2).sum() / known.sum().clamp(min=1)
        return sup + loop_weight * pred.sum(-1).pow(2).mean()

    return loss


# --- training ---------------------------------------------------------------------------------


def train_twin(
    X_lab: np.ndarray,
    y_lab: np.ndarray,
    X_unl: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    arch: dict,
    settings: TrainSettings,
    seed: int,
    *,
    n_triplets: int,
    loop_weight: float,
    semi_fraction: float = 0.0,
    name: str = "twin",
):
    """Train a twin network on (standardised) data; returns the TrainResult."""
    gen = np.random.default_rng(seed)
    X_all = np.concatenate([X_lab, X_unl]) if len(X_unl) else X_lab
    y_all = (
        np.concatenate([y_lab, np.full(len(X_unl), np.nan, np.float32)]) if len(X_unl) else y_lab
    )
    idx = sample_triplets(len(X_lab), len(X_unl), n_triplets, semi_fraction, gen)
    vidx = sample_triplets(len(X_val), 0, max(256, n_triplets // 5), 0.0, gen)
    model = seeded_model({**arch, "n_features": int(X_lab.shape[1])}, seed)
    return train(
        model,
        (torch.as_tensor(X_all[idx]), torch.as_tensor(triplet_targets(idx, y_all))),
        (torch.as_tensor(X_val[vidx]), torch.as_tensor(triplet_targets(vidx, y_val))),
        settings,
        seed,
        loss_fn=twin_loss(loop_weight),
        name=name,
        final_train_loss=False,  # only the model is used
    )


def train_regressor(
    X, y, X_val, y_val, arch: dict, settings: TrainSettings, seed: int, name: str = "mlp"
):
    """A plain MLP regressor (the baseline) with the same training loop."""
    model = seeded_model({**arch, "n_features": int(X.shape[1])}, seed)
    return train(
        model,
        (torch.as_tensor(X), torch.as_tensor(y)),
        (torch.as_tensor(X_val), torch.as_tensor(y_val)),
        settings,
        seed,
        loss_fn=F.mse_loss,
        name=name,
        final_train_loss=False,  # only the model is used
    )


# --- prediction --------------------------------------------------------------------------------


@torch.no_grad()
def anchor_predictions(
    model, X_query: np.ndarray, X_anchor: np.ndarray, y_anchor: np.ndarray, chunk: int = 65536
) -> np.ndarray:
    """(n_query, n_anchor) estimates F_sym(x_i, x_j) + y_j; `model.difference(a, b)` is F_sym."""
    if hasattr(model, "eval"):
        model.eval()
    Xq = torch.as_tensor(X_query, dtype=torch.float32)
    Xa = torch.as_tensor(X_anchor, dtype=torch.float32)
    nq, na = len(Xq), len(Xa)
    rows = max(1, chunk // max(na, 1))
    out = np.empty((nq, na))
    for s in range(0, nq, rows):
        q = Xq[s : s + rows]
        a = q.repeat_interleave(na, 0)
        b = Xa.repeat(len(q), 1)
        out[s : s + len(q)] = model.difference(a, b).double().numpy().reshape(len(q), na)
    return out + np.asarray(y_anchor, float)[None, :]


def tnnr_predict(model, X_query, X_anchor, y_anchor) -> tuple[np.ndarray, np.ndarray]:
    """Mean over anchors (the prediction) and their standard deviation (the uncertainty)."""
    est = anchor_predictions(model, X_query, X_anchor, y_anchor)
    return est.mean(1), est.std(1)


@torch.no_grad()
def loop_violation(model, X: np.ndarray, n_loops: int, gen: np.random.Generator) -> float:
    """RMS of F_sym(a,b) + F_sym(b,c) + F_sym(c,a) over random triplets of X (0 for exact differences)."""
    idx = gen.integers(0, len(X), (n_loops, 3))
    T = torch.as_tensor(X[idx], dtype=torch.float32)
    return float(model.eval()(T).sum(-1).pow(2).mean().sqrt())


@torch.no_grad()
def point_loop_violation(
    model, X_query: np.ndarray, X_anchor: np.ndarray, n_pairs: int, gen: np.random.Generator
) -> np.ndarray:
    """Per query point x: RMS of F_sym(x, a) + F_sym(a, b) + F_sym(b, x) over n_pairs random
    anchor pairs (a, b); 0 for exact differences, so a per-point uncertainty signal."""
    nq = len(X_query)
    pairs = gen.integers(0, len(X_anchor), (nq, n_pairs, 2))
    q = np.repeat(np.asarray(X_query, np.float32)[:, None, :], n_pairs, axis=1)
    T = np.stack([q, X_anchor[pairs[..., 0]], X_anchor[pairs[..., 1]]], axis=2)
    loops = model.eval()(torch.as_tensor(T.reshape(nq * n_pairs, 3, -1), dtype=torch.float32))
    return loops.sum(-1).double().pow(2).reshape(nq, n_pairs).mean(1).sqrt().numpy()


@torch.no_grad()
def ensemble_predict(models, X) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over an ensemble of regressors."""
    Xt = torch.as_tensor(X, dtype=torch.float32)
    preds = np.stack([m.eval()(Xt).double().numpy() for m in models])
    return preds.mean(0), preds.std(0)


# --- scores ------------------------------------------------------------------------------------


def rmse(pred, y) -> float:
    return float(np.sqrt(np.mean((np.asarray(pred) - np.asarray(y)) ** 2)))


def coverage(pred, sigma, y, z: float) -> float:
    """Share of points with |y - pred| <= z * sigma (z = 1: nominal 68.3 %, z = 1.96: 95 %)."""
    return float(np.mean(np.abs(np.asarray(y) - pred) <= z * np.asarray(sigma)))


def calibration_scale(pred, sigma, y) -> float:
    """Factor s making the z-scores (y - pred) / (s sigma) unit-variance on a calibration set."""
    sigma = np.maximum(np.asarray(sigma), 1e-12)
    return float(np.sqrt(np.mean(((np.asarray(y) - pred) / sigma) ** 2)))
