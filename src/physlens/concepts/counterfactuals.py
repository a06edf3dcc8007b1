"""Concept knobs and counterfactuals in a generative model's latent space (Liu et al.,
"Actionable attribution maps").

A decoder maps latent codes z to configurations; physical concepts (magnetisation, energy,
temperature) are directions in latent space found by linear regression of the concept on
the codes. A counterfactual is the smallest latent change that flips a classifier's
decision: minimise ||z - z0||^2 + lambda * BCE(classifier(decoder(z)), target) by gradient
descent, stopping once the decision has flipped with a margin. Decoding z0 and z* and
measuring observables on both says, in physical terms, what would have to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LinearRegression


@dataclass
class ConceptDirection:
    name: str
    direction: np.ndarray  # unit vector in latent space
    slope: float  # concept change per unit step along the direction
    r2: float  # how well a linear function of the code predicts the concept
    intercept: float = 0.0  # concept value the regression predicts at z = 0

    def value(self, latents: np.ndarray) -> np.ndarray:
        """The regression's concept value at latent codes (n, d) (or one code (d,))."""
        Z = np.asarray(latents, float)
        return self.intercept + self.slope * (Z @ self.direction)


def concept_directions(
    latents: np.ndarray, concepts: dict[str, np.ndarray]
) -> dict[str, ConceptDirection]:
    """Direction of steepest linear increase of each concept in latent space."""
    Z = np.asarray(latents, float).reshape(len(latents), -1)
    out = {}
    for name, c in concepts.items():
        reg = LinearRegression().fit(Z, c)
        norm = float(np.linalg.norm(reg.coef_))
        if norm == 0:
            raise ValueError(f"concept {name!r} does not vary linearly with the latent code")
        out[name] = ConceptDirection(
            name, reg.coef_ / norm, norm, float(reg.score(Z, c)), float(reg.intercept_)
        )
    return out


@dataclass
class Counterfactual:
    z0: np.ndarray
    z: np.ndarray
    p0: float  # classifier probability at z0
    p: float  # at the counterfactual
    flipped: bool
    steps: int


def find_counterfactual(
    z0: np.ndarray,
    decoder: Callable[[torch.Tensor], torch.Tensor],
    classifier: Callable[[torch.Tensor], torch.Tensor],
    *,
    target: int,
    lam: float = 1.0,
    lr: float = 0.05,
    max_steps: int = 2000,
    margin: float = 0.1,
) -> Counterfactual:
    """Smallest latent move (see module docstring) that makes the decision `target` (0 or 1).

    `classifier` returns logits; the decision flips when sigmoid(logit) crosses 1/2 by
    `margin` towards `target`.
    """
    z_init = torch.as_tensor(np.asarray(z0, np.float32)).reshape(1, -1)
    z = z_init.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    tgt = torch.full((1,), float(target))
    with torch.no_grad():
        p0 = float(torch.sigmoid(classifier(decoder(z_init))).reshape(-1)[0])

    def done(p):
        return p >= 0.5 + margin if target == 1 else p <= 0.5 - margin

    step = 0
    for step in range(1, max_steps + 1):
        logit = classifier(decoder(z)).reshape(-1)
        if done(float(torch.sigmoid(logit.detach())[0])):
            step -= 1
            break
        loss = ((z - z_init) ** 2).sum() + lam * F.binary_cross_entropy_with_logits(logit, tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        p = float(torch.sigmoid(classifier(decoder(z))).reshape(-1)[0])
    return Counterfactual(
        z0=z_init.numpy()[0], z=z.detach().numpy()[0], p0=p0, p=p, flipped=done(p), steps=step
    )


def knob_sweep(
    z0: np.ndarray,
    direction: np.ndarray,
    amounts: np.ndarray,
    decoder: Callable[[torch.Tensor], torch.Tensor],
    classifier: Callable[[torch.Tensor], torch.Tensor],
) -> tuple[np.ndarray, np.ndarray]:
    """Classifier probability and decoded configurations along z0 + t * direction."""
    Z = torch.as_tensor(
        np.asarray(z0, np.float32)[None, :] + np.outer(amounts, direction).astype(np.float32)
    )
    with torch.no_grad():
        x = decoder(Z)
        p = torch.sigmoid(classifier(x)).reshape(-1)
    return p.numpy(), x.numpy()


def observable_changes(
    before: np.ndarray, after: np.ndarray, observables: dict[str, Callable]
) -> dict:
    """Each observable on the decoded configurations before and after, and the change."""
    out = {}
    for name, fn in observables.items():
        b, a = float(np.mean(fn(before))), float(np.mean(fn(after)))
        out[name] = {"before": b, "after": a, "change": a - b}
    return out


def describe_counterfactual(changes: dict, decision: str) -> str:
    """'would be called ordered if abs_magnetization rose from 0.20 to 0.61' (largest change)."""
    name = max(changes, key=lambda k: abs(changes[k]["change"]))
    c = changes[name]
    verb = "rose" if c["change"] > 0 else "fell"
    return f"would be called {decision} if {name} {verb} from {c['before']:.2f} to {c['after']:.2f}"
