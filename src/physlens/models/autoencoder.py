"""Dense autoencoders for Ising configurations (Wetzel 2017, "Unsupervised learning of phase
transitions: from principal component analysis to variational autoencoders").

Spins (batch, L, L) in {-1, +1} go through a fully connected encoder to a small latent code
and back; the decoder returns per-site *logits* of P(s = +1), so the reconstruction loss is a
Bernoulli log-likelihood. ``encode`` gives the latent parameter used for the analysis: the
code itself for the plain autoencoder, the posterior mean for the VAE.

Both models are registered in :data:`physlens.models.REGISTRY` (``"autoencoder"``, ``"vae"``)
and built from JSON-able architecture dicts like every other physlens model.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from physlens.models import register
from physlens.models.ising import _activation


def _mlp(sizes: list[int], activation: str) -> nn.Sequential:
    """Linear layers of the given widths with `activation` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(_activation(activation))
    return nn.Sequential(*layers)


@register("autoencoder")
class DenseAutoencoder(nn.Module):
    """L*L -> hidden... -> latent -> ...hidden -> L*L logits (decoder mirrors the encoder)."""

    variational = False

    def __init__(self, L: int, latent_dim: int = 1, hidden=(256,), activation: str = "relu"):
        super().__init__()
        if int(L) < 2 or int(latent_dim) < 1 or any(int(h) < 1 for h in hidden):
            raise ValueError(
                f"need L >= 2, latent_dim >= 1 and positive hidden widths; got L={L}, latent_dim={latent_dim}, hidden={hidden}"
            )
        self.L, self.latent_dim = int(L), int(latent_dim)
        widths = [self.L * self.L, *map(int, hidden)]
        # The VAE's encoder outputs (mean, log-variance) per latent dimension.
        self.encoder = _mlp(widths + [self.latent_dim * (2 if self.variational else 1)], activation)
        self.decoder = _mlp([self.latent_dim, *reversed(widths)], activation)

    def encode(self, spins: torch.Tensor) -> torch.Tensor:
        """Latent code (batch, latent_dim)."""
        return self.encoder(spins.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Per-site logits of P(s = +1), shape (batch, L, L)."""
        return self.decoder(z).view(-1, self.L, self.L)

    def forward(self, spins):
        return self.decode(self.encode(spins))


@register("vae")
class VariationalAutoencoder(DenseAutoencoder):
    """Gaussian posterior q(z|S) = N(mu, diag exp(logvar)), standard-normal prior.

    ``forward`` returns (logits, mu, logvar): the loss needs all three. In training mode z is
    drawn by the reparametrisation trick from torch's global generator (which the training
    loop seeds per epoch, so runs are reproducible); in eval mode z = mu.
    """

    variational = True

    def posterior(self, spins: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(spins.flatten(1)).chunk(2, dim=-1)
        return mu, logvar

    def encode(self, spins: torch.Tensor) -> torch.Tensor:
        return self.posterior(spins)[0]

    def forward(self, spins):
        mu, logvar = self.posterior(spins)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return self.decode(z), mu, logvar


__all__ = ["DenseAutoencoder", "VariationalAutoencoder"]
