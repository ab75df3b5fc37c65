"""Penalties the training loop adds to D's loss when their weight is > 0, and regularisers of G's loss.

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


# Generator-side regularisers: the training loop adds them to G's loss (train.GANEnsemble._generator_loss).


class _SafeEigh(torch.autograd.Function):
    """Symmetric eigendecomposition whose gradient stays finite where eigenvalues tie.

    The gradient of eigenvectors divides by λⱼ − λᵢ; torch's `eigh` backward then gives inf or NaN for
    the tied or nearly tied eigenvalues of a rank-deficient kernel. This one uses
    (λⱼ − λᵢ) / ((λⱼ − λᵢ)² + 1e-20) instead, as TensorFlow's later `self_adjoint_eig` gradient does
    (`_SafeReciprocal`): Ā = V (diag(λ̄) + F ∘ (Vᵀ V̄)) Vᵀ, symmetrised.
    """

    @staticmethod
    def forward(ctx, matrix: torch.Tensor):
        eigenvalues, eigenvectors = torch.linalg.eigh(matrix)
        ctx.save_for_backward(eigenvalues, eigenvectors)
        return eigenvalues, eigenvectors

    @staticmethod
    def backward(ctx, grad_values: torch.Tensor, grad_vectors: torch.Tensor):
        eigenvalues, vectors = ctx.saved_tensors
        gaps = eigenvalues.unsqueeze(-2) - eigenvalues.unsqueeze(-1)  # [i, j] = λⱼ − λᵢ
        reciprocal = gaps / (gaps**2 + 1e-20)  # 0 on the diagonal, where the gap is 0
        inner = torch.diag_embed(grad_values) + reciprocal * (vectors.transpose(-1, -2) @ grad_vectors)
        grad = vectors @ inner @ vectors.transpose(-1, -2)
        return 0.5 * (grad + grad.transpose(-1, -2))


def safe_eigh(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices (batched over leading
    dimensions), differentiable with a gradient that stays finite at tied eigenvalues (_SafeEigh)."""
    return _SafeEigh.apply(matrix)


def _dpp_loss(real_values, real_vectors, fake_values, fake_vectors, *, batch: int) -> torch.Tensor:
    """GDPP's loss from the eigenpairs (ascending) of the real and fake kernels: 1e-4 · MSE of the
    eigenvalues over all `batch` of them (the ones not given are 0 for both) plus Σᵢ λ̂_real,i ·
    (−⟨v_fake,i, v_real,i⟩), λ̂ min–max normalised (its minimum 0 where eigenvalues were left out)."""
    missing = batch - real_values.shape[-1]
    low = real_values[..., :1] if missing == 0 else torch.zeros_like(real_values[..., :1])
    high = real_values[..., -1:]
    # all eigenvalues equal (the reference's 0/0, NaN): weights 0
    weights = (real_values - low) / (high - low).clamp_min(torch.finfo(real_values.dtype).tiny)
    magnitude = ((real_values - fake_values) ** 2).sum(-1) / batch
    structure = (weights * -(fake_vectors * real_vectors).sum(-2)).sum(-1)
    return 1e-4 * magnitude + structure


def gdpp_loss_literal(*, real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """GDPP's DPP loss in its literal form (the reference the tests compare with): the eigenpairs of the
    batch × batch kernels L = φ̂φ̂ᵀ of the L2-normalised features (Elfeki et al. 2019; M-Elfeki/GDPP
    gdppgan_Synthetic.py). Features (members, batch, features); one value per member."""
    pairs = []
    for features in (real_features, fake_features):
        unit = torch.nn.functional.normalize(features, dim=-1)
        pairs.extend(safe_eigh(unit @ unit.transpose(-1, -2)))
    return _dpp_loss(*pairs, batch=real_features.shape[1])


def gdpp_loss(*, real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """GDPP's DPP loss (Elfeki et al. 2019, eq. 5; M-Elfeki/GDPP gdppgan_Synthetic.py), one value per member.

    With φ̂ the L2-normalised features of a batch and (λ, v) the eigenpairs of L = φ̂φ̂ᵀ in ascending
    order: L_DPP = 1e-4 · MSE(λ_real, λ_fake) + Σᵢ λ̂_real,i · (−Σ_d v_fake,di · v_real,di). When the
    features are fewer than the batch, L's nonzero eigenpairs come from the small Gram matrix φ̂ᵀφ̂ (the
    same λ, v = φ̂w/√λ) and its other eigenvalues are 0, contributing nothing: the same loss up to
    round-off and eigenvector sign, for a features × features eigendecomposition instead of batch × batch.
    """
    batch, dim = real_features.shape[1:]
    if dim >= batch:
        return gdpp_loss_literal(real_features=real_features, fake_features=fake_features)
    pairs = []
    for features in (real_features, fake_features):
        unit = torch.nn.functional.normalize(features, dim=-1)
        values, w = safe_eigh(unit.transpose(-1, -2) @ unit)
        # v = φ̂w/√λ. An eigenvalue below the solver's round-off (dtype eps × the largest) is the noise of a
        # rank below dim: floored there, its |v| stays ≲ 1 (a fixed 1e-12 let float32 noise of a collapsed
        # fake batch give |v| ~ 1e3). A real one has weight ~0; a fake one is any null vector in the literal form.
        finfo = torch.finfo(values.dtype)
        floor = (finfo.eps * values[..., -1:].detach()).clamp_min(finfo.tiny)  # tiny: features all 0
        vectors = unit @ w / values.maximum(floor).sqrt().unsqueeze(-2)
        pairs.extend((values, vectors))
    return _dpp_loss(*pairs, batch=batch)


def mode_seeking_penalty(*, fakes: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """1 / (lz + 1e-5), lz = mean|G(z₂) − G(z₁)| / mean|z₂ − z₁| over the batch (Mao et al. 2019, eq. 3;
    HelenMao/MSGAN DCGAN-Mode-Seeking/model.py): sample i of the batch's first half against sample
    i + B/2 of its second (an odd batch leaves its last sample out). Unweighted: the caller
    multiplies by λ. fakes (members, batch, dims), codes (members, batch, code dims)."""
    half = fakes.shape[1] // 2
    outputs = (fakes[:, half : 2 * half] - fakes[:, :half]).abs().mean(dim=(1, 2))
    inputs = (codes[:, half : 2 * half] - codes[:, :half]).abs().mean(dim=(1, 2))
    return 1 / (outputs / inputs + 1e-5)
