"""GAN losses as pure functions of the discriminator's raw outputs (logits or critic values).

Each loss is a pair: the discriminator's loss of (real_logits, fake_logits) and the generator's
loss of fake_logits. Formulas follow shared PROTOCOL.md §3; all are computed in stable forms
(softplus, never log(sigmoid(x) + eps)).
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
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_generator_loss(*, fake_logits: torch.Tensor) -> torch.Tensor:
    """Saturating G loss: log(1 - σ(D(G(z)))) = -softplus(D(G(z))) (Goodfellow et al. 2014, eq. 1).
    At logit 0 it is -log 2; its gradient vanishes when D confidently rejects fakes."""
    return -F.softplus(fake_logits).mean()


def ns_generator_loss(*, fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating G loss: -log σ(D(G(z))) = softplus(-D(G(z))) (Goodfellow et al. 2014, §3).
    At logit 0 it is log 2."""
    return F.softplus(-fake_logits).mean()


def wasserstein_critic_loss(*, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Critic loss E D(G(z)) - E D(x) (Arjovsky et al. 2017, Algorithm 1)."""
    return fake_logits.mean() - real_logits.mean()


def wasserstein_generator_loss(*, fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss -E D(G(z)) (Arjovsky et al. 2017, Algorithm 1)."""
    return -fake_logits.mean()


@dataclasses.dataclass(frozen=True)
class Loss:
    d: LossFn
    g: LossFn


LOSSES: dict[str, Loss] = {
    "gan-minimax": Loss(d=bce_discriminator_loss, g=minimax_generator_loss),
    "gan-ns": Loss(d=bce_discriminator_loss, g=ns_generator_loss),
    "wasserstein": Loss(d=wasserstein_critic_loss, g=wasserstein_generator_loss),
}
