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
        # Wasserstein: D = E D(fake) - E D(real); G = -E D(fake).
        ("wasserstein", ONE, ZERO, -1.0, 0.0),
        ("wasserstein", ZERO, ONE, 1.0, -1.0),
    ],
)
def test_loss_values(name, real, fake, d_expected, g_expected):
    loss = LOSSES[name]
    assert loss.d(real_logits=real, fake_logits=fake).item() == pytest.approx(d_expected, rel=1e-6)
    assert loss.g(fake_logits=fake).item() == pytest.approx(g_expected, rel=1e-6, abs=1e-7)


def test_bce_losses_stay_finite_at_extreme_logits():
    extreme = torch.tensor([-1e4, 1e4])
    for name in ("gan-ns", "gan-minimax"):
        loss = LOSSES[name]
        assert torch.isfinite(loss.d(real_logits=extreme, fake_logits=extreme))
        assert torch.isfinite(loss.g(fake_logits=extreme))
