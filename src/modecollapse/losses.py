"""GAN losses as pure functions of the discriminator's raw outputs (logits or critic values).

Each loss is a pair: the discriminator's loss of (real_logits, fake_logits) and the generator's
loss of fake_logits. Inputs may carry a leading ensemble dimension (members × batch): the mean is
over the last (batch) axis, so each member gets its own loss. Formulas follow docs/protocol.md §3,
computed in stable forms (softplus, never log(sigmoid(x) + eps)).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import torch
import torch.nn.functional as F

LossFn = Callable[..., torch.Tensor]


def bce_discriminator_loss(*, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Cross-entropy D loss: -log σ(D(x)) - log(1 - σ(D(G(z)))) = softplus(-D(x)) + softplus(D(G(z)))
    (Goodfellow et al. 2014, eq. 1)."""
    return F.softplus(-real_logits).mean(-1) + F.softplus(fake_logits).mean(-1)


def minimax_generator_loss(*, fake_logits: torch.Tensor) -> torch.Tensor:
    """Saturating G loss: log(1 - σ(D(G(z)))) = -softplus(D(G(z))) (Goodfellow et al. 2014, eq. 1).
    At logit 0 it is -log 2; its gradient vanishes when D confidently rejects fakes."""
    return -F.softplus(fake_logits).mean(-1)


def ns_generator_loss(*, fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating G loss: -log σ(D(G(z))) = softplus(-D(G(z))) (Goodfellow et al. 2014, §3).
    At logit 0 it is log 2."""
    return F.softplus(-fake_logits).mean(-1)


def least_squares_discriminator_loss(*, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """LSGAN with a=0, b=1: ½E(D(x) - 1)² + ½E D(G(z))² (Mao et al. 2017, eq. 2)."""
    return 0.5 * ((real_logits - 1) ** 2).mean(-1) + 0.5 * (fake_logits**2).mean(-1)


def least_squares_generator_loss(*, fake_logits: torch.Tensor) -> torch.Tensor:
    """LSGAN with c=1: ½E(D(G(z)) - 1)² (Mao et al. 2017, eq. 2)."""
    return 0.5 * ((fake_logits - 1) ** 2).mean(-1)


def hinge_discriminator_loss(*, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge D loss: E relu(1 - D(x)) + E relu(1 + D(G(z))) (Lim & Ye 2017; Miyato et al. 2018, eq. 16)."""
    return F.relu(1 - real_logits).mean(-1) + F.relu(1 + fake_logits).mean(-1)


def wasserstein_critic_loss(*, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Critic loss E D(G(z)) - E D(x) (Arjovsky et al. 2017, Algorithm 1)."""
    return fake_logits.mean(-1) - real_logits.mean(-1)


def wasserstein_generator_loss(*, fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss -E D(G(z)) (Arjovsky et al. 2017, Algorithm 1); also hinge's G loss."""
    return -fake_logits.mean(-1)


def ali_generator_loss(*, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """ALI's encoder and generator loss, D's cross-entropy with the labels swapped:
    softplus(D(x, E(x))) + softplus(-D(G(z), z)) (Dumoulin et al. 2017, §3; PacGAN's 2DRing_ALI code)."""
    return F.softplus(real_logits).mean(-1) + F.softplus(-fake_logits).mean(-1)


def veegan_discriminator_loss(*, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """VEEGAN's D labels the generated pairs (z, G(z, ε)) 1 and the pairs (z̃, x) of data 0:
    softplus(-D(z, G(z, ε))) + softplus(D(z̃, x)) (Srivastava et al. 2017, Algorithm 1; akashgit/VEEGAN)."""
    return F.softplus(-fake_logits).mean(-1) + F.softplus(real_logits).mean(-1)


def veegan_generator_loss(*, fake_logits: torch.Tensor) -> torch.Tensor:
    """VEEGAN's generator term, the raw logit E D(z, G(z, ε)) (its reconstruction term is added by
    the training loop; Srivastava et al. 2017, Algorithm 1)."""
    return fake_logits.mean(-1)


@dataclasses.dataclass(frozen=True)
class Loss:
    """D's and G's losses. `joint`: D judges (x, z) pairs and an encoder (ALI) or reconstructor
    (VEEGAN) maps data to codes, trained with G (train.GANEnsemble); `g_sees_real`: G's loss
    takes the real pairs' logits too (ALI's encoder learns from them)."""

    d: LossFn
    g: LossFn
    joint: str = ""  # "" (D sees samples), "ali" or "veegan"
    g_sees_real: bool = False


LOSSES: dict[str, Loss] = {
    "gan-minimax": Loss(d=bce_discriminator_loss, g=minimax_generator_loss),
    "gan-ns": Loss(d=bce_discriminator_loss, g=ns_generator_loss),
    "lsgan": Loss(d=least_squares_discriminator_loss, g=least_squares_generator_loss),
    "hinge": Loss(d=hinge_discriminator_loss, g=wasserstein_generator_loss),
    "wasserstein": Loss(d=wasserstein_critic_loss, g=wasserstein_generator_loss),
    "ali": Loss(d=bce_discriminator_loss, g=ali_generator_loss, joint="ali", g_sees_real=True),
    "veegan": Loss(d=veegan_discriminator_loss, g=veegan_generator_loss, joint="veegan"),
}
