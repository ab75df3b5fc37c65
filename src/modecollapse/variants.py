"""The registry of variants: losses with their authors' settings, and tricks that combine with them.

A variant name is a loss variant (`hinge`), a trick on the baseline (`pacgan-2` = `gan-ns+pacgan-2`)
or a loss with tricks joined by "+" (`hinge+sngan`, `wgan-gp+pacgan-2`). Each part contributes
settings; the config's entry for the name overrides them (see `config.resolve_settings`).
Adding a variant or trick is one entry here.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from .losses import LOSSES

BASELINE = "gan-ns"


@dataclasses.dataclass(frozen=True)
class Variant:
    """A loss and the settings its authors prescribe (they override the study's `train`)."""

    loss: str
    description: str
    source: str
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"variant uses unknown loss {self.loss!r}; known: {', '.join(LOSSES)}")


@dataclasses.dataclass(frozen=True)
class Trick:
    """Settings that switch a remedy on, on top of any loss."""

    settings: Mapping[str, Any]
    description: str
    source: str
    needs_adam: bool = False  # unrolling differentiates through Adam's update


VARIANTS: dict[str, Variant] = {
    "gan-ns": Variant(
        loss="gan-ns",
        description="non-saturating GAN, G minimises -log D(G(z)): the baseline",
        source="Goodfellow et al. 2014, Generative Adversarial Nets, §3",
    ),
    "gan-minimax": Variant(
        loss="gan-minimax",
        description="original saturating GAN, G minimises log(1 - D(G(z)))",
        source="Goodfellow et al. 2014, Generative Adversarial Nets, eq. 1",
    ),
    "lsgan": Variant(
        loss="lsgan",
        description="least squares GAN, a=0, b=1, c=1",
        source="Mao et al. 2017, Least Squares Generative Adversarial Networks, eq. 2",
    ),
    "hinge": Variant(
        loss="hinge",
        description="hinge D loss, G minimises -D(G(z))",
        source="Lim & Ye 2017, Geometric GAN; Miyato et al. 2018, eq. 16",
    ),
    "wgan-clip": Variant(
        loss="wasserstein",
        description="Wasserstein critic, weights clipped to [-0.01, 0.01], RMSProp lr 5e-5, 5 critic steps",
        source="Arjovsky et al. 2017, Wasserstein GAN, Algorithm 1",
        defaults={"optimizer": "rmsprop", "lr": 5e-5, "d_steps": 5, "weight_clip": 0.01},
    ),
    "wgan-gp": Variant(
        loss="wasserstein",
        description="Wasserstein critic with gradient penalty λ=10, 5 critic steps, Adam β=(0.5, 0.9)",
        source="Gulrajani et al. 2017, Improved Training of Wasserstein GANs, Algorithm 1",
        defaults={"gp_weight": 10.0, "d_steps": 5, "beta1": 0.5, "beta2": 0.9},
    ),
    "ali": Variant(
        loss="ali",
        description="ALI / BiGAN: an encoder E(x, ε) trained with G against a joint D(x, z); real pairs "
        "(x, E(x, ε)), fake pairs (G(z), z); E and G minimise D's cross-entropy with the labels swapped",
        source="Dumoulin et al. 2017, Adversarially Learned Inference; Donahue et al. 2017, Adversarial Feature "
        "Learning; as PacGAN runs it (fjxmlzn/PacGAN synthetic_data_experiments/2DRing_ALI/pacgan_task.py)",
    ),
    "veegan": Variant(
        loss="veegan",
        description="VEEGAN: a reconstructor F(x) ~ N(F(x), 1) and a joint D(z, x); G and F minimise D's logit "
        "plus ½‖z − F(G(z, ε))‖²; F learns from the reconstruction only",
        source="Srivastava et al. 2017, VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational "
        "Learning, Algorithm 1 (akashgit/VEEGAN VEEGAN_2D_RING.ipynb)",
        defaults={"e_noise_dim": 0, "e_batchnorm": False},
    ),
}

TRICKS: dict[str, Trick] = {
    "r1": Trick(
        settings={"r1_gamma": 10.0},
        description="R1 penalty (γ/2)E‖∇D(x_real)‖² with γ=10 (paper convention, with the ½)",
        source="Mescheder et al. 2018, Which Training Methods for GANs do actually Converge?, eq. 9",
    ),
    "sngan": Trick(
        settings={"spectral_norm": True},
        description="spectral normalisation of every D weight, 1 power iteration per forward pass",
        source="Miyato et al. 2018, Spectral Normalization for GANs",
    ),
    **{
        f"unrolled-{k}": Trick(
            settings={"unrolled_steps": k},
            description=f"G's loss against D after {k} unrolled Adam updates, differentiated through them",
            source="Metz et al. 2017, Unrolled Generative Adversarial Networks",
            needs_adam=True,
        )
        for k in (1, 5, 10)
    },
    **{
        f"pacgan-{m}": Trick(
            settings={"pack": m},
            description=f"D judges {m} samples concatenated on the feature axis, all real or all fake",
            source="Lin et al. 2018, PacGAN: The Power of Two Samples in GANs",
        )
        for m in (2, 3, 4)
    },
    "minibatch-disc": Trick(
        settings={"minibatch_kernels": 100, "minibatch_kernel_dim": 5},
        description="minibatch discrimination, B=100 kernels of C=5 dims on D's last hidden layer",
        source="Salimans et al. 2016, Improved Techniques for Training GANs, §3.2 (improved-gan nn.py)",
    ),
    "feature-matching": Trick(
        settings={"feature_matching": True},
        description="G minimises ‖E f(G(z)) - E f(x)‖² on D's last hidden layer",
        source="Salimans et al. 2016, Improved Techniques for Training GANs, §3.1",
    ),
    "gdpp": Trick(
        settings={"gdpp": True},
        description="GDPP: G minimises ½(its loss + a DPP loss matching the eigenpairs of D's real and fake "
        "feature kernels)",
        source="Elfeki et al. 2019, GDPP: Learning Diverse Generations using Determinantal Point Processes "
        "(M-Elfeki/GDPP gdppgan_Synthetic.py)",
    ),
    "mode-seeking": Trick(
        settings={"mode_seeking": 1.0},
        description="mode seeking: G's loss gains λ / (lz + 1e-5), lz = mean|G(z₂) − G(z₁)| / mean|z₂ − z₁| "
        "over the two halves of a batch, λ = 1",
        source="Mao et al. 2019, Mode Seeking GANs for Diverse Image Synthesis, eq. 3 "
        "(HelenMao/MSGAN DCGAN-Mode-Seeking/model.py)",
    ),
    "diffaugment": Trick(
        settings={"diffaugment": "color,translation,cutout"},
        description="DiffAugment: colour, translation and cutout, drawn per sample, on every image D sees in "
        "D's and G's steps, differentiated into G (image datasets)",
        source="Zhao et al. 2020, Differentiable Augmentation for Data-Efficient GAN Training "
        "(mit-han-lab/data-efficient-gans DiffAugment_pytorch.py)",
    ),
    "instance-noise": Trick(
        settings={"instance_noise": 0.1},
        description="Gaussian noise on D's real and fake inputs, std 0.1 annealed linearly to 0",
        source="Sønderby et al. 2017, Amortised MAP Inference for Image Super-resolution, §3.2",
    ),
}


class VariantError(ValueError):
    """A variant name that does not parse; the message lists what is allowed."""


def parse_variant(name: str) -> tuple[str, list[str]]:
    """Split a variant name into its loss variant and tricks; refuse unknown or conflicting parts."""
    parts = name.split("+")
    base, tricks = (BASELINE, parts) if parts[0] in TRICKS else (parts[0], parts[1:])
    if base not in VARIANTS:
        raise VariantError(
            f"unknown variant {name!r}: {base!r} is neither a loss variant ({', '.join(VARIANTS)}) "
            f"nor a trick ({', '.join(TRICKS)})"
        )
    unknown = [t for t in tricks if t not in TRICKS]
    if unknown:
        raise VariantError(f"unknown trick(s) {', '.join(map(repr, unknown))} in {name!r}; tricks: {', '.join(TRICKS)}")
    keys = [key for t in tricks for key in TRICKS[t].settings]
    if len(keys) != len(set(keys)):
        raise VariantError(f"{name!r} combines tricks that set the same thing twice ({', '.join(tricks)})")
    optimizer = VARIANTS[base].defaults.get("optimizer", "adam")
    if optimizer != "adam" and any(TRICKS[t].needs_adam for t in tricks):
        raise VariantError(f"{name!r}: unrolling differentiates through Adam; {base} uses {optimizer}")
    return base, tricks


def variant_defaults(name: str) -> tuple[str, dict[str, Any]]:
    """The loss of variant `name` and the settings its parts prescribe."""
    base, tricks = parse_variant(name)
    settings = dict(VARIANTS[base].defaults)
    for trick in tricks:
        settings.update(TRICKS[trick].settings)
    return VARIANTS[base].loss, settings


def describe(name: str) -> tuple[str, str]:
    """(description, source) of a variant name, combining its parts."""
    base, tricks = parse_variant(name)
    parts = ([VARIANTS[base]] if name.split("+")[0] in VARIANTS else []) + [TRICKS[t] for t in tricks]
    return "; ".join(p.description for p in parts), "; ".join(p.source for p in parts)
