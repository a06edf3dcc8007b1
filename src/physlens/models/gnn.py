"""The message-passing graph network of Cranmer et al. (2020) on complete graphs.

Each ordered pair (receiver i, sender j) gets a message phi_e(node_i, node_j, dx_ij, r_ij)
with dx_ij = x_i - x_j (node = [x, v, m(, q)]); the messages are summed per receiver with
``index_add_`` and a node function phi_v(node_i, sum_j message_ij) predicts the (scaled)
acceleration. The message dimension selects the variant: 100 for the standard and L1 models,
the spatial dimension for the bottleneck. ``last_messages`` keeps the latest messages so the
L1 loss (physlens.gnn.train) can penalise them.

``message_init_scale`` scales the initial weights and bias of the edge function's last layer:
messages that start near zero stay zero under the L1 penalty unless the loss needs them, so
the few components that carry the force grow and the rest never do. From PyTorch's default
initialisation (scale 1) the L1 model first spreads the force over many components and needs
far more steps than the default budget to concentrate it (docs/gnn.md).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from physlens.models import register
from physlens.models.siamese import mlp


def complete_graph(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(receivers, senders) of every ordered pair i != j, receiver-major."""
    idx = torch.arange(n)
    recv, send = torch.meshgrid(idx, idx, indexing="ij")
    off = recv != send
    return recv[off], send[off]


def aggregate(messages: torch.Tensor, receivers: torch.Tensor, n: int) -> torch.Tensor:
    """Sum messages (B, E, k) per receiving node -> (B, n, k), with one index_add_."""
    B, E, k = messages.shape
    flat = (receivers.view(1, E) + n * torch.arange(B, device=messages.device).view(B, 1)).reshape(
        -1
    )
    out = messages.new_zeros(B * n, k)
    return out.index_add_(0, flat, messages.reshape(B * E, k)).view(B, n, k)


@register("gnn_message_passing")
class GraphNetwork(nn.Module):
    def __init__(
        self,
        dim: int,
        n_params: int,
        n_particles: int,
        message_dim: int,
        hidden: int = 128,
        layers: int = 3,
        activation: str = "relu",
        message_init_scale: float = 1.0,
    ):
        super().__init__()
        self.dim, self.n_particles = int(dim), int(n_particles)
        n_f = 2 * self.dim + int(n_params)
        self.edge_fn = mlp(2 * n_f + self.dim + 1, [hidden] * int(layers), message_dim, activation)
        self.node_fn = mlp(n_f + int(message_dim), [hidden] * int(layers), self.dim, activation)
        with torch.no_grad():
            self.edge_fn[-1].weight.mul_(float(message_init_scale))
            self.edge_fn[-1].bias.mul_(float(message_init_scale))
        recv, send = complete_graph(self.n_particles)
        self.register_buffer("receivers", recv, persistent=False)
        self.register_buffer("senders", send, persistent=False)
        self.last_messages: torch.Tensor | None = None

    def edge_inputs(self, nodes: torch.Tensor) -> torch.Tensor:
        """(B, E, 2F + dim + 1): receiver, sender, dx = x_i - x_j, r."""
        xi, xj = nodes[:, self.receivers], nodes[:, self.senders]
        dx = xi[..., : self.dim] - xj[..., : self.dim]
        r = torch.sqrt((dx**2).sum(-1, keepdim=True))
        return torch.cat([xi, xj, dx, r], dim=-1)

    def messages(self, nodes: torch.Tensor) -> torch.Tensor:
        return self.edge_fn(self.edge_inputs(nodes))

    def forward(self, nodes: torch.Tensor) -> torch.Tensor:
        msg = self.messages(nodes)
        self.last_messages = msg
        summed = aggregate(msg, self.receivers, nodes.shape[1])
        return self.node_fn(torch.cat([nodes, summed], dim=-1))
