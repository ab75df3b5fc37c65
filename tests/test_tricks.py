"""GDPP's DPP loss and mode seeking's term: known answers, the Gram form against the literal one, finite gradients."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from modecollapse.regularisers import gdpp_loss, gdpp_loss_literal, mode_seeking_penalty, safe_eigh

REPO = Path(__file__).resolve().parents[1]


def _features(members=2, batch=24, dim=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(members, batch, dim, generator=generator, dtype=torch.float64)


def _aligned_literal(real, fake):
    """The literal loss with each batch × batch eigenvector's sign set as the Gram form's u = φ̂w/√λ
    sets it: the loss depends on those signs, which solvers choose freely."""
    batch, dim = real.shape[1:]
    pairs = []
    for features in (real, fake):
        unit = torch.nn.functional.normalize(features, dim=-1)
        values, vectors = torch.linalg.eigh(unit @ unit.transpose(-1, -2))
        small_values, w = torch.linalg.eigh(unit.transpose(-1, -2) @ unit)
        gram_vectors = unit @ w / small_values.sqrt().unsqueeze(-2)
        top = vectors[..., batch - dim :]
        signs = torch.sign((top * gram_vectors).sum(-2, keepdim=True))
        vectors = torch.cat([vectors[..., : batch - dim], top * signs], dim=-1)
        pairs.append((values, vectors))
    (rv, rvec), (fv, fvec) = pairs
    weights = (rv - rv[..., :1]) / (rv[..., -1:] - rv[..., :1])
    return 1e-4 * ((rv - fv) ** 2).mean(-1) + (weights * -(fvec * rvec).sum(-2)).sum(-1)


def test_the_gram_form_equals_the_literal_batch_by_batch_form_up_to_eigenvector_sign():
    real, fake = _features(seed=1), _features(seed=2)
    # float64 at assert_close's default (rtol = atol = 1e-7): with signs aligned the forms differ only by
    # round-off, the literal form's batch − dim 'zero' eigenvalues (and its min) being ~1e-16 instead of 0
    # and both eigendecompositions accurate to ~1e-16 / eigengap; 1e-7 is far above that, far below the
    # loss's O(1) terms, so any mismatch of the formula (a missing 1/batch, the min–max) fails it
    torch.testing.assert_close(gdpp_loss(real_features=real, fake_features=fake), _aligned_literal(real, fake))
    # with as many features as samples both take the literal path
    wide = _features(batch=6, dim=6, seed=3)
    assert torch.equal(
        gdpp_loss(real_features=wide, fake_features=wide), gdpp_loss_literal(real_features=wide, fake_features=wide)
    )


def test_identical_batches_cost_minus_the_sum_of_the_normalised_eigenvalues():
    real = _features(seed=4)
    unit = torch.nn.functional.normalize(real, dim=-1)
    values = torch.linalg.eigvalsh(unit.transpose(-1, -2) @ unit)  # L's nonzero eigenvalues; its others are 0
    expected = -(values / values[..., -1:]).sum(-1)  # MSE 0, each ⟨v, v⟩ = 1, the minimum 0
    torch.testing.assert_close(gdpp_loss(real_features=real, fake_features=real.clone()), expected)


def test_the_literal_form_of_identical_batches_costs_minus_the_sum_of_the_normalised_eigenvalues():
    # sign-invariant (each ⟨v, v⟩ = 1 whatever the sign), so the literal form has a known answer too: L's
    # batch − dim zero eigenvalues (~1e-16 in float64) add ~1e-16 each, far below the default tolerance
    real = _features(seed=4)
    unit = torch.nn.functional.normalize(real, dim=-1)
    values = torch.linalg.eigvalsh(unit.transpose(-1, -2) @ unit)
    expected = -(values / values[..., -1:]).sum(-1)
    torch.testing.assert_close(gdpp_loss_literal(real_features=real, fake_features=real.clone()), expected)


def test_a_collapsed_float32_fake_batch_keeps_the_loss_within_its_bound():
    """Fake features of rank ~1 (a collapsed G) in float32: the Gram form's fake eigenvalues but one are
    round-off, and v = φ̂w/√λ must not grow with them. Each |⟨v_fake, v_real⟩| ≤ 1 for unit vectors, so
    |L_DPP| ≤ Σᵢ λ̂_real,i + 1e-4 · MSE (here MSE ≤ 2 · batch, so ≤ 0.013): a bound the literal form
    keeps whatever its solver's null vectors, and which a fixed clamp of λ at 1e-12 broke (85 against 7.4)."""
    generator = torch.Generator().manual_seed(0)
    real = torch.tanh(torch.randn(4, 64, 16, generator=generator))
    collapsed = torch.tanh(torch.randn(4, 1, 16, generator=generator)).expand(4, 64, 16)
    fake = (collapsed + 1e-3 * torch.randn(4, 64, 16, generator=generator)).requires_grad_(True)
    loss = gdpp_loss(real_features=real, fake_features=fake)
    unit = torch.nn.functional.normalize(real, dim=-1)
    values = torch.linalg.eigvalsh(unit.transpose(-1, -2) @ unit)
    assert (loss.abs() <= (values / values[..., -1:]).sum(-1) + 0.013).all()
    (grad,) = torch.autograd.grad(loss.sum(), fake)
    assert torch.isfinite(grad).all()
    # features all 0 (a dead D): finite, the fake vectors 0
    zeros = torch.zeros(1, 64, 16, requires_grad=True)
    dead = gdpp_loss(real_features=real[:1], fake_features=zeros)
    dead.sum().backward()
    assert torch.isfinite(dead).all() and torch.isfinite(zeros.grad).all()


def test_the_gradient_reaches_the_fake_features_and_stays_finite_at_tied_eigenvalues():
    real = _features(seed=5)
    fake = _features(seed=6).requires_grad_(True)
    gdpp_loss(real_features=real, fake_features=fake).sum().backward()
    assert torch.isfinite(fake.grad).all() and fake.grad.abs().max() > 0
    # a kernel with a tied pair: torch's eigh gradient is not finite there, safe_eigh's is
    tied = torch.diag(torch.tensor([1.0, 1.0, 2.0], dtype=torch.float64)).requires_grad_(True)
    values, vectors = safe_eigh(tied)
    (vectors[:, 0] ** 2 * torch.arange(3.0, dtype=torch.float64)).sum().backward()
    assert torch.isfinite(tied.grad).all()
    plain = tied.detach().clone().requires_grad_(True)
    _, plain_vectors = torch.linalg.eigh(plain)
    (plain_vectors[:, 0] ** 2 * torch.arange(3.0, dtype=torch.float64)).sum().backward()
    assert not torch.isfinite(plain.grad).all()


def test_safe_eigh_has_torchs_gradient_where_eigenvalues_are_distinct():
    base = torch.randn(4, 4, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    matrix = (base + base.T).requires_grad_(True)
    weights = torch.arange(1.0, 5.0, dtype=torch.float64)

    def value(eigh, m):  # sign-invariant: eigenvalues and squared eigenvector entries
        values, vectors = eigh(m)
        return (values * weights).sum() + (vectors**2 * weights).sum()

    (mine,) = torch.autograd.grad(value(safe_eigh, matrix), matrix)
    (theirs,) = torch.autograd.grad(value(torch.linalg.eigh, matrix), matrix)
    torch.testing.assert_close(mine, 0.5 * (theirs + theirs.T))


def test_mode_seeking_on_a_constructed_pair():
    # first half at 0, second half at 2 in every coordinate; codes 0 and 0.5: lz = 2 / 0.5 = 4
    fakes = torch.cat([torch.zeros(1, 2, 3), torch.full((1, 2, 3), 2.0)], dim=1)
    codes = torch.cat([torch.zeros(1, 2, 4), torch.full((1, 2, 4), 0.5)], dim=1)
    assert mode_seeking_penalty(fakes=fakes, codes=codes).item() == pytest.approx(1 / (4 + 1e-5))
    # collapsed fakes: lz = 0, the largest term
    assert mode_seeking_penalty(fakes=torch.ones(1, 4, 3), codes=codes).item() == pytest.approx(1e5)
    # an odd batch leaves its last sample out of the pairs
    odd = torch.cat([fakes, torch.full((1, 1, 3), 100.0)], dim=1)
    odd_codes = torch.cat([codes, torch.zeros(1, 1, 4)], dim=1)
    assert mode_seeking_penalty(fakes=odd, codes=odd_codes).item() == pytest.approx(1 / (4 + 1e-5))


def test_mode_seeking_pushes_the_halves_apart():
    fakes = torch.randn(2, 8, 3, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    codes = torch.randn(2, 8, 5, generator=torch.Generator().manual_seed(1))
    mode_seeking_penalty(fakes=fakes, codes=codes).sum().backward()
    step = fakes - 1e-3 * fakes.grad
    assert (mode_seeking_penalty(fakes=step, codes=codes) < mode_seeking_penalty(fakes=fakes, codes=codes)).all()


def test_the_gdpp_benchmark_times_both_forms(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "gdpp_gram.py"),
            "--batch",
            "16",
            "--features",
            "4",
            "--repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row = next(line for line in out.splitlines() if line.startswith("| 16 "))
    gram_ms, literal_ms = (float(cell) for cell in row.strip("|").split("|")[3:5])
    assert gram_ms > 0 and literal_ms > 0
