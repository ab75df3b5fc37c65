import math

import pytest
import torch

from modecollapse.losses import LOSSES

ZERO = torch.zeros(4)
ONE = torch.ones(4)


@pytest.mark.parametrize(
    ("name", "real", "fake", "d_expected", "g_expected"),
    [
        # D: softplus(-0) + softplus(0) = 2 log 2; ns G: softplus(-0) = log 2; minimax G: -log 2.
        ("gan-ns", ZERO, ZERO, 2 * math.log(2), math.log(2)),
        ("gan-minimax", ZERO, ZERO, 2 * math.log(2), -math.log(2)),
        # At logit 1: D = softplus(-1) + softplus(1); ns G = softplus(-1); minimax G = -softplus(1).
        ("gan-ns", ONE, ONE, math.log1p(math.exp(-1)) + math.log1p(math.e), math.log1p(math.exp(-1))),
        ("gan-minimax", ONE, ONE, math.log1p(math.exp(-1)) + math.log1p(math.e), -math.log1p(math.e)),
        # LSGAN: D = ½(x-1)² + ½y²; G = ½(y-1)². At 0: ½ + 0 and ½; at 1: 0 + ½ and 0.
        ("lsgan", ZERO, ZERO, 0.5, 0.5),
        ("lsgan", ONE, ONE, 0.5, 0.0),
        # Hinge: D = relu(1-x) + relu(1+y); G = -y. At 0: 1 + 1 and 0; at 1: 0 + 2 and -1.
        ("hinge", ZERO, ZERO, 2.0, 0.0),
        ("hinge", ONE, ONE, 2.0, -1.0),
        # Wasserstein: D = E D(fake) - E D(real); G = -E D(fake).
        ("wasserstein", ONE, ZERO, -1.0, 0.0),
        ("wasserstein", ZERO, ONE, 1.0, -1.0),
        # ALI: D as gan-ns; E and G: softplus(D(x, E(x))) + softplus(-D(G(z), z)). At 0: 2 log 2 and 2 log 2;
        # real pairs at 1, fake pairs at 0: D = softplus(-1) + log 2, E and G = softplus(1) + log 2.
        ("ali", ZERO, ZERO, 2 * math.log(2), 2 * math.log(2)),
        ("ali", ONE, ZERO, math.log1p(math.exp(-1)) + math.log(2), math.log1p(math.e) + math.log(2)),
        # VEEGAN labels fakes 1: D = softplus(-D(fake)) + softplus(D(real)); G = E D(fake), the raw logit.
        ("veegan", ZERO, ONE, math.log1p(math.exp(-1)) + math.log(2), 1.0),
        ("veegan", ONE, ZERO, math.log(2) + math.log1p(math.e), 0.0),
    ],
)
def test_loss_values(name, real, fake, d_expected, g_expected):
    loss = LOSSES[name]
    assert loss.d(real_logits=real, fake_logits=fake).item() == pytest.approx(d_expected, rel=1e-6)
    assert _g(loss, real=real, fake=fake).item() == pytest.approx(g_expected, rel=1e-6, abs=1e-7)


def _g(loss, *, real, fake):
    """G's loss: of the fake logits, and of the real ones too where it sees them (ALI's encoder)."""
    return loss.g(real_logits=real, fake_logits=fake) if loss.g_sees_real else loss.g(fake_logits=fake)


def test_bce_losses_stay_finite_at_extreme_logits():
    extreme = torch.tensor([-1e4, 1e4])
    for name in ("gan-ns", "gan-minimax"):
        loss = LOSSES[name]
        assert torch.isfinite(loss.d(real_logits=extreme, fake_logits=extreme))
        assert torch.isfinite(loss.g(fake_logits=extreme))


def test_losses_are_per_member_on_ensembles():
    logits = torch.stack([torch.zeros(6), torch.ones(6)])  # 2 members × 6 samples
    for name, loss in LOSSES.items():
        d, g = loss.d(real_logits=logits, fake_logits=logits), _g(loss, real=logits, fake=logits)
        assert d.shape == g.shape == (2,)
        assert d[0].item() == pytest.approx(loss.d(real_logits=ZERO, fake_logits=ZERO).item())
        assert g[1].item() == pytest.approx(_g(loss, real=ONE, fake=ONE).item())
