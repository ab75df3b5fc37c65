"""Penalties that the training loop adds to the discriminator's loss when their weight is > 0.

`critic` maps inputs (members × batch × features) to logits (members × batch); each penalty
returns one value per member.
"""

from __future__ import annotations

from typing import Callable

import torch

Critic = Callable[[torch.Tensor], torch.Tensor]


def _input_gradient(critic: Critic, inputs: torch.Tensor) -> torch.Tensor:
    (grad,) = torch.autograd.grad(critic(inputs).sum(), inputs, create_graph=True)
    return grad.flatten(2)  # members × batch × features


def gradient_penalty(*, critic: Critic, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """WGAN-GP two-sided penalty E(‖∇D(x̂)‖₂ - 1)², x̂ = αx + (1-α)G(z), α ~ U[0,1] per sample
    (Gulrajani et al. 2017, Algorithm 1). Unweighted: the caller multiplies by λ.
    `alpha` has shape members × batch × 1."""
    mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
    return ((_input_gradient(critic, mixed).norm(dim=-1) - 1) ** 2).mean(-1)


def r1_penalty(*, critic: Critic, real: torch.Tensor) -> torch.Tensor:
    """E‖∇D(x)‖² on real data (Mescheder et al. 2018, eq. 9). Unweighted: the R1 regulariser is
    (γ/2) times this (the paper's convention; their code's reg_param multiplies it without ½)."""
    real = real.detach().requires_grad_(True)
    return (_input_gradient(critic, real) ** 2).sum(-1).mean(-1)
