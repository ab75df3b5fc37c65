"""GDPP, mode seeking and DiffAugment inside the training loop (their functions: test_tricks.py, test_augment.py)."""

import copy

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import modecollapse.train as train_module
from modecollapse.config import ConfigError, TrainSettings, validate_config
from modecollapse.regularisers import gdpp_loss
from modecollapse.train import GANEnsemble, Interrupted, train
from modecollapse.variants import variant_defaults

TINY = dict(
    steps=12, g_width=8, g_depth=1, d_width=8, d_depth=1, d_maxout=2, snapshot_every=6, snapshot_samples=20,
    log_every=3, batch_size=16,
)  # fmt: skip
IMAGE = dict(steps=6, g_width=4, d_width=4, z_dim=8, snapshot_every=3, snapshot_samples=10, log_every=3, batch_size=8)
SHAPE = (3, 8, 8)


def settings_for(name: str, base=TINY, **overrides) -> TrainSettings:
    loss, defaults = variant_defaults(name)
    return TrainSettings(loss=loss, **{**base, **defaults, **overrides})


@pytest.fixture(scope="module")
def points():
    from modecollapse.data import DATASETS, sample_mixture

    return sample_mixture(DATASETS["grid25"], n=500, seed=0)[0]


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(-1, 1, (120, 192)).astype(np.float32)


def _runs_equal(first, second):
    for mine, theirs in zip(first.members, second.members, strict=True):
        pd.testing.assert_frame_equal(mine.samples, theirs.samples)
        pd.testing.assert_frame_equal(mine.curves, theirs.curves)


def _resumes_bitwise(tmp_path, **kwargs):
    whole = train(**kwargs)
    with pytest.raises(Interrupted):
        train(**kwargs, checkpoint_dir=tmp_path, checkpoint_every=2, stop_after=3)
    resumed = train(**kwargs, checkpoint_dir=tmp_path, checkpoint_every=2)
    assert resumed.resumed_from_step == 2
    _runs_equal(whole, resumed)
    return whole


@pytest.mark.parametrize("name", ["gdpp", "mode-seeking", "hinge+gdpp", "lsgan+mode-seeking", "gdpp+pacgan-2"])
def test_generator_side_remedies_train_on_points_and_resume_bitwise(points, tmp_path, name):
    whole = _resumes_bitwise(tmp_path, data=points, settings=settings_for(name), seeds=[0, 1])
    assert all(m.status == "ok" for m in whole.members)
    _runs_equal(whole, train(data=points, settings=settings_for(name), seeds=[0, 1], step_mode="draw-ahead"))


@pytest.mark.parametrize("name", ["diffaugment", "hinge+diffaugment", "diffaugment+mode-seeking", "ali+diffaugment"])
def test_diffaugment_trains_on_images_and_resumes_bitwise(images, tmp_path, name):
    s = settings_for(name, IMAGE)
    whole = _resumes_bitwise(tmp_path, data=images, settings=s, seeds=[2, 3], image_shape=SHAPE)
    assert all(m.status == "ok" for m in whole.members)
    _runs_equal(whole, train(data=images, settings=s, seeds=[2, 3], image_shape=SHAPE, step_mode="draw-ahead"))


def _one_step(data, s, image_shape=None, **patch):
    """An ensemble's one step without its optimisers stepping: its nets before it, the draws it took
    (purpose, value) and the gradients it set."""
    ensemble = GANEnsemble(data=data, settings=s, seeds=[5, 6], device="cpu", image_shape=image_shape)
    nets = copy.deepcopy((ensemble.G, ensemble.D))
    ensemble.opt_d.step = ensemble.opt_g.step = lambda: None
    taken = []

    def draw(purpose):
        value = ensemble.draw(purpose)
        taken.append((purpose, value.clone()))
        return value

    ensemble.step(draw)
    grads = {
        "G": [p.grad.clone() for p in ensemble.G.parameters()],
        "D": [p.grad.clone() for p in ensemble.D.parameters()],
    }
    return nets, taken, grads


def test_the_generator_loss_with_mode_seeking_is_the_plain_one_plus_lambda_over_lz(points):
    s = settings_for("mode-seeking", update="simultaneous", mode_seeking=2.5)
    (G, D), taken, grads = _one_step(points, s)
    real = torch.as_tensor(points)[next(v for p, v in taken if p == "data")]
    z = next(v for p, v in taken if p == "noise")
    fake = G(z)
    half = s.batch_size // 2
    lz = (fake[:, half:] - fake[:, :half]).abs().mean((1, 2)) / (z[:, half:] - z[:, :half]).abs().mean((1, 2))
    g_loss = F.softplus(-D(fake)[0]).mean(-1) + 2.5 / (lz + 1e-5)
    expected = torch.autograd.grad(g_loss.sum(), list(G.parameters()))
    for mine, theirs in zip(expected, grads["G"], strict=True):
        torch.testing.assert_close(theirs, mine, rtol=1e-5, atol=1e-7)  # summation order inside batched kernels
    assert real.shape[-1] == 2


def test_gdpp_halves_the_sum_of_the_generator_loss_and_the_dpp_loss(points):
    s = settings_for("gdpp", update="simultaneous")
    (G, D), taken, grads = _one_step(points, s)
    real = torch.as_tensor(points)[next(v for p, v in taken if p == "data")]
    fake = G(next(v for p, v in taken if p == "noise"))
    fake_logits, fake_features = D(fake)
    real_features = D(real)[1].detach()
    dpp = gdpp_loss(real_features=real_features, fake_features=fake_features)
    g_loss = 0.5 * (F.softplus(-fake_logits).mean(-1) + dpp)
    expected = torch.autograd.grad(g_loss.sum(), list(G.parameters()), retain_graph=True)
    for mine, theirs in zip(expected, grads["G"], strict=True):
        torch.testing.assert_close(theirs, mine, rtol=1e-5, atol=1e-7)  # summation order inside batched kernels
    plain = torch.autograd.grad(F.softplus(-D(fake)[0]).mean(-1).sum(), list(G.parameters()))
    assert any((a - b).abs().max() > 1e-6 for a, b in zip(plain, grads["G"])), "GDPP changed nothing"


def test_diffaugment_transforms_what_d_sees_in_both_steps_and_reaches_g(images, monkeypatch):
    seen = []
    original = train_module.diff_augment

    def recording(batch, policy, uniforms):
        seen.append(batch.requires_grad)
        return original(batch, policy, uniforms)

    monkeypatch.setattr(train_module, "diff_augment", recording)
    s = settings_for("diffaugment", IMAGE)
    (_, _), taken, grads = _one_step(images, s, image_shape=SHAPE)
    # alternating: D's real and fake batches, then G's fakes; only G's fakes carry G's graph
    assert seen == [False, False, True]
    assert sum(p == "augment" for p, _ in taken) == 3
    assert all(g.shape == next(v for p, v in taken if p == "augment").shape for p, g in taken if p == "augment")
    assert any(g.abs().max() > 0 for g in grads["G"])
    monkeypatch.setattr(train_module, "diff_augment", original)
    # without augmentation the same draws give other gradients: the augmentation is in G's path
    plain = settings_for("gan-ns", IMAGE)
    _, _, plain_grads = _one_step(images, plain, image_shape=SHAPE)
    assert any((a - b).abs().max() > 1e-7 for a, b in zip(plain_grads["G"], grads["G"]))


def _config(variants, datasets):
    return {"datasets": datasets, "seeds": [0], "variants": {v: {} for v in variants}}


def test_diffaugment_on_points_is_refused_naming_the_run_the_dataset_and_why():
    with pytest.raises(ConfigError) as error:
        validate_config(_config(["hinge+diffaugment"], ["ring8"]), schema=_schema())
    message = str(error.value)
    assert "hinge+diffaugment" in message and "ring8" in message and "2D points" in message
    validate_config(_config(["hinge+diffaugment"], ["digits"]), schema=_schema())  # images: accepted


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"diffaugment": "color,zoom"}, "does not match"),
        ({"mode_seeking": -1.0}, "minimum"),
        ({"init": "xavier"}, "not allowed"),
        ({"g_activation": "gelu"}, "not allowed"),
        ({"e_noise_dim": 5000}, "maximum"),
    ],
)
def test_bad_values_of_the_new_settings_are_refused_by_the_schema(overrides, message):
    with pytest.raises(ConfigError, match=message):
        validate_config({**_config(["gan-ns"], ["digits"]), "train": overrides}, schema=_schema())


def test_a_repeated_policy_part_is_refused_naming_it():
    with pytest.raises(ValueError, match="color"):
        settings_for("gan-ns", diffaugment="color,color")


def test_mode_seeking_needs_two_samples_a_batch():
    with pytest.raises(ValueError, match="batch_size >= 2"):
        settings_for("mode-seeking", batch_size=1)


def _schema():
    from modecollapse.config import load_schema

    return load_schema()


def test_tanh_nets_and_orthogonal_weights_build_gdpps_2d_setting():
    from modecollapse.models import init_members, networks

    s = settings_for(
        "gdpp", g_activation="tanh", d_activation="tanh", d_maxout=1, g_batchnorm=False, init="orthogonal",
        init_gain=1.4, z_dim=256, g_width=128, g_depth=2, d_width=128, d_depth=2,
    )  # fmt: skip
    G, D, E = networks(s, 2, None)
    generators = [torch.Generator().manual_seed(seed) for seed in (0, 1)]
    init_members(G, std=s.init_std, generators=generators, init=s.init, gain=s.init_gain)
    first = G.net[0].weight[0]  # 256 x 128: its 128 columns orthonormal, times the gain
    torch.testing.assert_close(first.T @ first, 1.4**2 * torch.eye(128), rtol=0, atol=1e-4)  # float32 QR
    assert not torch.equal(G.net[0].weight[0], G.net[0].weight[1])  # each member its own draw
    assert [type(m).__name__ for m in G.net] == ["EnsembleLinear", "Tanh", "EnsembleLinear", "Tanh", "EnsembleLinear"]
    assert sum(type(m).__name__ == "Tanh" for m in D.hidden) == 2 and E is None


def test_fresh_data_draws_every_batch_from_the_mixture_and_resumes_bitwise(points, tmp_path):
    from modecollapse.data import DATASETS

    grid = DATASETS["grid25"]
    mixture = (np.asarray(grid.centers), np.full(25, grid.std))
    s = settings_for("gan-ns", fresh_data=True, batch_size=500)
    ensemble = GANEnsemble(data=points[:10], settings=s, seeds=[0, 1], device="cpu", mixture=mixture)
    batch = ensemble._real_batch(ensemble.draw).reshape(-1, 2).numpy()
    centres = np.asarray(grid.centers)
    nearest = np.linalg.norm(batch[:, None] - centres[None], axis=-1)
    assert (nearest.min(1) < 5 * grid.std).all()  # every point at a mode, none from the 10-point fixed set alone
    assert len(np.unique(nearest.argmin(1))) == 25  # 1000 draws reach every mode
    _resumes_bitwise(
        tmp_path, data=points, settings=settings_for("gan-ns", fresh_data=True), seeds=[0, 1], mixture=mixture
    )
    eager = train(data=points, settings=settings_for("gan-ns", fresh_data=True), seeds=[0, 1], mixture=mixture)
    ahead = train(
        data=points,
        settings=settings_for("gan-ns", fresh_data=True),
        seeds=[0, 1],
        mixture=mixture,
        step_mode="draw-ahead",
    )
    _runs_equal(eager, ahead)
    fixed = train(data=points, settings=settings_for("gan-ns"), seeds=[0, 1])
    assert not fixed.members[0].curves.equals(eager.members[0].curves)
    with pytest.raises(ValueError, match="fresh_data draws from a 2D Gaussian mixture"):
        GANEnsemble(data=points, settings=s, seeds=[0], device="cpu")


def test_fresh_data_on_images_is_refused():
    with pytest.raises(ConfigError, match="fresh_data draws points from a 2D Gaussian mixture and digits is images"):
        validate_config({**_config(["gan-ns"], ["digits"]), "train": {"fresh_data": True}}, schema=_schema())


def test_gdpp_under_captured_cuda_graphs_is_refused():
    with pytest.raises(ConfigError, match="gdpp's eigendecompositions cannot run inside a captured CUDA graph"):
        validate_config({**_config(["hinge+gdpp"], ["ring8"]), "cuda_graphs": True}, schema=_schema())


def test_negated_critic_objective_is_minus_the_unrolled_d_loss_on_its_own_batch(points):
    # with D's lr 0 the unrolled D is D itself, so in a simultaneous step G's loss is exactly
    # minus the D loss of the same real batch and fakes
    s = settings_for("unrolled-1", lr=0.0, g_lr=1e-3, update="simultaneous", unrolled_objective="negated-critic")
    ensemble = GANEnsemble(data=points, settings=s, seeds=[0, 1], device="cpu")
    d_loss, g_loss = ensemble.step(ensemble.draw)
    torch.testing.assert_close(g_loss, -d_loss)
    default = GANEnsemble(data=points, settings=settings_for("unrolled-1", lr=0.0, update="simultaneous"),
                          seeds=[0, 1], device="cpu")  # fmt: skip
    assert not torch.allclose(default.step(default.draw)[1], g_loss)  # the non-saturating loss is another number


@pytest.mark.parametrize(("objective", "fakes_per_g_step"), [("generator", 2), ("negated-critic", 1)])
def test_alternating_negated_critic_steps_g_on_the_unrolling_fakes(points, objective, fakes_per_g_step):
    s = settings_for("unrolled-1", update="alternating", d_steps=2, unrolled_objective=objective)
    ensemble = GANEnsemble(data=points, settings=s, seeds=[0], device="cpu")
    calls, fake_inputs = [], ensemble._fake_inputs
    ensemble._fake_inputs = lambda draw, z=None: calls.append(1) or fake_inputs(draw, z)
    ensemble.step(ensemble.draw)
    assert len(calls) == s.d_steps + fakes_per_g_step * s.g_steps


def test_negated_critic_objective_needs_unrolling_and_excludes_feature_matching():
    with pytest.raises(ValueError, match="unrolled_objective: negated-critic needs unrolled_steps >= 1"):
        settings_for("gan-ns", unrolled_objective="negated-critic")
    with pytest.raises(ValueError, match="replaces G's loss, and so does feature_matching"):
        settings_for("unrolled-1", unrolled_objective="negated-critic", feature_matching=True)
    with pytest.raises(ConfigError, match="unrolled_objective"):
        validate_config({**_config(["unrolled-1"], ["ring8"]), "train": {"unrolled_objective": "minimax"}},
                        schema=_schema())  # fmt: skip
