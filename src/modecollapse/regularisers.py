"""Penalties that the training loop adds to the discriminator's loss when their weight is > 0."""

from __future__ import annotations

from typing import Callable

import torch


def gradient_penalty(
    *,
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """WGAN-GP two-sided penalty E(‖∇D(x̂)‖₂ - 1)², x̂ = αx + (1-α)G(z), α ~ U[0,1] per sample
    (Gulrajani et al. 2017, Algorithm 1). Unweighted: the caller multiplies by λ."""
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), generator=generator, device=real.device)
    mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
