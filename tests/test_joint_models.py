"""ALI and VEEGAN: a joint D(x, z) and an encoder (ALI) or reconstructor (VEEGAN) trained with G."""

import copy
import math

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.losses import LOSSES, ali_generator_loss, veegan_discriminator_loss, veegan_generator_loss
from modecollapse.models import networks
from modecollapse.train import GANEnsemble, train
from modecollapse.variants import variant_defaults

TINY = dict(
    steps=12,
    g_width=8,
    g_depth=1,
    d_width=8,
    d_depth=1,
    d_maxout=2,
    e_width=8,
    e_depth=1,
    z_dim=3,
    snapshot_every=6,
    snapshot_samples=20,
    log_every=3,
    batch_size=16,
)


def settings_for(name: str, **overrides) -> TrainSettings:
    loss, defaults = variant_defaults(name)
    return TrainSettings(loss=loss, **{**TINY, **defaults, **overrides})


@pytest.fixture(scope="module")
def points():
    return sample_mixture(DATASETS["ring8"], n=500, seed=0)[0]


def test_the_joint_losses_at_known_logits():
    zero, two = torch.zeros(1, 4), torch.full((1, 4), 2.0)
    # ALI: softplus(D(x, E(x))) + softplus(-D(G(z), z)); both 0 -> 2 log 2
    assert ali_generator_loss(real_logits=zero, fake_logits=zero).item() == pytest.approx(2 * math.log(2))
    # a D sure of the real pairs (logit 2) costs E log(1 + e^2), a fake pair it calls real costs G log(1 + e^-2)
    expected = math.log(1 + math.exp(2)) + math.log(1 + math.exp(-2))
    assert ali_generator_loss(real_logits=two, fake_logits=two).item() == pytest.approx(expected)
    # VEEGAN labels fakes 1: D at logit 2 on fakes and -2 on real pairs is nearly right
    low = veegan_discriminator_loss(real_logits=-two, fake_logits=two).item()
    assert low == pytest.approx(2 * math.log(1 + math.exp(-2)))
    assert veegan_discriminator_loss(real_logits=two, fake_logits=-two).item() > 4
    assert veegan_generator_loss(fake_logits=torch.tensor([[1.0, 3.0]])).item() == pytest.approx(2.0)


def test_the_joint_nets_judge_pairs_and_encode_data():
    s = settings_for("ali")
    G, D, E = networks(s, 2, None, point_dim=2)
    assert D(torch.zeros(2, 5, 2 + s.z_dim))[0].shape == (2, 5)
    assert E(torch.zeros(2, 5, 2 + s.e_noise_dim)).shape == (2, 5, s.z_dim)
    v = settings_for("veegan", noise_dim=1)
    G, D, F_ = networks(v, 2, None, point_dim=2)
    assert G(torch.zeros(2, 5, v.z_dim + 1)).shape == (2, 5, 2)
    assert F_(torch.zeros(2, 5, 2)).shape == (2, 5, v.z_dim)
    assert networks(settings_for("gan-ns"), 2, None)[2] is None
    # images: a conv encoder on D's trunk, and the code joins D's features before its head
    image = settings_for("ali", g_width=4, d_width=4, z_dim=5)
    G, D, E = networks(image, 2, (1, 8, 8))
    assert E(torch.zeros(2, 3, 64 + image.e_noise_dim)).shape == (2, 3, 5)
    assert D(torch.zeros(2, 3, 64 + 5))[0].shape == (2, 3)


class Recorder:
    """The ensemble's draws, recorded as the step takes them."""

    def __init__(self, ensemble):
        self.ensemble, self.taken = ensemble, []

    def __call__(self, purpose):
        value = self.ensemble.draw(purpose)
        self.taken.append((purpose, value.clone()))
        return value

    def of(self, purpose):
        return [v for p, v in self.taken if p == purpose]


def _one_step_gradients(points, name, **overrides):
    """The gradients one simultaneous step sets on D's and on G's and E's parameters, the nets before
    the step, and the draws it took (optimisers not stepped)."""
    s = settings_for(name, update="simultaneous", **overrides)
    ensemble = GANEnsemble(data=points, settings=s, seeds=[3, 4], device="cpu")
    nets = copy.deepcopy((ensemble.G, ensemble.D, ensemble.E))
    ensemble.opt_d.step = ensemble.opt_g.step = lambda: None
    draws = Recorder(ensemble)
    ensemble.step(draws)
    grads = {
        "D": [p.grad.clone() for p in ensemble.D.parameters()],
        "G": [p.grad.clone() for p in ensemble.G.parameters()],
        "E": [p.grad.clone() for p in ensemble.E.parameters()],
    }
    return s, nets, draws, grads, torch.as_tensor(points)


def _assert_gradients(expected, got):
    for net in ("D", "G", "E"):
        for mine, theirs in zip(expected[net], got[net], strict=True):
            # the same operations on the same values: equal up to summation order inside batched kernels
            torch.testing.assert_close(theirs, mine, rtol=1e-5, atol=1e-7)
        assert any(g.abs().max() > 0 for g in got[net]), f"{net} got no gradient"


def test_one_ali_step_matches_the_hand_computed_gradients(points):
    s, (G, D, E), draws, got, data = _one_step_gradients(points, "ali")
    (index,), (noise,), (eps,) = draws.of("data"), draws.of("noise"), draws.of("encoder")
    x = data[index]
    code = E(torch.cat([x, eps], dim=-1))  # E(x, ε)
    fake = G(noise)
    real_logits = D(torch.cat([x, code], dim=-1))[0]
    fake_logits = D(torch.cat([fake, noise], dim=-1))[0]
    # D: softplus(-D(x, E(x))) + softplus(D(G(z), z)), with E's codes and G's samples held fixed
    d_loss = (
        F.softplus(-D(torch.cat([x, code.detach()], dim=-1))[0]).mean(-1)
        + F.softplus(D(torch.cat([fake.detach(), noise], dim=-1))[0]).mean(-1)
    ).sum()
    # E and G: softplus(D(x, E(x))) + softplus(-D(G(z), z))
    g_loss = (F.softplus(real_logits).mean(-1) + F.softplus(-fake_logits).mean(-1)).sum()
    expected = {
        "D": torch.autograd.grad(d_loss, list(D.parameters())),
        "G": torch.autograd.grad(g_loss, list(G.parameters()), retain_graph=True),
        "E": torch.autograd.grad(g_loss, list(E.parameters())),
    }
    _assert_gradients(expected, got)


def test_one_veegan_step_matches_the_hand_computed_gradients(points):
    s, (G, D, F_), draws, got, data = _one_step_gradients(points, "veegan", noise_dim=1)
    (index,), (noise,), (spread,) = draws.of("data"), draws.of("noise"), draws.of("encoder")
    x, z = data[index], noise[..., : s.z_dim]
    fake = G(noise)  # G(z, ε)
    z_tilde = F_(x) + spread  # z̃ ~ N(F(x), 1)
    # D: BCE(D(z, G(z, ε)), 1) + BCE(D(z̃, x), 0)
    d_loss = (
        F.softplus(-D(torch.cat([fake.detach(), z], dim=-1))[0]).mean(-1)
        + F.softplus(D(torch.cat([x, z_tilde.detach()], dim=-1))[0]).mean(-1)
    ).sum()
    # G and F: D(z, G(z, ε)) + ½‖z − F(G(z, ε))‖²; F's gradient comes from the reconstruction alone
    reconstruction = 0.5 * ((z - F_(fake)) ** 2).sum(-1).mean(-1)
    g_loss = (D(torch.cat([fake, z], dim=-1))[0].mean(-1) + reconstruction).sum()
    expected = {
        "D": torch.autograd.grad(d_loss, list(D.parameters())),
        "G": torch.autograd.grad(g_loss, list(G.parameters()), retain_graph=True),
        "E": torch.autograd.grad(reconstruction.sum(), list(F_.parameters())),
    }
    _assert_gradients(expected, got)


def _runs_equal(first, second):
    for mine, theirs in zip(first.members, second.members, strict=True):
        pd.testing.assert_frame_equal(mine.samples, theirs.samples)
        pd.testing.assert_frame_equal(mine.curves, theirs.curves)


@pytest.mark.parametrize("name", ["ali", "veegan", "ali+gdpp", "veegan+mode-seeking", "ali+minibatch-disc"])
@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_joint_models_train_resume_and_draw_ahead_bitwise(points, tmp_path, name, update):
    overrides = {"minibatch_kernels": 3} if "minibatch" in name else {}
    s = settings_for(name, update=update, noise_dim=1 if "veegan" in name else 0, **overrides)
    whole = train(data=points, settings=s, seeds=[1, 2])
    for member in whole.members:
        assert member.status == "ok" and np.isfinite(member.samples[["x", "y"]].to_numpy()).all()
    _runs_equal(whole, train(data=points, settings=s, seeds=[1, 2], step_mode="draw-ahead"))
    from modecollapse.train import Interrupted

    with pytest.raises(Interrupted):
        train(data=points, settings=s, seeds=[1, 2], checkpoint_dir=tmp_path, checkpoint_every=5, stop_after=7)
    resumed = train(data=points, settings=s, seeds=[1, 2], checkpoint_dir=tmp_path, checkpoint_every=5)
    assert resumed.resumed_from_step == 5
    _runs_equal(whole, resumed)


def test_ali_on_images_trains_with_a_conv_encoder():
    data = np.random.default_rng(0).uniform(-1, 1, (200, 64)).astype(np.float32)
    s = settings_for("ali", g_width=4, d_width=4, z_dim=6, steps=4, snapshot_every=2, log_every=2, batch_size=8)
    result = train(data=data, settings=s, seeds=[0, 1], image_shape=(1, 8, 8))
    assert all(m.status == "ok" for m in result.members)
    eager = train(data=data, settings=s, seeds=[0, 1], image_shape=(1, 8, 8))
    ahead = train(data=data, settings=s, seeds=[0, 1], image_shape=(1, 8, 8), step_mode="draw-ahead")
    _runs_equal(eager, ahead)


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        ("ali+unrolled-5", {}, "unrolled_steps"),
        ("veegan+pacgan-2", {}, "pack"),
        ("ali+feature-matching", {}, "feature_matching"),
        ("veegan", {"e_noise_dim": 2}, "e_noise_dim must be 0"),
    ],
)
def test_what_a_joint_model_cannot_take_is_refused_with_the_reason(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        settings_for(name, **overrides)


def test_the_joint_losses_are_registered_as_joint():
    assert LOSSES["ali"].joint == "ali" and LOSSES["ali"].g_sees_real
    assert LOSSES["veegan"].joint == "veegan" and not LOSSES["veegan"].g_sees_real
    assert not LOSSES["gan-ns"].joint
