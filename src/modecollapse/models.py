"""Ensemble networks for 2D data: every parameter has a leading member dimension.

An ensemble of M members is M independent networks evaluated at once with batched matrix
products (inputs of shape members × batch × features), so a GPU trains many seeds for about
the price of one. Widths and depths are settings; PacGAN's 2D networks (PROTOCOL.md §1) are
G = z→400×4→2 with BatchNorm+ReLU and D = 3 maxout layers of 200 units × 5 pieces → 1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class EnsembleLinear(nn.Module):
    """x (M, B, in) → x @ W + b with W (M, in, out); optionally spectrally normalised.

    Spectral norm (Miyato et al. 2018): W / σ(W), σ estimated by one power iteration per forward
    pass in training mode, with a persistent left vector `u` per member.
    """

    def __init__(self, members: int, in_features: int, out_features: int, *, spectral_norm: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(members, in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(members, 1, out_features))
        self.spectral_norm = spectral_norm
        if spectral_norm:
            self.register_buffer("u", torch.zeros(members, out_features))

    def normalised_weight(self) -> torch.Tensor:
        weight = self.weight
        if not self.spectral_norm:
            return weight
        with torch.no_grad():
            u = self.u
            if self.training:  # one power iteration per forward pass: v ∝ W u, u ∝ Wᵀ v
                v = F.normalize(torch.bmm(weight, u.unsqueeze(-1)).squeeze(-1), dim=-1, eps=1e-12)
                self.u.copy_(F.normalize(torch.bmm(v.unsqueeze(1), weight).squeeze(1), dim=-1, eps=1e-12))
            u = self.u.clone()  # later passes update self.u in place; this pass keeps its own copy
            v = F.normalize(torch.bmm(weight, u.unsqueeze(-1)).squeeze(-1), dim=-1, eps=1e-12)
        sigma = torch.einsum("mi,mio,mo->m", v, weight, u)  # σ = vᵀ W u, differentiated through W only
        return weight / sigma[:, None, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.normalised_weight())


class EnsembleBatchNorm(nn.Module):
    """BatchNorm over each member's batch, with per-member affine parameters and running stats."""

    def __init__(self, members: int, features: int, *, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(members, 1, features))
        self.bias = nn.Parameter(torch.zeros(members, 1, features))
        self.register_buffer("running_mean", torch.zeros(members, features))
        self.register_buffer("running_var", torch.ones(members, features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean = x.mean(dim=1)
            var = ((x - mean.unsqueeze(1)) ** 2).mean(dim=1)  # biased, as BatchNorm normalises
            with torch.no_grad():
                batch = x.shape[1]
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * batch / max(batch - 1, 1), self.momentum)  # unbiased, as BatchNorm tracks
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean.unsqueeze(1)) * torch.rsqrt(var.unsqueeze(1) + self.eps) * self.weight + self.bias


class EnsembleMaxout(nn.Module):
    """Linear layer to width × pieces units, then the max over each unit's pieces (Goodfellow et al. 2013)."""

    def __init__(self, members: int, in_features: int, width: int, pieces: int, *, spectral_norm: bool) -> None:
        super().__init__()
        self.width, self.pieces = width, pieces
        self.linear = EnsembleLinear(members, in_features, width * pieces, spectral_norm=spectral_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(*x.shape[:-1], self.width, self.pieces).max(dim=-1).values


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. 2016 (openai/improved-gan nn.py MinibatchLayer): with M_i = f(x_i) T reshaped
    to B kernels of C dims, o_b(x_i) = Σ_{j≠i} exp(−‖M_{i,b} − M_{j,b}‖_L1); returns the B features."""

    def __init__(self, members: int, in_features: int, kernels: int, kernel_dim: int) -> None:
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.weight = nn.Parameter(torch.zeros(members, in_features, kernels * kernel_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        members, batch, _ = features.shape
        projected = torch.bmm(features, self.weight).view(members, batch, self.kernels, self.kernel_dim)
        per_kernel = projected.permute(0, 2, 1, 3).reshape(members * self.kernels, batch, self.kernel_dim)
        similarity = torch.exp(-torch.cdist(per_kernel, per_kernel, p=1)).sum(dim=-1) - 1.0  # drop j = i
        return similarity.view(members, self.kernels, batch).transpose(1, 2)


class Generator(nn.Module):
    def __init__(self, *, members: int, z_dim: int, out_dim: int, width: int, depth: int, batchnorm: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_features = z_dim
        for _ in range(depth):
            layers.append(EnsembleLinear(members, in_features, width))
            if batchnorm:
                layers.append(EnsembleBatchNorm(members, width))
            layers.append(nn.ReLU())
            in_features = width
        layers.append(EnsembleLinear(members, in_features, out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """Hidden maxout (or ReLU) layers → features → [minibatch features] → linear → one logit.

    `forward` returns (logits (M, B), features (M, B, width)): the last hidden layer's output,
    which feature matching compares between real and generated batches.
    """

    def __init__(
        self, *, members: int, in_dim: int, width: int, depth: int, maxout: int, spectral_norm: bool,
        minibatch_kernels: int, minibatch_kernel_dim: int,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_features = in_dim
        for _ in range(depth):
            if maxout > 1:
                layers.append(EnsembleMaxout(members, in_features, width, maxout, spectral_norm=spectral_norm))
            else:
                layers.extend([EnsembleLinear(members, in_features, width, spectral_norm=spectral_norm), nn.ReLU()])
            in_features = width
        self.hidden = nn.Sequential(*layers)
        self.minibatch = (
            MinibatchDiscrimination(members, width, minibatch_kernels, minibatch_kernel_dim) if minibatch_kernels else None
        )
        self.head = EnsembleLinear(members, width + minibatch_kernels, 1, spectral_norm=spectral_norm)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.hidden(x)
        head_input = features if self.minibatch is None else torch.cat([features, self.minibatch(features)], dim=-1)
        return self.head(head_input).squeeze(-1), features


@torch.no_grad()
def init_members(module: nn.Module, *, std: float, generators: list[torch.Generator]) -> None:
    """Member m's weights ~ N(0, std) from generators[m] alone, biases 0 (PacGAN 2D): a member's
    initialisation does not depend on which ensemble it trains in."""
    for member, generator in enumerate(generators):
        for layer in module.modules():
            if isinstance(layer, (EnsembleLinear, MinibatchDiscrimination)):
                layer.weight[member].copy_(torch.randn(layer.weight.shape[1:], generator=generator) * std)
            if isinstance(layer, EnsembleLinear) and layer.spectral_norm:
                layer.u[member].copy_(F.normalize(torch.randn(layer.u.shape[1:], generator=generator), dim=0))
