"""The study's image architectures, torch-free: each one's layer specs, description with its source, image sizes.

An image architecture (setting `image_arch`) is a pair of layer specs, G's and D's, computed from
the image shape and a width; `models` builds torch modules from them, and the study's config
check (`config.validate_config`) and the nets refuse an image size the same way
(`image_shape_problem`). The 2D nets have no registry entry: their shapes are settings (widths,
depths, maxout pieces; models.Generator and models.Discriminator).
"""

from __future__ import annotations

import dataclasses
from typing import Callable


@dataclasses.dataclass(frozen=True)
class ConvLayer:
    """One layer of a conv net: a square `kernel` with `stride` and symmetric `padding`;
    `transposed` for an upsampling (transposed) convolution, whose `output_padding` adds rows and
    columns at the bottom and right; `batchnorm`: BatchNorm follows it (D; G's hidden layers
    follow the g_batchnorm setting instead)."""

    channels: int
    kernel: int
    stride: int
    padding: int
    transposed: bool = False
    output_padding: int = 0
    batchnorm: bool = False


def conv_output_size(size: int, layer: ConvLayer) -> int:
    """Side of `layer`'s output on a size × size input (torch's Conv2d / ConvTranspose2d formulas)."""
    if layer.transposed:
        return (size - 1) * layer.stride - 2 * layer.padding + layer.kernel + layer.output_padding
    return (size + 2 * layer.padding - layer.kernel) // layer.stride + 1


@dataclasses.dataclass(frozen=True)
class GeneratorSpec:
    """G = z → linear to channels × size × size → layers (models.ConvGenerator builds it)."""

    channels: int
    size: int
    layers: tuple[ConvLayer, ...]


def generated_shape(spec: GeneratorSpec) -> tuple[int, int, int]:
    """(C, H, W) of the images a generator spec makes."""
    size = spec.size
    for layer in spec.layers:
        size = conv_output_size(size, layer)
    return spec.layers[-1].channels, size, size


@dataclasses.dataclass(frozen=True)
class DiscriminatorSpec:
    """D = layers, each followed by [BatchNorm] and LeakyReLU(leak) → linear (models.ConvDiscriminator builds it)."""

    layers: tuple[ConvLayer, ...]
    leak: float


def dcgan_generator(image_shape: tuple[int, int, int], width: int) -> GeneratorSpec:
    """The study's DCGAN G (Radford et al. 2016) for H = W divisible by 4: z → 2w × H/4 × W/4 →
    transposed convs 4×4 stride 2 to w × H/2 → C × H."""
    channels, height, _ = image_shape
    up = lambda c: ConvLayer(c, kernel=4, stride=2, padding=1, transposed=True)  # noqa: E731  doubles the side
    return GeneratorSpec(channels=2 * width, size=height // 4, layers=(up(width), up(channels)))


def dcgan_discriminator(image_shape: tuple[int, int, int], width: int) -> DiscriminatorSpec:
    """The study's DCGAN D: convs 4×4 stride 2 to w × H/2 → 2w × H/4, LeakyReLU(0.2), no BatchNorm
    (so gradient penalties stay per sample)."""
    down = lambda c: ConvLayer(c, kernel=4, stride=2, padding=1)  # noqa: E731  halves the side
    return DiscriminatorSpec(layers=(down(width), down(2 * width)), leak=0.2)


def veegan_generator(image_shape: tuple[int, int, int], width: int) -> GeneratorSpec:
    """carpedm20's DCGAN G as VEEGAN and PacGAN's Table 2 use it (fjxmlzn/PacGAN
    stacked_MNIST_experiments/VEEGAN_experiment/model.py, `generator`; docs/protocol.md §2), w = 64
    there: z → 8w × 2 × 2 → transposed convs 5×5 stride 2 to 4w × 4 → 2w × 7 → w × 14 → C × 28.
    TF's "SAME" output sizes 2→4→7→14→28 are torch's padding 2 with output_padding 1, 0, 1, 1."""

    def up(c: int, extra: int) -> ConvLayer:
        return ConvLayer(c, kernel=5, stride=2, padding=2, transposed=True, output_padding=extra)

    return GeneratorSpec(
        channels=8 * width, size=2, layers=(up(4 * width, 1), up(2 * width, 0), up(width, 1), up(image_shape[0], 1))
    )


def veegan_discriminator(image_shape: tuple[int, int, int], width: int) -> DiscriminatorSpec:
    """carpedm20's DCGAN D as VEEGAN and PacGAN's Table 2 use it (same file, `discriminator`),
    w = 64 there: convs 5×5 stride 2 to w × 14 → 2w × 7 → 4w × 4 → 8w × 2, BatchNorm on all but
    the first, LeakyReLU(0.2). Torch's padding 2 gives TF's "SAME" sizes 28→14→7→4→2."""
    down = lambda c, bn: ConvLayer(c, kernel=5, stride=2, padding=2, batchnorm=bn)  # noqa: E731
    return DiscriminatorSpec(
        layers=(down(width, False), down(2 * width, True), down(4 * width, True), down(8 * width, True)), leak=0.2
    )


def unrolled_generator(image_shape: tuple[int, int, int], width: int) -> GeneratorSpec:
    """Metz et al.'s Stacked-MNIST G as PacGAN's Table 3 uses it (fjxmlzn/PacGAN
    stacked_MNIST_experiments/unrolled_GAN_experiment/D=0.25G/model.py, `generator`, and ops.py;
    docs/protocol.md §2), w = 8 there: z → 8w × 4 × 4 → transposed convs 3×3 (deconv2d's default
    stride 2) to 4w × 7 → 2w × 14 → w × 28 → conv 3×3 stride 1 ("SAME") to C × 28. Torch's
    padding 1 with output_padding 0, 1, 1 gives the code's sizes 4→7→14→28."""

    def up(c: int, extra: int) -> ConvLayer:
        return ConvLayer(c, kernel=3, stride=2, padding=1, transposed=True, output_padding=extra)

    return GeneratorSpec(
        channels=8 * width,
        size=4,
        layers=(
            up(4 * width, 0),
            up(2 * width, 1),
            up(width, 1),
            ConvLayer(image_shape[0], kernel=3, stride=1, padding=1),
        ),
    )


def unrolled_discriminator(image_shape: tuple[int, int, int], width: int) -> DiscriminatorSpec:
    """Metz et al.'s Stacked-MNIST D as PacGAN's Table 3 uses it (same files, `discriminator`),
    w = 2 for D = ¼G (D=0.25G) and 4 for D = ½G (D=0.5G/model.py): convs 3×3 with ops.py's
    default stride 2 and "SAME" padding to w × 14 → 2w × 7 → 4w × 4, each with BatchNorm and
    LeakyReLU(0.3). Nothing is inferred: kernels, strides, widths and slopes are the code's."""
    down = lambda c: ConvLayer(c, kernel=3, stride=2, padding=1, batchnorm=True)  # noqa: E731
    return DiscriminatorSpec(layers=(down(width), down(2 * width), down(4 * width)), leak=0.3)


@dataclasses.dataclass(frozen=True)
class Architecture:
    """A registered pair of conv nets: G's and D's specs from (image_shape, width), for images of
    the side `side` only, or (side None) of any square side that is a multiple of `side_multiple`."""

    description: str  # one line: what the nets are and where they come from
    generator: Callable[[tuple[int, int, int], int], GeneratorSpec]
    discriminator: Callable[[tuple[int, int, int], int], DiscriminatorSpec]
    side: int | None = None
    side_multiple: int = 1

    @property
    def sizes(self) -> str:
        """The image sizes it takes, in words."""
        if self.side is not None:
            return f"{self.side}×{self.side} images"
        return f"square images with a side divisible by {self.side_multiple}"

    def takes(self, image_shape: tuple[int, int, int]) -> bool:
        """Whether it is defined for C × H × W images of `image_shape`."""
        _, height, width = image_shape
        if self.side is not None:
            return height == width == self.side
        return height == width and height % self.side_multiple == 0


# Differences from the authors' TensorFlow code, shared by the published entries: TF's "SAME"
# padding puts the odd pixel of padding after the image, torch's symmetric padding before it, so
# on layers whose total padding is odd the sampling grid sits one pixel over (output sizes are the
# same); layers that feed BatchNorm have no bias (its gradient is exactly 0, see models.feeds_batchnorm),
# so parameter counts are theirs minus those biases; weights are N(0, init_std) (their code:
# truncated normal for convolutions); BatchNorm's defaults are TF's decay 0.9 (torch momentum 0.1)
# and ε = 1e-5.
IMAGE_ARCHITECTURES: dict[str, Architecture] = {
    "dcgan": Architecture(
        description="the study's small DCGAN (after Radford et al. 2016): two stride-2 (transposed) convs 4×4 each "
        "way, no BatchNorm in D",
        generator=dcgan_generator,
        discriminator=dcgan_discriminator,
        side_multiple=4,
    ),
    "veegan-dcgan": Architecture(
        description="carpedm20's DCGAN as VEEGAN and PacGAN's Table 2 use it (fjxmlzn/PacGAN VEEGAN_experiment): "
        "4 stride-2 5×5 layers each way",
        generator=veegan_generator,
        discriminator=veegan_discriminator,
        side=28,
    ),
    "unrolled-gan": Architecture(
        description="Metz et al.'s Stacked-MNIST nets as PacGAN's Table 3 uses them (fjxmlzn/PacGAN "
        "unrolled_GAN_experiment): 3×3 layers, BatchNorm in D",
        generator=unrolled_generator,
        discriminator=unrolled_discriminator,
        side=28,
    ),
}
ANY_SIDE = "dcgan"  # the architecture to suggest for images a fixed-side one does not take


def image_shape_problem(arch: str, image_shape: tuple[int, int, int], *, whose: str = "the data's") -> str | None:
    """Why `arch` cannot make C × H × W images of `image_shape` (`whose` images they are, in the
    sentence), the one wording of the config check and the nets; None when it can."""
    if arch not in IMAGE_ARCHITECTURES:
        return f"unknown image_arch {arch!r}; known: {', '.join(IMAGE_ARCHITECTURES)}"
    architecture = IMAGE_ARCHITECTURES[arch]
    if architecture.takes(image_shape):
        return None
    _, height, width = image_shape
    suggest = arch != ANY_SIDE and IMAGE_ARCHITECTURES[ANY_SIDE].takes(image_shape)
    way_out = f"; use image_arch: {ANY_SIDE}" if suggest else ""
    return f"image_arch {arch} is defined for {architecture.sizes}, {whose} are {height}×{width}{way_out}"


def conv_specs(
    arch: str,
    image_shape: tuple[int, int, int],
    *,
    g_width: int,
    d_width: int,
) -> tuple[GeneratorSpec, DiscriminatorSpec]:
    """G's and D's specs of the registered architecture `arch` for C × H × W images; ValueError
    when it is not defined for them (`image_shape_problem`)."""
    problem = image_shape_problem(arch, image_shape)
    if problem is not None:
        raise ValueError(problem)
    architecture = IMAGE_ARCHITECTURES[arch]
    g_spec = architecture.generator(image_shape, g_width)
    if generated_shape(g_spec) != tuple(image_shape):  # a spec's own arithmetic, checked once here
        raise ValueError(f"image_arch {arch} generates {generated_shape(g_spec)} images, not {image_shape}")
    return g_spec, architecture.discriminator(image_shape, d_width)
