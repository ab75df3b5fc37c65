"""Ensemble networks: every parameter has a leading member dimension.

An ensemble of M members is M independent networks evaluated at once (inputs of shape
members × batch × features), so a GPU trains many seeds for about the price of one.
- 2D data: MLPs with batched matrix products. Widths and depths are settings; PacGAN's 2D
  networks (docs/protocol.md §1) are G = z→400×4→2 with BatchNorm+ReLU and D = 3 maxout layers of
  200 units × 5 pieces → 1.
- Images: convolutional nets whose members run as groups of one grouped convolution, built from
  the layer specs of one of the registered architectures (architectures.IMAGE_ARCHITECTURES;
  `conv_networks` builds a pair). Samples travel between G, D and the training loop flattened
  (C·H·W), so packing stacks the packed images on D's channels.
`networks` builds a study's pair of either kind from its settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from .architectures import DiscriminatorSpec, GeneratorSpec, conv_output_size, conv_specs
from .losses import LOSSES

if TYPE_CHECKING:
    from .config import TrainSettings


class EnsembleLinear(nn.Module):
    """x (M, B, in) → x @ W + b with W (M, in, out); optionally spectrally normalised.

    Spectral norm (Miyato et al. 2018): W / σ(W), σ estimated by one power iteration per forward
    pass in training mode, with a persistent left vector `u` per member. `bias=False` for a layer
    that feeds BatchNorm (see `feeds_batchnorm`).
    """

    def __init__(
        self,
        members: int,
        in_features: int,
        out_features: int,
        *,
        spectral_norm: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(members, in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(members, 1, out_features)) if bias else None
        self.spectral_norm = spectral_norm
        if spectral_norm:
            self.register_buffer("u", torch.zeros(members, out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = spectral_normalise(self.weight, self) if self.spectral_norm else self.weight
        return torch.bmm(x, weight) if self.bias is None else torch.baddbmm(self.bias, x, weight)


def feeds_batchnorm(batchnorm: bool) -> dict[str, bool]:
    """Layer keywords for a layer followed by BatchNorm (or not): no bias when it is.

    BatchNorm subtracts the batch mean, so a bias before it has gradient exactly 0; computed, that
    gradient is float rounding noise (1e-10 to 1e-9), and Adam's normalised step lr·g/(|g| + ε),
    ε = 1e-8, makes it 1% to 100% of lr. The bias then random-walks on rounding noise: cancelled
    in training mode (up to rounding), but it shifts eval-mode outputs (running means lag the walk)
    and drives apart runs that differ only in rounding (a seed alone vs inside an ensemble: 0.15
    apart on pixels after 20 WGAN-GP steps with such biases, 2e-7 without). BatchNorm's shift β
    plays the bias's role, as in torch's DCGAN example; in exact arithmetic nothing changes.
    """
    return {"bias": not batchnorm}


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
    `output_padding` (transposed only) adds rows and columns at the bottom and right, as in torch;
    `bias=False` for a layer that feeds BatchNorm (see `feeds_batchnorm`).
    """

    def __init__(
        self,
        members: int,
        in_channels: int,
        out_channels: int,
        *,
        kernel: int,
        stride: int,
        padding: int,
        transposed: bool = False,
        output_padding: int = 0,
        spectral_norm: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if spectral_norm and transposed:
            raise ValueError("spectral norm is implemented for D's convolutions, not transposed ones")
        if output_padding and not transposed:
            raise ValueError("output_padding applies to transposed convolutions only")
        self.members, self.transposed, self.spectral_norm = members, transposed, spectral_norm
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        shape = (in_channels, out_channels) if transposed else (out_channels, in_channels)
        self.weight = nn.Parameter(torch.zeros(members, *shape, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(members, out_channels)) if bias else None
        if spectral_norm:
            self.register_buffer("u", torch.zeros(members, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight
        if self.spectral_norm:
            members, out_channels = weight.shape[:2]
            matrix = weight.reshape(members, out_channels, -1).transpose(1, 2)
            weight = spectral_normalise(matrix, self).transpose(1, 2).reshape(weight.shape)
        grouped = weight.reshape(-1, *weight.shape[2:])
        bias = None if self.bias is None else self.bias.reshape(-1)
        if self.transposed:
            return F.conv_transpose2d(
                x,
                grouped,
                bias,
                stride=self.stride,
                padding=self.padding,
                output_padding=self.output_padding,
                groups=self.members,
            )
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


# The max over a maxout unit's pieces, per device type: the same forward, and away from exact ties the same
# gradient (tested). On CUDA amax, whose backward is a comparison mask: max(dim).values backpropagates
# through a scatter that deterministic CUDA runs as a sorting index_put_ (about 43 kernels instead of 2
# per layer and step). On the CPU max(dim).values, whose gather-based backward is about 15% faster there
# for the default study's nets (BENCHMARKS.md).
MAX_OVER_PIECES = {
    "cuda": lambda pieces: torch.amax(pieces, dim=-1),
    "cpu": lambda pieces: pieces.max(dim=-1).values,
}


class EnsembleMaxout(nn.Module):
    """Linear layer to width × pieces units, then the max over each unit's pieces (Goodfellow et al. 2013)."""

    def __init__(self, members: int, in_features: int, width: int, pieces: int, *, spectral_norm: bool) -> None:
        super().__init__()
        self.width, self.pieces = width, pieces
        self.linear = EnsembleLinear(members, in_features, width * pieces, spectral_norm=spectral_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pieces = self.linear(x).view(*x.shape[:-1], self.width, self.pieces)
        return MAX_OVER_PIECES[pieces.device.type](pieces)


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


ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}  # hidden layers' activations (settings g_activation, d_activation)


class Generator(nn.Module):
    """z → `depth` × (linear to `width` → [BatchNorm] → activation) → linear to out_dim. `bn_momentum`
    is torch's convention: running ← (1 − m)·running + m·batch (PacGAN's 2D code: m = 0.05). A linear
    layer that feeds BatchNorm has no bias (see `feeds_batchnorm`). The same MLP maps data to codes as
    ALI's encoder and VEEGAN's reconstructor."""

    def __init__(
        self,
        *,
        members: int,
        z_dim: int,
        out_dim: int,
        width: int,
        depth: int,
        batchnorm: bool,
        bn_momentum: float = 0.1,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_features = z_dim
        for _ in range(depth):
            layers.append(EnsembleLinear(members, in_features, width, **feeds_batchnorm(batchnorm)))
            if batchnorm:
                layers.append(EnsembleBatchNorm(members, width, momentum=bn_momentum))
            layers.append(ACTIVATIONS[activation]())
            in_features = width
        layers.append(EnsembleLinear(members, in_features, out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """Hidden maxout (or ReLU or tanh) layers → features → [minibatch features] → linear → one logit.

    `forward` returns (logits (M, B), features (M, B, width)): the last hidden layer's output,
    which feature matching and GDPP compare between real and generated batches. A joint D(x, z)
    (ALI, VEEGAN) takes the concatenated pair as its input.
    """

    def __init__(
        self,
        *,
        members: int,
        in_dim: int,
        width: int,
        depth: int,
        maxout: int,
        spectral_norm: bool,
        minibatch_kernels: int,
        minibatch_kernel_dim: int,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_features = in_dim
        for _ in range(depth):
            if maxout > 1:
                layers.append(EnsembleMaxout(members, in_features, width, maxout, spectral_norm=spectral_norm))
            else:
                linear = EnsembleLinear(members, in_features, width, spectral_norm=spectral_norm)
                layers.extend([linear, ACTIVATIONS[activation]()])
            in_features = width
        self.hidden = nn.Sequential(*layers)
        self.minibatch = (
            MinibatchDiscrimination(members, width, minibatch_kernels, minibatch_kernel_dim)
            if minibatch_kernels
            else None
        )
        self.head = EnsembleLinear(members, width + minibatch_kernels, 1, spectral_norm=spectral_norm)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.hidden(x)
        head_input = features if self.minibatch is None else torch.cat([features, self.minibatch(features)], dim=-1)
        return self.head(head_input).squeeze(-1), features


def _ensemble_batchnorm(members: int, channels: int, momentum: float) -> nn.Module:
    # On the (B, M·C, H, W) layout one BatchNorm2d channel is one member's channel: statistics,
    # affine parameters and running averages are each member's own.
    return nn.BatchNorm2d(members * channels, momentum=momentum)


class ConvGenerator(nn.Module):
    """z → linear to c₀ × s₀ × s₀ → [BatchNorm] ReLU → the spec's layers, each but the last followed
    by [BatchNorm] ReLU, the last by tanh. BatchNorm iff `batchnorm`, with torch's momentum
    convention (running ← (1 − m)·running + m·batch); a layer that feeds it has no bias (see
    `feeds_batchnorm`). Returns flattened images (M, B, C·H·W) in [-1, 1]; the spec's last layer
    has C channels."""

    def __init__(
        self,
        *,
        members: int,
        z_dim: int,
        spec: GeneratorSpec,
        batchnorm: bool,
        bn_momentum: float = 0.1,
    ) -> None:
        super().__init__()
        self.members, self.base = members, (spec.channels, spec.size)
        self.project = EnsembleLinear(members, z_dim, spec.channels * spec.size**2, **feeds_batchnorm(batchnorm))
        norm = (lambda c: _ensemble_batchnorm(members, c, bn_momentum)) if batchnorm else (lambda c: nn.Identity())
        layers: list[nn.Module] = [norm(spec.channels), nn.ReLU()]
        channels = spec.channels
        for index, layer in enumerate(spec.layers):
            last = index == len(spec.layers) - 1
            layers.append(
                EnsembleConv2d(
                    members,
                    channels,
                    layer.channels,
                    kernel=layer.kernel,
                    stride=layer.stride,
                    padding=layer.padding,
                    transposed=layer.transposed,
                    output_padding=layer.output_padding,
                    **feeds_batchnorm(batchnorm and not last),
                )
            )
            layers.extend([nn.Tanh()] if last else [norm(layer.channels), nn.ReLU()])
            channels = layer.channels
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        members, batch, _ = z.shape
        channels, size = self.base
        x = self.project(z).view(members, batch, channels, size, size)
        x = x.transpose(0, 1).reshape(batch, members * channels, size, size)
        return self.net(x).view(batch, members, -1).transpose(0, 1)


class ConvDiscriminator(nn.Module):
    """(pack·C)×H×W → the spec's convolutions, each followed by [BatchNorm] and LeakyReLU → features
    (the last convolution's flattened output) → [minibatch features] → linear → one logit.

    Takes flattened (M, B, pack·C·H·W) input: a pack of flattened images is the packed images
    stacked on channels. Returns (logits (M, B), features (M, B, F)). With `spectral_norm`, every
    convolution and the head are spectrally normalised. BatchNorm (per member and channel, torch's
    momentum convention; the convolution before it has no bias, see `feeds_batchnorm`) makes a
    sample's logit depend on its batch, so a gradient penalty is then no longer per sample
    (Gulrajani et al. 2017, §4 advise against it).

    With `joint_dim` > 0 the input rows end in that many more values (a code z: a joint D(x, z) of
    ALI or VEEGAN), which join the features before the head; `out_dim` > 1 makes the head a linear
    map to that many outputs (ConvEncoder). Both are this project's choices for images: the papers
    publish their joint nets for 2D points only.
    """

    def __init__(
        self,
        *,
        members: int,
        image_shape: tuple[int, int, int],
        pack: int,
        spec: DiscriminatorSpec,
        spectral_norm: bool,
        minibatch_kernels: int,
        minibatch_kernel_dim: int,
        bn_momentum: float = 0.1,
        joint_dim: int = 0,
        out_dim: int = 1,
    ) -> None:
        super().__init__()
        channels, height, width_px = image_shape
        self.members, self.input_shape = members, (pack * channels, height, width_px)
        self.joint_dim, self.out_dim = joint_dim, out_dim
        layers: list[nn.Module] = []
        channels, size = pack * channels, height
        for layer in spec.layers:
            layers.append(
                EnsembleConv2d(
                    members,
                    channels,
                    layer.channels,
                    kernel=layer.kernel,
                    stride=layer.stride,
                    padding=layer.padding,
                    spectral_norm=spectral_norm,
                    **feeds_batchnorm(layer.batchnorm),
                )
            )
            if layer.batchnorm:
                layers.append(_ensemble_batchnorm(members, layer.channels, bn_momentum))
            layers.append(nn.LeakyReLU(spec.leak))
            channels, size = layer.channels, conv_output_size(size, layer)
        self.hidden = nn.Sequential(*layers)
        features = channels * size**2
        self.minibatch = (
            MinibatchDiscrimination(members, features, minibatch_kernels, minibatch_kernel_dim)
            if minibatch_kernels
            else None
        )
        self.head = EnsembleLinear(
            members, features + minibatch_kernels + joint_dim, out_dim, spectral_norm=spectral_norm
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        members, batch, _ = x.shape
        channels, height, width = self.input_shape
        x, code = x[..., : channels * height * width], x[..., channels * height * width :]
        x = x.reshape(members, batch, channels, height, width).transpose(0, 1)
        x = x.reshape(batch, members * channels, height, width)
        features = self.hidden(x).reshape(batch, members, -1).transpose(0, 1)
        extra = ([] if self.minibatch is None else [self.minibatch(features)]) + ([code] if self.joint_dim else [])
        outputs = self.head(torch.cat([features, *extra], dim=-1) if extra else features)
        return (outputs.squeeze(-1) if self.out_dim == 1 else outputs), features


class ConvEncoder(nn.Module):
    """Images (and `noise_dim` noise values after each row) → codes (M, B, z_dim): the trunk of the
    study's D (ConvDiscriminator, without spectral norm or minibatch features) with a linear head to
    z_dim, the noise joining the features before it. ALI's encoder and VEEGAN's reconstructor on
    images; this project's choice (the papers publish theirs for 2D points only)."""

    def __init__(
        self, *, members: int, image_shape: tuple[int, int, int], spec: DiscriminatorSpec, z_dim: int, noise_dim: int
    ) -> None:
        super().__init__()
        self.net = ConvDiscriminator(
            members=members,
            image_shape=image_shape,
            pack=1,
            spec=spec,
            spectral_norm=False,
            minibatch_kernels=0,
            minibatch_kernel_dim=1,
            joint_dim=noise_dim,
            out_dim=z_dim,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        codes = self.net(x)[0]
        return codes if codes.dim() == 3 else codes.unsqueeze(-1)  # z_dim 1: the head's output was squeezed


def conv_networks(
    *,
    arch: str,
    members: int,
    image_shape: tuple[int, int, int],
    z_dim: int,
    g_width: int,
    d_width: int,
    g_batchnorm: bool,
    bn_momentum: float,
    pack: int,
    spectral_norm: bool,
    minibatch_kernels: int,
    minibatch_kernel_dim: int,
    joint_dim: int = 0,
    g_in_dim: int | None = None,
) -> tuple[nn.Module, nn.Module]:
    """(G, D) of the registered architecture `arch` (architectures.IMAGE_ARCHITECTURES) for C×H×W
    images, as ensembles of `members`. Widths scale G's and D's channel counts; an architecture not
    defined for the images is refused (ValueError, architectures.conv_specs). G takes `g_in_dim`
    inputs (default z_dim); D judges (x, z) pairs when `joint_dim` is z's size."""
    g_spec, d_spec = conv_specs(arch, image_shape, g_width=g_width, d_width=d_width)
    G = ConvGenerator(
        members=members, z_dim=g_in_dim or z_dim, spec=g_spec, batchnorm=g_batchnorm, bn_momentum=bn_momentum
    )
    D = ConvDiscriminator(
        members=members,
        image_shape=image_shape,
        pack=pack,
        spec=d_spec,
        spectral_norm=spectral_norm,
        minibatch_kernels=minibatch_kernels,
        minibatch_kernel_dim=minibatch_kernel_dim,
        bn_momentum=bn_momentum,
        joint_dim=joint_dim,
    )
    return G, D


def encoder(
    settings: TrainSettings, members: int, image_shape: tuple[int, int, int] | None, *, point_dim: int
) -> nn.Module:
    """ALI's encoder E(x, ε) or VEEGAN's reconstructor F(x) (its e_* settings): an MLP for points
    (PacGAN's ALI: 4 → 400 → 400 → 2 with BatchNorm and ReLU), for images a ConvEncoder on the trunk
    of the study's D. Its input rows are x followed by e_noise_dim noise values."""
    s = settings
    if image_shape is not None:
        _, d_spec = conv_specs(s.image_arch, image_shape, g_width=s.g_width, d_width=s.d_width)
        return ConvEncoder(
            members=members, image_shape=image_shape, spec=d_spec, z_dim=s.z_dim, noise_dim=s.e_noise_dim
        )
    return Generator(
        members=members,
        z_dim=point_dim + s.e_noise_dim,
        out_dim=s.z_dim,
        width=s.e_width,
        depth=s.e_depth,
        batchnorm=s.e_batchnorm,
        bn_momentum=s.bn_momentum,
        activation=s.g_activation,
    )


def networks(
    settings: TrainSettings,
    members: int,
    image_shape: tuple[int, int, int] | None,
    *,
    point_dim: int = 2,
) -> tuple[nn.Module, nn.Module, nn.Module | None]:
    """A study's (G, D, E) as ensembles of `members`, before initialisation (`init_members`): the
    MLPs for `point_dim`-dimensional points when `image_shape` is None, else the conv nets of
    `settings.image_arch` for C×H×W images. D sees `settings.pack` samples at once, or for ALI and
    VEEGAN (losses.Loss.joint) a sample and its code; E is their encoder or reconstructor (`encoder`),
    None otherwise. G takes z_dim + noise_dim inputs."""
    s = settings
    joint = bool(LOSSES[s.loss].joint)
    joint_dim = s.z_dim if joint else 0
    minibatch = dict(minibatch_kernels=s.minibatch_kernels, minibatch_kernel_dim=s.minibatch_kernel_dim)
    E = encoder(s, members, image_shape, point_dim=point_dim) if joint else None
    if image_shape is not None:
        G, D = conv_networks(
            arch=s.image_arch,
            members=members,
            image_shape=image_shape,
            z_dim=s.z_dim,
            g_width=s.g_width,
            d_width=s.d_width,
            g_batchnorm=s.g_batchnorm,
            bn_momentum=s.bn_momentum,
            pack=s.pack,
            spectral_norm=s.spectral_norm,
            joint_dim=joint_dim,
            g_in_dim=s.z_dim + s.noise_dim,
            **minibatch,
        )
        return G, D, E
    G = Generator(
        members=members,
        z_dim=s.z_dim + s.noise_dim,
        out_dim=point_dim,
        width=s.g_width,
        depth=s.g_depth,
        batchnorm=s.g_batchnorm,
        bn_momentum=s.bn_momentum,
        activation=s.g_activation,
    )
    D = Discriminator(
        members=members,
        in_dim=point_dim * s.pack + joint_dim,
        width=s.d_width,
        depth=s.d_depth,
        maxout=s.d_maxout,
        spectral_norm=s.spectral_norm,
        activation=s.d_activation,
        **minibatch,
    )
    return G, D, E


INITIALISATIONS = ("normal", "orthogonal", "glorot")


@torch.no_grad()
def init_members(
    module: nn.Module, *, std: float, generators: list[torch.Generator], init: str = "normal", gain: float = 1.0
) -> None:
    """Member m's weights from generators[m] alone, biases 0: N(0, std) (PacGAN 2D), or with
    `init` "orthogonal" orthogonal matrices times `gain` (torch's orthogonal_ on each member's
    weight, a convolution's flattened to out × rest; GDPP's 2D nets: gain 1.4), or "glorot"
    Glorot-uniform times `gain` (TF-slim's default, VEEGAN's notebook). A member's
    initialisation does not depend on which ensemble it trains in. BatchNorm starts at scale 1,
    shift 0 (torch's default)."""
    if init not in INITIALISATIONS:
        raise ValueError(f"init {init!r} is not one of {', '.join(INITIALISATIONS)}")
    for member, generator in enumerate(generators):
        for layer in module.modules():
            if isinstance(layer, (EnsembleLinear, EnsembleConv2d, MinibatchDiscrimination)):
                shape = layer.weight.shape[1:]
                if init == "orthogonal":
                    weight = nn.init.orthogonal_(torch.empty(shape), gain=gain, generator=generator)
                elif init == "glorot":  # TF-slim's default, xavier_initializer: U(±gain·√(6 / (fan_in + fan_out)))
                    weight = nn.init.xavier_uniform_(torch.empty(shape), gain=gain, generator=generator)
                else:
                    weight = torch.randn(shape, generator=generator) * std
                layer.weight[member].copy_(weight)
            if isinstance(layer, (EnsembleLinear, EnsembleConv2d)) and layer.spectral_norm:
                layer.u[member].copy_(F.normalize(torch.randn(layer.u.shape[1:], generator=generator), dim=0))
