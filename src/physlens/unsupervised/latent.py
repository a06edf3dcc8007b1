"""Autoencoder losses, latent codes, the latent parameter and phase clusters.

Targets are the input spins (+-1); the decoder returns per-site logits of P(s = +1), so the
reconstruction loss is the Bernoulli negative log-likelihood in nats. ln 2 per site is what
a decoder that knows nothing about the configuration pays.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

ORDERED_UP, ORDERED_DOWN, DISORDERED, EXCLUDED = 0, 1, 2, -1


# --- losses (called by physlens.training.train as loss_fn(model(x), target)) ------------------


def site_nll(logits: torch.Tensor, spins: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of the spins, per sample, summed over sites (nats)."""
    target = (spins.float() + 1.0) / 2.0  # s = +-1 -> {0, 1}
    nll = F.binary_cross_entropy_with_logits(logits.float(), target, reduction="none")
    return nll.flatten(1).sum(dim=1)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) per sample, summed over latent dimensions."""
    return 0.5 * (mu.float() ** 2 + logvar.float().exp() - 1.0 - logvar.float()).sum(dim=1)


def reconstruction_loss(logits: torch.Tensor, spins: torch.Tensor) -> torch.Tensor:
    """Autoencoder loss: mean over the batch of the per-configuration NLL."""
    return site_nll(logits, spins).mean()


def vae_loss(output, spins: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Negative evidence lower bound (beta = 1) per configuration, batch mean."""
    logits, mu, logvar = output
    return (site_nll(logits, spins) + beta * kl_to_standard_normal(mu, logvar)).mean()


def loss_for(model, beta: float = 1.0):
    """The training loss matching the model (plain or variational autoencoder)."""
    return (
        partial(vae_loss, beta=float(beta))
        if getattr(model, "variational", False)
        else reconstruction_loss
    )


# --- codes and per-sample losses ---------------------------------------------------------------


@torch.no_grad()
def encode_and_score(model, X: np.ndarray, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Latent codes (n, latent_dim) and reconstruction NLL per site (n,), in eval mode (the
    VAE decodes its posterior mean)."""
    model = model.cpu().eval()
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    n_sites = X[0].numel()
    codes, nll = [], []
    for start in range(0, len(X), batch_size):
        xb = X[start : start + batch_size]
        z = model.encode(xb)
        codes.append(z.double())
        nll.append(site_nll(model.decode(z), xb).double() / n_sites)
    return torch.cat(codes).numpy(), torch.cat(nll).numpy()


def latent_parameter(codes: np.ndarray, reference: np.ndarray, orient_by: np.ndarray) -> np.ndarray:
    """One number per sample from the latent codes (n, d).

    Codes are projected on their leading principal axis (the code itself when d = 1), the
    origin is put at the median of the `reference` samples (the disordered phase, where
    M ~ 0), and the sign is chosen so that the parameter grows with `orient_by` (M). Its
    absolute value is then an order parameter: ~0 when disordered, large when ordered.
    """
    codes = np.asarray(codes, float)
    if codes.ndim == 1:
        codes = codes[:, None]
    if codes.shape[1] == 1:
        u = codes[:, 0].copy()
    else:
        u = PCA(n_components=1, svd_solver="full").fit_transform(codes)[:, 0]
    u -= np.median(u[np.asarray(reference, bool)]) if np.any(reference) else np.median(u)
    if np.corrcoef(u, orient_by)[0, 1] < 0:
        u = -u
    return u


# --- phase clusters ----------------------------------------------------------------------------


def phase_groups(
    temperatures: np.ndarray, magnetization: np.ndarray, ordered_max: float, disordered_min: float
) -> np.ndarray:
    """Label (T, S): ordered with M > 0, ordered with M < 0, disordered, or excluded (near Tc)."""
    if not ordered_max < disordered_min:
        raise ValueError(
            f"unsupervised.clusters: ordered_max = {ordered_max} must be below disordered_min = {disordered_min}"
        )
    t = np.asarray(temperatures, float)[:, None]
    m = np.asarray(magnetization, float)
    ordered = np.where(m >= 0, ORDERED_UP, ORDERED_DOWN)
    labels = np.where(
        t <= ordered_max, ordered, np.where(t >= disordered_min, DISORDERED, EXCLUDED)
    )
    return np.broadcast_to(labels, m.shape).astype(int)


def cluster_silhouette(codes: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of the labelled groups in latent space (EXCLUDED samples dropped):
    near 1 when each phase forms a tight cluster far from the others, <= 0 when mixed."""
    codes = np.asarray(codes, float).reshape(len(labels), -1)
    keep = labels != EXCLUDED
    if len(np.unique(labels[keep])) < 2:
        raise ValueError("cluster_silhouette needs at least two non-empty phase groups")
    return float(silhouette_score(codes[keep], labels[keep]))
