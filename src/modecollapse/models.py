"""Networks for 2D data: an MLP generator and a maxout (or ReLU) MLP discriminator.

Widths and depths are settings; PacGAN's 2D networks (PROTOCOL.md §1) are
G = 2→400×4→2 with BatchNorm+ReLU and D = 3 maxout layers of 200 units × 5 pieces → 1.
"""

from __future__ import annotations

import torch
from torch import nn


class Maxout(nn.Module):
    """Linear layer to `width × pieces` units, then the max over each unit's pieces (Goodfellow et al. 2013)."""

    def __init__(self, in_features: int, width: int, pieces: int) -> None:
        super().__init__()
        self.width, self.pieces = width, pieces
        self.linear = nn.Linear(in_features, width * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(*x.shape[:-1], self.width, self.pieces).amax(dim=-1)


def mlp_generator(*, z_dim: int, out_dim: int, width: int, depth: int, batchnorm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    in_features = z_dim
    for _ in range(depth):
        layers.append(nn.Linear(in_features, width))
        if batchnorm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        in_features = width
    layers.append(nn.Linear(in_features, out_dim))
    return nn.Sequential(*layers)


def mlp_discriminator(*, in_dim: int, width: int, depth: int, maxout: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    in_features = in_dim
    for _ in range(depth):
        layers.extend([Maxout(in_features, width, maxout)] if maxout > 1 else [nn.Linear(in_features, width), nn.ReLU()])
        in_features = width
    layers.append(nn.Linear(in_features, 1))
    return nn.Sequential(*layers)


def init_weights(module: nn.Module, *, std: float, generator: torch.Generator) -> None:
    """Linear weights ~ N(0, std), biases 0 (PacGAN 2D); BatchNorm keeps its (1, 0) default."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, mean=0.0, std=std, generator=generator)
            nn.init.zeros_(layer.bias)
