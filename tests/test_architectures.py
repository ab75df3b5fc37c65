"""The registered conv architectures (architectures.IMAGE_ARCHITECTURES) as ensembles: shapes, members'
independence, the published widths and parameter counts, the options every architecture takes, the
image sizes each is defined for (one check for the config and the nets), and `networks` for 2D and images."""

import pytest
import torch

from modecollapse.architectures import IMAGE_ARCHITECTURES, image_shape_problem
from modecollapse.config import TrainSettings
from modecollapse.models import (
    ConvDiscriminator,
    ConvGenerator,
    Discriminator,
    EnsembleBatchNorm,
    EnsembleConv2d,
    EnsembleLinear,
    Generator,
    conv_networks,
    init_members,
    networks,
)

SHAPE = (3, 28, 28)  # Stacked MNIST: the one size every architecture takes
TINY = dict(
    z_dim=6,
    g_width=2,
    d_width=2,
    g_batchnorm=True,
    bn_momentum=0.1,
    pack=1,
    spectral_norm=False,
    minibatch_kernels=0,
    minibatch_kernel_dim=3,
)


def build(arch: str, members: int, seeds: list[int], **overrides):
    G, D = conv_networks(arch=arch, members=members, image_shape=SHAPE, **{**TINY, **overrides})
    for net in (G, D):
        init_members(net, std=0.1, generators=[torch.Generator().manual_seed(s) for s in seeds])
    return G, D


def parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def out_channels(layer: EnsembleConv2d) -> int:
    return layer.weight.shape[2] if layer.transposed else layer.weight.shape[1]


@pytest.mark.parametrize("arch", IMAGE_ARCHITECTURES)
@pytest.mark.parametrize("pack", [1, 3])
def test_every_architecture_maps_noise_to_images_and_packs_to_logits(arch, pack):
    G, D = build(arch, 2, [0, 1], pack=pack)
    images = G(torch.randn(2, 5, 6))
    assert images.shape == (2, 5, 3 * 28 * 28) and images.abs().max() <= 1.0  # tanh
    logits, features = D(torch.cat([images] * pack, dim=-1))
    last = [m for m in D.hidden if isinstance(m, EnsembleConv2d)][-1]
    assert logits.shape == (2, 5) and features.shape[:2] == (2, 5)
    # features: the last convolution's flattened output (feature matching, minibatch discrimination)
    assert (
        features.shape[2]
        == D.head.weight.shape[1]
        == out_channels(last) * {"dcgan": 49, "veegan-dcgan": 4, "unrolled-gan": 16}[arch]
    )


@pytest.mark.parametrize("arch", IMAGE_ARCHITECTURES)
@pytest.mark.parametrize("options", [{}, dict(pack=2, spectral_norm=True, minibatch_kernels=4)])
def test_a_member_of_an_ensemble_is_the_net_built_alone_from_its_seed(arch, options):
    G3, D3 = build(arch, 3, [5, 6, 7], **options)
    G1, D1 = build(arch, 1, [6], **options)
    for together, alone in ((G3, G1), (D3, D1)):
        for (name, mine), (_, whole) in zip(alone.state_dict().items(), together.state_dict().items()):
            if mine.dim():  # member-major layouts: (M, ...) weights, (M·C,) BatchNorm channels
                assert torch.equal(whole.reshape(3, -1)[1], mine.reshape(-1)), name
    z = torch.randn(3, 8, 6)
    together, alone = G3(z), G1(z[1:2])  # training mode: BatchNorm on each member's own batch
    torch.testing.assert_close(together[1:2], alone, rtol=1e-5, atol=1e-6)
    x = torch.cat([together.detach()] * options.get("pack", 1), dim=-1)
    for got, want in zip(D3(x), D1(x[1:2])):  # logits and features, of order 1 after BatchNorm
        torch.testing.assert_close(got[1:2], want, rtol=1e-5, atol=1e-5)  # grouped and single kernels round apart


def test_veegan_dcgan_has_the_published_widths_and_parameter_count():
    G, D = conv_networks(
        arch="veegan-dcgan",
        members=1,
        image_shape=SHAPE,
        z_dim=100,
        g_width=64,
        d_width=64,
        g_batchnorm=True,
        bn_momentum=0.1,
        pack=1,
        spectral_norm=False,
        minibatch_kernels=0,
        minibatch_kernel_dim=3,
    )
    d_convs = [m for m in D.hidden if isinstance(m, EnsembleConv2d)]
    assert [out_channels(c) for c in d_convs] == [64, 128, 256, 512]
    assert [c.weight.shape[-1] for c in d_convs] == [5, 5, 5, 5]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in D.hidden) == 3  # layers 2-4, not layer 1
    assert [out_channels(c) for c in G.net if isinstance(c, EnsembleConv2d)] == [256, 128, 64, 3]
    assert G.project.weight.shape == (1, 100, 512 * 2 * 2)
    # carpedm20's D: 5×5 weights, layer 1's bias, BatchNorm γ and β on layers 2-4, linear 512·2·2 → 1.
    # Their conv biases before BatchNorm (128 + 256 + 512) are left out (models.feeds_batchnorm).
    weights = 25 * (3 * 64 + 64 * 128 + 128 * 256 + 256 * 512)
    assert parameter_count(D) == weights + 64 + 2 * (128 + 256 + 512) + (2048 + 1) == 4_309_505


@pytest.mark.parametrize("d_width, channels", [(2, [2, 4, 8]), (4, [4, 8, 16])])  # D = ¼G, D = ½G
def test_unrolled_gan_has_the_published_widths_and_parameter_count(d_width, channels):
    G, D = conv_networks(
        arch="unrolled-gan",
        members=1,
        image_shape=SHAPE,
        z_dim=100,
        g_width=8,
        d_width=d_width,
        g_batchnorm=True,
        bn_momentum=0.1,
        pack=1,
        spectral_norm=False,
        minibatch_kernels=0,
        minibatch_kernel_dim=3,
    )
    d_convs = [m for m in D.hidden if isinstance(m, EnsembleConv2d)]
    assert [out_channels(c) for c in d_convs] == channels and all(c.weight.shape[-1] == 3 for c in d_convs)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in D.hidden) == 3
    assert [m.negative_slope for m in D.hidden if isinstance(m, torch.nn.LeakyReLU)] == [0.3] * 3
    assert [out_channels(c) for c in G.net if isinstance(c, EnsembleConv2d)] == [32, 16, 8, 3]
    a, b, c = channels  # 3×3 weights, BatchNorm γ and β, linear 4c·4·4 → 1 (conv biases before BatchNorm left out)
    assert parameter_count(D) == 9 * (3 * a + a * b + b * c) + 2 * (a + b + c) + (16 * c + 1)
    # Metz et al.'s G: linear 100 → 64·4·4, transposed 3×3 convs 64→32→16→8, conv 8→3 with its bias
    assert parameter_count(G) == 100 * 1024 + 9 * (64 * 32 + 32 * 16 + 16 * 8 + 8 * 3) + 3 + 2 * (64 + 32 + 16 + 8)


@pytest.mark.parametrize("arch", IMAGE_ARCHITECTURES)
def test_no_layer_feeding_batchnorm_has_a_bias(arch):
    G, D = build(arch, 2, [0, 1])
    for stack in (G.net, D.hidden):
        for layer, following in zip(stack, list(stack)[1:]):
            if isinstance(following, torch.nn.BatchNorm2d):
                assert layer.bias is None
    assert G.project.bias is None
    plain, _ = build(arch, 2, [0, 1], g_batchnorm=False)
    assert plain.project.bias is not None and all(
        c.bias is not None for c in plain.net if isinstance(c, EnsembleConv2d)
    )
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules())


@pytest.mark.parametrize("arch", IMAGE_ARCHITECTURES)
@pytest.mark.parametrize("pack, spectral_norm, minibatch_kernels", [(1, True, 0), (2, False, 4), (3, True, 4)])
def test_spectral_norm_minibatch_features_and_packing_work_on_every_architecture(
    arch, pack, spectral_norm, minibatch_kernels
):
    G, D = build(arch, 2, [0, 1], pack=pack, spectral_norm=spectral_norm, minibatch_kernels=minibatch_kernels)
    normalised = [m.spectral_norm for m in D.modules() if isinstance(m, (EnsembleConv2d, EnsembleLinear))]
    assert len(normalised) == len([m for m in D.hidden if isinstance(m, EnsembleConv2d)]) + 1  # the convs and the head
    assert all(flag == spectral_norm for flag in normalised)
    assert (D.minibatch is not None) == bool(minibatch_kernels)
    fake = torch.cat([G(torch.randn(2, 6, 6)) for _ in range(pack)], dim=-1)
    logits, features = D(fake)
    assert D.head.weight.shape[1] == features.shape[-1] + minibatch_kernels
    grads = torch.autograd.grad(logits.sum(), [*G.parameters(), *D.parameters()])
    assert all(torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("arch", IMAGE_ARCHITECTURES)
def test_bn_momentum_follows_torchs_convention_in_every_batchnorm(arch):
    G, D = build(arch, 2, [0, 1], bn_momentum=0.05)
    norms = [m for m in (*G.modules(), *D.modules()) if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(m.momentum == 0.05 for m in norms)
    flat = Generator(members=2, z_dim=2, out_dim=2, width=4, depth=2, batchnorm=True, bn_momentum=0.05)
    layer = next(m for m in flat.modules() if isinstance(m, EnsembleBatchNorm))
    x = torch.randn(2, 32, 4)
    layer(x)  # running ← (1 − m)·running + m·batch, from running mean 0
    torch.testing.assert_close(layer.running_mean, 0.05 * x.mean(dim=1))


def test_an_unknown_architecture_names_the_known_ones():
    with pytest.raises(ValueError, match="known: dcgan, veegan-dcgan, unrolled-gan"):
        conv_networks(arch="resnet", members=1, image_shape=SHAPE, **TINY)


@pytest.mark.parametrize("arch", ["veegan-dcgan", "unrolled-gan"])
def test_the_published_architectures_refuse_other_image_sizes(arch):
    with pytest.raises(
        ValueError,
        match=f"^image_arch {arch} is defined for 28×28 images, the data's are 32×32; use image_arch: dcgan$",
    ):
        conv_networks(arch=arch, members=1, image_shape=(3, 32, 32), **TINY)
    with pytest.raises(
        ValueError,
        match="^image_arch dcgan is defined for square images with a side divisible by 4, the data's are 30×30$",
    ):
        conv_networks(arch="dcgan", members=1, image_shape=(3, 30, 30), **TINY)


@pytest.mark.parametrize(
    ("arch", "shape", "takes"),
    [
        ("dcgan", (3, 8, 8), True),
        ("dcgan", (1, 28, 28), True),
        ("dcgan", (3, 8, 12), False),
        ("dcgan", (3, 6, 6), False),
        ("veegan-dcgan", (3, 28, 28), True),
        ("veegan-dcgan", (3, 8, 8), False),
        ("unrolled-gan", (1, 28, 28), True),
        ("unrolled-gan", (3, 32, 32), False),
    ],
)
def test_the_registry_says_which_image_sizes_each_architecture_takes_and_the_nets_agree(arch, shape, takes):
    assert (image_shape_problem(arch, shape) is None) == IMAGE_ARCHITECTURES[arch].takes(shape) == takes
    if takes:
        G, _ = conv_networks(arch=arch, members=1, image_shape=shape, **TINY)
        assert G(torch.randn(1, 2, 6)).shape == (1, 2, shape[0] * shape[1] * shape[2])
    else:
        with pytest.raises(ValueError, match=f"^image_arch {arch} is defined for "):
            conv_networks(arch=arch, members=1, image_shape=shape, **TINY)


def test_the_config_schema_allows_exactly_the_registered_architectures(schema):
    def enums(node):  # every enum of an image_arch property, wherever the schema keeps the train settings
        if isinstance(node, dict):
            if isinstance(node.get("image_arch"), dict) and "enum" in node["image_arch"]:
                yield tuple(node["image_arch"]["enum"])
            for value in node.values():
                yield from enums(value)
        elif isinstance(node, list):
            for value in node:
                yield from enums(value)

    assert set(enums(schema)) == {tuple(IMAGE_ARCHITECTURES)}
    assert all(a.description and "\n" not in a.description for a in IMAGE_ARCHITECTURES.values())


def test_networks_builds_the_2d_mlps_or_the_image_architectures_conv_nets():
    settings = TrainSettings(g_width=8, g_depth=2, d_width=6, d_depth=2, d_maxout=3, z_dim=4, pack=2)
    G, D, E = networks(settings, 3, None)
    assert E is None  # only ALI and VEEGAN have an encoder
    assert isinstance(G, Generator) and isinstance(D, Discriminator)
    assert G(torch.randn(3, 5, 4)).shape == (3, 5, 2)
    logits, features = D(torch.randn(3, 5, 2 * 2))  # a pack of two points
    assert logits.shape == (3, 5) and features.shape == (3, 5, 6)
    G, D, _ = networks(settings, 3, None, point_dim=1)
    assert G(torch.randn(3, 5, 4)).shape == (3, 5, 1) and D(torch.randn(3, 5, 2))[0].shape == (3, 5)
    for arch in IMAGE_ARCHITECTURES:
        shape = (3, 8, 8) if arch == "dcgan" else (3, 28, 28)
        G, D, _ = networks(TrainSettings(image_arch=arch, g_width=2, d_width=2, z_dim=4, pack=2), 3, shape)
        assert isinstance(G, ConvGenerator) and isinstance(D, ConvDiscriminator)
        assert D.input_shape == (2 * 3, *shape[1:])  # packed images stacked on D's channels
        images = G(torch.randn(3, 5, 4))
        assert images.shape == (3, 5, 3 * shape[1] * shape[2])
        assert D(torch.cat([images, images], dim=-1))[0].shape == (3, 5)
    with pytest.raises(ValueError, match="image_arch veegan-dcgan is defined for 28×28 images, the data's are 8×8"):
        networks(TrainSettings(image_arch="veegan-dcgan"), 1, (3, 8, 8))
