"""SciNet (Iten, Metger, Wilming, del Rio, Renner, PRL 124, 010508 (2020)): an encoder
compresses an observation into a few Gaussian latent neurons, a decoder answers a question
from the latents alone. The latents carry a KL term (beta-VAE style), so neurons the answers
do not need collapse onto the prior and carry no information.

* ``scinet``: observation (n_obs numbers) -> latents; (latents, question) -> answer. Input
  rows are the observation followed by the question, (batch, n_obs + n_question).
* ``scinet_evolve``: the time-evolution variant of the heliocentric example. The first
  observation of a series (batch, steps, channels) is encoded into `latent_pairs` pairs of
  neurons; each pair is evolved by its own learned 2x2 linear map per step, r(t+1) = M_k r(t),
  and the decoder maps the latents at every step back to that step's observation (a
  direction per observed body: each (cos, sin) output pair is scaled to unit length). The
  decoder reads every latent pair as its direction only: a pair is an angle variable, the
  circle-valued counterpart of the paper's angle latents (which it evolves by adding a learned
  constant per step), so its angle is continuous across +-pi. Its length is left to the KL
  term, which sets how far the posterior noise moves the angle. Whether M_k turns out to be a
  rotation, and by how much it turns, is what the interpretation measures.

``forward`` returns (answer, mu, logvar); in training mode the latents are drawn by the
reparametrisation trick from torch's global generator (seeded per epoch by the training loop),
in eval mode they are the posterior means.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from physlens.models import register
from physlens.models.siamese import mlp


def pair_directions(x: torch.Tensor) -> torch.Tensor:
    """Every consecutive pair of the last axis scaled to unit length (a zero pair stays zero)."""
    pairs = x.unflatten(-1, (-1, 2))
    return (pairs / pairs.norm(dim=-1, keepdim=True).clamp_min(1e-6)).flatten(-2)


def _sample(mu: torch.Tensor, logvar: torch.Tensor, training: bool) -> torch.Tensor:
    return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if training else mu


@register("scinet")
class SciNet(nn.Module):
    """Encoder MLP -> `latent` Gaussian neurons; decoder MLP on (latents, question) -> answer."""

    variational = True

    def __init__(
        self,
        n_obs: int,
        n_question: int = 1,
        latent: int = 3,
        encoder=(100, 100),
        decoder=(100, 100),
        activation: str = "elu",
    ):
        super().__init__()
        if min(int(n_obs), int(n_question), int(latent)) < 1:
            raise ValueError(
                f"need n_obs, n_question, latent >= 1; got {n_obs}, {n_question}, {latent}"
            )
        self.n_obs, self.n_question, self.latent = int(n_obs), int(n_question), int(latent)
        self.encoder = mlp(self.n_obs, encoder, 2 * self.latent, activation)
        self.decoder = mlp(self.latent + self.n_question, decoder, 1, activation)

    def posterior(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior means and log-variances, each (batch, latent)."""
        mu, logvar = self.encoder(obs).chunk(2, dim=-1)
        return mu, logvar

    def answer(self, z: torch.Tensor, question: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.cat([z, question], dim=-1)).squeeze(-1)

    def forward(self, x: torch.Tensor):
        if x.dim() != 2 or x.shape[1] != self.n_obs + self.n_question:
            raise ValueError(
                f"scinet expects (batch, {self.n_obs} + {self.n_question}), got {tuple(x.shape)}"
            )
        obs, question = x[:, : self.n_obs], x[:, self.n_obs :]
        mu, logvar = self.posterior(obs)
        return self.answer(_sample(mu, logvar, self.training), question), mu, logvar


@register("scinet_evolve")
class EvolvingSciNet(nn.Module):
    """Encode o(0), evolve each latent pair by r(t+1) = M_k r(t), decode o(t) at every step."""

    variational = True

    def __init__(
        self,
        n_channels: int = 4,
        latent_pairs: int = 3,
        encoder=(100, 100),
        decoder=(100, 100),
        activation: str = "elu",
        directions: bool = True,
    ):
        super().__init__()
        if min(int(n_channels), int(latent_pairs)) < 1:
            raise ValueError(
                f"need n_channels, latent_pairs >= 1; got {n_channels}, {latent_pairs}"
            )
        self.n_channels, self.latent_pairs = int(n_channels), int(latent_pairs)
        self.latent = 2 * self.latent_pairs
        self.encoder = mlp(self.n_channels, encoder, 2 * self.latent, activation)
        # identity at the start: no time dependence until the data ask for one
        self.update = nn.Parameter(torch.eye(2).repeat(self.latent_pairs, 1, 1))
        self.decoder = mlp(self.latent, decoder, self.n_channels, activation)
        if directions and self.n_channels % 2:
            raise ValueError(f"directions need (cos, sin) channel pairs, got {n_channels} channels")
        self.directions = bool(directions)

    def decode(self, states: torch.Tensor) -> torch.Tensor:
        """Observations from latents (..., latent). The decoder reads every latent pair as its
        direction, the angle it holds (pair_directions); with `directions`, every (cos, sin)
        output pair is scaled to unit length too (the observations are directions in the sky)."""
        out = self.decoder(pair_directions(states))
        return pair_directions(out) if self.directions else out

    def posterior(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(obs).chunk(2, dim=-1)
        return mu, logvar

    def evolve(self, z: torch.Tensor, steps: int) -> torch.Tensor:
        """Latents at steps 0..steps-1, (batch, steps, latent), from z (batch, latent)."""
        r = z.view(-1, self.latent_pairs, 2)
        states = [r]
        for _ in range(steps - 1):
            r = torch.einsum("kij,bkj->bki", self.update, r)
            states.append(r)
        return torch.stack(states, dim=1).flatten(2)

    def forward(self, series: torch.Tensor):
        if series.dim() != 3 or series.shape[-1] != self.n_channels:
            raise ValueError(
                f"scinet_evolve expects (batch, steps, {self.n_channels}), got {tuple(series.shape)}"
            )
        mu, logvar = self.posterior(series[:, 0])
        states = self.evolve(_sample(mu, logvar, self.training), series.shape[1])
        return self.decode(states), mu, logvar


__all__ = ["SciNet", "EvolvingSciNet", "pair_directions"]
