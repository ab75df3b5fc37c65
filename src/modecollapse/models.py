"""Ensemble networks: every parameter has a leading member dimension.

An ensemble of M members is M independent networks evaluated at once (inputs of shape
members × batch × features), so a GPU trains many seeds for about the price of one.
- 2D data: MLPs with batched matrix products. Widths and depths are settings; PacGAN's 2D
  networks (PROTOCOL.md §1) are G = z→400×4→2 with BatchNorm+ReLU and D = 3 maxout layers of
  200 units × 5 pieces → 1.
- Images: DCGAN-style convolutional nets (Radford et al. 2016) whose members run as groups of
  one grouped convolution. Samples travel between G, D and the training loop flattened (C·H·W),
  so packing stacks the packed images on D's channels.
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = spectral_normalise(self.weight, self) if self.spectral_norm else self.weight
        return torch.baddbmm(self.bias, x, weight)


def spectral_normalise(weight: torch.Tensor, layer: nn.Module) -> torch.Tensor:
    """W / σ(W) per member for W (M, in, out) (Miyato et al. 2018); σ is estimated by one power
    iteration per forward pass in training mode with the layer's persistent vector `u` (M, out)."""
    with torch.no_grad():
        if layer.training:  # one power iteration per forward pass: v ∝ W u, u ∝ Wᵀ v
            v = F.normalize(torch.bmm(weight, layer.u.unsqueeze(-1)).squeeze(-1), dim=-1, eps=1e-12)
            layer.u.copy_(F.normalize(torch.bmm(v.unsqueeze(1), weight).squeeze(1), dim=-1, eps=1e-12))
        u = layer.u.clone()  # later passes update layer.u in place; this pass keeps its own copy
        v = F.normalize(torch.bmm(weight, u.unsqueeze(-1)).squeeze(-1), dim=-1, eps=1e-12)
    sigma = torch.einsum("mi,mio,mo->m", v, weight, u)  # σ = vᵀ W u, differentiated through W only
    return weight / sigma[:, None, None]


class EnsembleConv2d(nn.Module):
    """A convolution (or transposed convolution) per member as one grouped convolution.

    Activations are laid out (B, M·C, H, W): member m owns channels [m·C, (m+1)·C). The weight is
    (M, out, in, k, k) for a convolution, (M, in, out, k, k) for a transposed one. Spectral norm
    normalises each member's (in·k·k) × out matrix, as torch's spectral_norm does for Conv2d.
    """

    def __init__(
        self, members: int, in_channels: int, out_channels: int, *, kernel: int, stride: int, padding: int,
        transposed: bool = False, spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        if spectral_norm and transposed:
            raise ValueError("spectral norm is implemented for D's convolutions, not transposed ones")
        self.members, self.transposed, self.spectral_norm = members, transposed, spectral_norm
        self.stride, self.padding = stride, padding
        shape = (in_channels, out_channels) if transposed else (out_channels, in_channels)
        self.weight = nn.Parameter(torch.zeros(members, *shape, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(members, out_channels))
        if spectral_norm:
            self.register_buffer("u", torch.zeros(members, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight
        if self.spectral_norm:
            members, out_channels = weight.shape[:2]
            matrix = weight.reshape(members, out_channels, -1).transpose(1, 2)
            weight = spectral_normalise(matrix, self).transpose(1, 2).reshape(weight.shape)
        grouped = weight.reshape(-1, *weight.shape[2:])
        bias = self.bias.reshape(-1)
        if self.transposed:
            return F.conv_transpose2d(x, grouped, bias, stride=self.stride, padding=self.padding, groups=self.members)
        return F.conv2d(x, grouped, bias, stride=self.stride, padding=self.padding, groups=self.members)


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


class ConvGenerator(nn.Module):
    """DCGAN generator for C×H×W images with H = W divisible by 4: z → linear to 2w×H/4×W/4 →
    BatchNorm, ReLU → transposed conv to w×H/2 → BatchNorm, ReLU → transposed conv to C×H×W →
    tanh. Returns flattened images (M, B, C·H·W) in [-1, 1]."""

    def __init__(self, *, members: int, z_dim: int, image_shape: tuple[int, int, int], width: int, batchnorm: bool) -> None:
        super().__init__()
        channels, height, _ = image_shape
        self.members, self.width, self.base = members, width, height // 4
        self.project = EnsembleLinear(members, z_dim, 2 * width * self.base**2)
        norm = (lambda c: nn.BatchNorm2d(members * c)) if batchnorm else (lambda c: nn.Identity())  # per member and channel
        self.net = nn.Sequential(
            norm(2 * width), nn.ReLU(),
            EnsembleConv2d(members, 2 * width, width, kernel=4, stride=2, padding=1, transposed=True),
            norm(width), nn.ReLU(),
            EnsembleConv2d(members, width, channels, kernel=4, stride=2, padding=1, transposed=True),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        members, batch, _ = z.shape
        x = self.project(z).view(members, batch, 2 * self.width, self.base, self.base)
        x = x.transpose(0, 1).reshape(batch, members * 2 * self.width, self.base, self.base)
        return self.net(x).view(batch, members, -1).transpose(0, 1)


class ConvDiscriminator(nn.Module):
    """DCGAN discriminator: (pack·C)×H×W → conv to w×H/2 → LeakyReLU(0.2) → conv to 2w×H/4 →
    LeakyReLU(0.2) → features (2w·H/4·W/4) → [minibatch features] → linear → one logit. No
    BatchNorm, so gradient penalties stay per sample. Takes flattened (M, B, pack·C·H·W) input:
    a pack of flattened images is the packed images stacked on channels. Returns (logits, features)."""

    def __init__(
        self, *, members: int, image_shape: tuple[int, int, int], pack: int, width: int, spectral_norm: bool,
        minibatch_kernels: int, minibatch_kernel_dim: int,
    ) -> None:
        super().__init__()
        channels, height, width_px = image_shape
        self.members, self.input_shape = members, (pack * channels, height, width_px)
        conv = lambda i, o: EnsembleConv2d(members, i, o, kernel=4, stride=2, padding=1, spectral_norm=spectral_norm)  # noqa: E731
        self.hidden = nn.Sequential(
            conv(pack * channels, width), nn.LeakyReLU(0.2), conv(width, 2 * width), nn.LeakyReLU(0.2)
        )
        features = 2 * width * (height // 4) * (width_px // 4)
        self.minibatch = (
            MinibatchDiscrimination(members, features, minibatch_kernels, minibatch_kernel_dim) if minibatch_kernels else None
        )
        self.head = EnsembleLinear(members, features + minibatch_kernels, 1, spectral_norm=spectral_norm)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        members, batch, _ = x.shape
        channels, height, width = self.input_shape
        x = x.reshape(members, batch, channels, height, width).transpose(0, 1).reshape(batch, members * channels, height, width)
        features = self.hidden(x).reshape(batch, members, -1).transpose(0, 1)
        head_input = features if self.minibatch is None else torch.cat([features, self.minibatch(features)], dim=-1)
        return self.head(head_input).squeeze(-1), features


@torch.no_grad()
def init_members(module: nn.Module, *, std: float, generators: list[torch.Generator]) -> None:
    """Member m's weights ~ N(0, std) from generators[m] alone, biases 0 (PacGAN 2D): a member's
    initialisation does not depend on which ensemble it trains in."""
    for member, generator in enumerate(generators):
        for layer in module.modules():
            if isinstance(layer, (EnsembleLinear, EnsembleConv2d, MinibatchDiscrimination)):
                layer.weight[member].copy_(torch.randn(layer.weight.shape[1:], generator=generator) * std)
            if isinstance(layer, (EnsembleLinear, EnsembleConv2d)) and layer.spectral_norm:
                layer.u[member].copy_(F.normalize(torch.randn(layer.u.shape[1:], generator=generator), dim=0))
