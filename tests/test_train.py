import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
import torch

import modecollapse.device as device_module
import modecollapse.train as train_module
from modecollapse.checkpoints import CheckpointMismatch, load_checkpoint, run_identity
from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.train import GANEnsemble, Interrupted, train
from modecollapse.variants import TRICKS, VARIANTS, variant_defaults

POINT_TRICKS = [name for name in TRICKS if name != "diffaugment"]  # DiffAugment transforms images only

TINY = dict(
    steps=40,
    g_width=16,
    g_depth=2,
    d_width=16,
    d_depth=1,
    d_maxout=2,
    snapshot_every=20,
    snapshot_samples=50,
    log_every=10,
    batch_size=32,
)


def settings_for(name: str, **overrides) -> TrainSettings:
    loss, defaults = variant_defaults(name)
    return TrainSettings(loss=loss, **{**TINY, **defaults, **overrides})


@pytest.fixture(scope="module")
def points():
    return sample_mixture(DATASETS["ring8"], n=2000, seed=0)[0]


def samples_of(result, seed):
    return next(m for m in result.members if m.seed == seed).samples


@pytest.mark.parametrize("name", ["gan-ns", "gan-minimax", "wgan-gp"])
def test_same_seed_same_run(points, name):
    settings = settings_for(name)
    first, second = train(data=points, settings=settings, seeds=[7]), train(data=points, settings=settings, seeds=[7])
    pd.testing.assert_frame_equal(samples_of(first, 7), samples_of(second, 7))
    pd.testing.assert_frame_equal(first.members[0].curves, second.members[0].curves)
    other = train(data=points, settings=settings, seeds=[8])
    assert not np.allclose(samples_of(first, 7)[["x", "y"]], samples_of(other, 8)[["x", "y"]], atol=0.05)


@pytest.mark.parametrize("name", ["gan-ns", "wgan-gp", "pacgan-2", "minibatch-disc", "sngan", "unrolled-5"])
def test_a_seed_alone_equals_the_same_seed_inside_an_ensemble(points, name):
    settings = settings_for(name, steps=50, snapshot_every=25)
    alone = train(data=points, settings=settings, seeds=[3])
    together = train(data=points, settings=settings, seeds=[1, 3, 5])
    mine, theirs = samples_of(alone, 3)[["x", "y"]].to_numpy(), samples_of(together, 3)[["x", "y"]].to_numpy()
    # Batched kernels round differently from single ones (e.g. vectorised sigmoid tails); over 50
    # adversarial steps that drifts to ~1e-3 on data of scale 1. Another seed differs by ~0.1-1.
    np.testing.assert_allclose(mine, theirs, atol=1e-2)
    assert np.abs(mine - samples_of(together, 1)[["x", "y"]].to_numpy()).max() > 0.05


def test_outputs_have_the_documented_shape(points):
    result = train(data=points, settings=settings_for("gan-ns"), seeds=[0, 1])
    assert [m.seed for m in result.members] == [0, 1]
    member = result.members[0]
    assert member.status == "ok" and member.diverged_step is None
    assert list(member.samples.columns) == ["step", "x", "y"]
    assert sorted(member.samples["step"].unique()) == [20, 40]
    assert (member.samples.groupby("step").size() == 50).all()
    assert list(member.curves.columns) == ["step", "d_loss", "g_loss"]
    assert list(member.curves["step"]) == [10, 20, 30, 40]


@pytest.mark.parametrize("dataset", ["ring8", "grid25"])
@pytest.mark.parametrize(
    "name", [*VARIANTS, *POINT_TRICKS, "hinge+sngan", "wgan-gp+pacgan-2", "hinge+gdpp", "wgan-gp+mode-seeking"]
)
def test_every_variant_trains_the_smoke_settings(name, dataset):
    data = sample_mixture(DATASETS[dataset], n=1000, seed=0)[0]
    result = train(data=data, settings=settings_for(name, steps=20, snapshot_every=10), seeds=[0, 1])
    for member in result.members:
        assert member.status == "ok", f"{name} diverged on {dataset}"
        assert np.isfinite(member.samples[["x", "y"]].to_numpy()).all()


def test_absurd_learning_rate_is_reported_as_divergence(points):
    # Adam at lr 1e6 moves every weight by ~1e6 a step: activations overflow float32 within steps.
    settings = settings_for("gan-minimax", g_width=32, d_width=32, d_depth=2, lr=1e6)
    member = train(data=points, settings=settings, seeds=[0]).members[0]
    assert member.status == "diverged"
    assert member.diverged_step == member.samples["step"].max()
    assert not np.isfinite(member.curves.iloc[-1][["d_loss", "g_loss"]].to_numpy(dtype=float)).all()


def test_a_diverging_member_stops_and_the_others_go_on(points, monkeypatch):
    original = train_module.init_members

    def poison_member_one(module, *, generators, **init):
        original(module, generators=generators, **init)
        if len(generators) == 3:
            with torch.no_grad():
                for p in module.parameters():
                    if p.dim() == 3:
                        p[1].fill_(float("inf"))  # member 1's weights: its losses are NaN at once

    monkeypatch.setattr(train_module, "init_members", poison_member_one)
    result = train(data=points, settings=settings_for("gan-ns"), seeds=[0, 1, 2])
    statuses = {m.seed: (m.status, m.diverged_step) for m in result.members}
    assert statuses == {0: ("ok", None), 1: ("diverged", 10), 2: ("ok", None)}
    monkeypatch.setattr(train_module, "init_members", original)
    alone = train(data=points, settings=settings_for("gan-ns"), seeds=[2])
    np.testing.assert_allclose(samples_of(result, 2)[["x", "y"]], samples_of(alone, 2)[["x", "y"]], atol=1e-2)


PROTOCOL_SETTINGS = {"update": "simultaneous", "z_distribution": "uniform", "g_lr": 3e-4, "bn_momentum": 0.05}


@pytest.mark.parametrize(
    ("name", "protocol"),
    [
        ("gan-ns", {}),
        ("wgan-gp", {}),
        ("sngan", {}),
        ("unrolled-5", {}),
        ("instance-noise", {}),
        ("gan-ns", {"lr_drop": 0.3}),  # the rates drop at step 18, before the checkpoint at 25
        ("unrolled-5", PROTOCOL_SETTINGS),
        ("pacgan-2", {"g_steps": 2, "z_reuse": True}),
    ],
)
def test_resume_from_checkpoint_reaches_the_uninterrupted_result(points, tmp_path, name, protocol):
    torch.use_deterministic_algorithms(True)
    try:
        settings = settings_for(name, steps=60, snapshot_every=20, **protocol)
        whole = train(data=points, settings=settings, seeds=[4, 5])
        with pytest.raises(Interrupted):
            train(
                data=points,
                settings=settings,
                seeds=[4, 5],
                checkpoint_dir=tmp_path,
                checkpoint_every=25,
                stop_after=33,
            )
        assert len(list(tmp_path.glob("*.pt"))) == 1
        resumed = train(data=points, settings=settings, seeds=[4, 5], checkpoint_dir=tmp_path, checkpoint_every=25)
    finally:
        torch.use_deterministic_algorithms(False)
    assert resumed.resumed_from_step == 25
    for seed in (4, 5):
        pd.testing.assert_frame_equal(samples_of(whole, seed), samples_of(resumed, seed))
        pd.testing.assert_frame_equal(whole.members[0].curves, resumed.members[0].curves)
    assert not list(tmp_path.glob("*.pt")), "a finished run removes its checkpoint"


def test_lr_drop_trains_as_a_constant_rate_until_the_drop_and_then_at_the_dropped_rate(points):
    constant = settings_for("gan-ns", steps=40, lr=1e-3, g_lr=5e-4)
    dropped = settings_for("gan-ns", steps=40, lr=1e-3, g_lr=5e-4, lr_drop=0.5, lr_drop_factor=0.1)
    ensemble = GANEnsemble(data=points, settings=dropped, seeds=[0], device="cpu")
    rates = []
    for step in (1, 20, 21, 40):
        ensemble.set_step(step)
        rates.append((ensemble.opt_d.param_groups[0]["lr"], ensemble.opt_g.param_groups[0]["lr"]))
    assert rates[:2] == [(1e-3, 5e-4)] * 2 and rates[2:] == [pytest.approx((1e-4, 5e-5))] * 2
    # the same numbers as a constant rate up to the drop (snapshot 20), different after it
    whole, drop = (train(data=points, settings=s, seeds=[0]) for s in (constant, dropped))

    def at(result, step):
        return samples_of(result, 0).query(f"step == {step}")

    pd.testing.assert_frame_equal(at(whole, 20), at(drop, 20))
    assert not at(whole, 40).equals(at(drop, 40))
    # a factor of 1 is a constant rate, bitwise
    unchanged = settings_for("gan-ns", steps=40, lr=1e-3, g_lr=5e-4, lr_drop=0.5, lr_drop_factor=1.0)
    same = train(data=points, settings=unchanged, seeds=[0])
    pd.testing.assert_frame_equal(samples_of(whole, 0), samples_of(same, 0))


@pytest.mark.parametrize(("drop", "factor"), [(1.0, 0.1), (-0.1, 0.1), (0.5, 0.0), (0.5, 1.5)])
def test_lr_drop_outside_its_range_is_refused_naming_both_ranges(drop, factor):
    with pytest.raises(ValueError, match=r"lr_drop .* in \[0, 1\) .* lr_drop_factor .* in \(0, 1\]"):
        settings_for("gan-ns", lr_drop=drop, lr_drop_factor=factor)


def test_a_killed_process_resumes_to_the_same_result(points, tmp_path):
    """SIGKILL a real training process after its first checkpoint; a rerun finishes the job."""
    settings = settings_for("gan-ns", steps=3000, snapshot_every=1000, log_every=100)
    np.save(tmp_path / "points.npy", points)
    script = textwrap.dedent(f"""
        import numpy as np, torch
        from modecollapse.config import TrainSettings
        from modecollapse.train import train
        torch.use_deterministic_algorithms(True)
        train(data=np.load({str(tmp_path / "points.npy")!r}), settings=TrainSettings(**{settings.__dict__!r}),
              seeds=[0], checkpoint_dir={str(tmp_path / "ckpt")!r}, checkpoint_every=200)
    """)
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not list((tmp_path / "ckpt").glob("*.pt")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the process finished before it could be killed"
    torch.use_deterministic_algorithms(True)
    try:
        resumed = train(
            data=points, settings=settings, seeds=[0], checkpoint_dir=tmp_path / "ckpt", checkpoint_every=200
        )
        whole = train(data=points, settings=settings, seeds=[0])
    finally:
        torch.use_deterministic_algorithms(False)
    assert resumed.resumed_from_step is not None and resumed.resumed_from_step % 200 == 0
    pd.testing.assert_frame_equal(samples_of(whole, 0), samples_of(resumed, 0))


def test_checkpoint_from_other_settings_is_refused(points, tmp_path):
    settings = settings_for("gan-ns", steps=60)
    with pytest.raises(Interrupted):
        train(data=points, settings=settings, seeds=[0], checkpoint_dir=tmp_path, checkpoint_every=20, stop_after=20)
    (path,) = tmp_path.glob("*.pt")
    other = run_identity(settings=settings_for("gan-ns", steps=60, lr=0.5), seeds=[0], data=points, device="cpu")
    with pytest.raises(CheckpointMismatch, match=r"differs in: lr.*Delete it to start this run afresh"):
        load_checkpoint(path, identity=other)
    same = run_identity(settings=settings, seeds=[0], data=points, device="cpu")
    assert load_checkpoint(path, identity=same)["step"] == 20


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_an_unreadable_checkpoint_is_set_aside_and_training_starts_afresh(points, tmp_path, damage):
    settings = settings_for("gan-ns", steps=60)
    with pytest.raises(Interrupted):
        train(data=points, settings=settings, seeds=[0], checkpoint_dir=tmp_path, checkpoint_every=20, stop_after=40)
    (path,) = tmp_path.glob("*.pt")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] if damage == "truncate" else b"not a checkpoint" * 100)
    with pytest.warns(UserWarning, match=rf"checkpoint {re.escape(str(path))} cannot be read .*starts from scratch"):
        result = train(data=points, settings=settings, seeds=[0], checkpoint_dir=tmp_path, checkpoint_every=20)
    assert result.resumed_from_step is None
    aside = path.with_name(path.name + ".unreadable")
    assert aside.exists() and aside.with_name(aside.name + ".txt").read_text().strip()
    fresh = train(data=points, settings=settings, seeds=[0])
    pd.testing.assert_frame_equal(samples_of(result, 0), samples_of(fresh, 0))


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


CAPTURE_CASES = [  # every loss and trick, both update rules, uniform codes, 2D and image nets
    *[(name, {}, None) for name in [*VARIANTS, *POINT_TRICKS]],
    ("unrolled-5", {"update": "simultaneous", "z_distribution": "uniform", "instance_noise": 0.1}, None),
    ("pacgan-2", {"g_steps": 2, "z_reuse": True}, None),
    # the rates drop at step 5 of 8: a graph must read them from their tensors, not replay the old ones
    *[(name, {"lr_drop": 0.5}, None) for name in ["gan-ns", "unrolled-5", "wgan-clip"]],
    *[
        (name, {"g_width": 4, "d_width": 4, "z_dim": 8}, (3, 8, 8))
        for name in ["gan-ns", "wgan-gp", "pacgan-3", "sngan", "diffaugment", "wgan-gp+diffaugment", "ali", "veegan"]
    ],
    ("diffaugment+pacgan-2", {"g_width": 4, "d_width": 4, "z_dim": 8, "update": "simultaneous"}, (3, 8, 8)),
    ("gdpp+mode-seeking", {"g_width": 4, "d_width": 4, "z_dim": 8}, (3, 8, 8)),
]


def _steps_as(mode: str, device: str, name: str, overrides: dict, image_shape, points, **kwargs):
    small = {"minibatch_kernels": 4} if "minibatch" in name else {}
    settings = settings_for(name, steps=8, snapshot_every=4, log_every=2, **small, **overrides)
    data = points if image_shape is None else np.random.default_rng(0).uniform(-1, 1, (300, 192)).astype(np.float32)
    return train(
        data=data, settings=settings, seeds=[1, 2], device=device, image_shape=image_shape, step_mode=mode, **kwargs
    )


def _assert_same_runs(first, second):
    for mine, theirs in zip(first.members, second.members, strict=True):
        pd.testing.assert_frame_equal(mine.samples, theirs.samples)
        pd.testing.assert_frame_equal(mine.curves, theirs.curves)
        assert mine.status == theirs.status


@pytest.mark.parametrize(("name", "overrides", "image_shape"), CAPTURE_CASES)
def test_draws_taken_ahead_into_fixed_buffers_give_the_eager_run_bitwise(points, name, overrides, image_shape):
    """What a captured CUDA graph reads: every draw of a step taken before it, in the step's order,
    into buffers that stay in place. On the CPU this runs the same ops as eager steps, so any
    miscount or misorder of draws (a trick's extra batch, the gradient penalty's α, instance noise,
    the unrolled critic's batches) shows as a difference."""
    eager = _steps_as("eager", "cpu", name, overrides, image_shape, points)
    _assert_same_runs(eager, _steps_as("draw-ahead", "cpu", name, overrides, image_shape, points))


def test_a_run_with_draws_taken_ahead_resumes_to_the_uninterrupted_result(points, tmp_path):
    settings = settings_for("wgan-gp", steps=40, snapshot_every=10, instance_noise=0.1)
    whole = train(data=points, settings=settings, seeds=[4, 5], step_mode="draw-ahead")
    with pytest.raises(Interrupted):
        train(
            data=points,
            settings=settings,
            seeds=[4, 5],
            checkpoint_dir=tmp_path,
            checkpoint_every=10,
            stop_after=15,
            step_mode="draw-ahead",
        )
    resumed = train(data=points, settings=settings, seeds=[4, 5], checkpoint_dir=tmp_path, step_mode="draw-ahead")
    assert resumed.resumed_from_step == 10
    _assert_same_runs(whole, resumed)


@pytest.mark.parametrize(
    ("mode", "device", "message"),
    [
        ("cuda-graph", "cpu", "step_mode cuda-graph needs a CUDA device, not 'cpu'"),
        ("fast", "cpu", "step mode 'fast' is not one of eager, draw-ahead, cuda-graph"),
    ],
)
def test_a_step_mode_that_cannot_run_is_refused_before_training(points, mode, device, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        train(data=points, settings=settings_for("gan-ns"), seeds=[0], device=device, step_mode=mode)


@pytest.fixture
def deterministic_cuda():
    """CUDA kernels as training jobs ask for them (device.use_deterministic_cuda), restored afterwards."""
    saved = (
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        torch.are_deterministic_algorithms_enabled(),
        torch.utils.deterministic.fill_uninitialized_memory,
    )
    device_module.use_deterministic_cuda()
    yield
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved[:2]
    torch.use_deterministic_algorithms(saved[2])
    torch.utils.deterministic.fill_uninitialized_memory = saved[3]


@cuda
@pytest.mark.parametrize(("name", "overrides", "image_shape"), CAPTURE_CASES)
def test_captured_cuda_steps_give_the_eager_run_bitwise(points, deterministic_cuda, name, overrides, image_shape):
    """The graph replays the kernels the eager step launched, on the same inputs: bitwise equal."""
    eager = _steps_as("eager", "cuda", name, overrides, image_shape, points)
    _assert_same_runs(eager, _steps_as("cuda-graph", "cuda", name, overrides, image_shape, points))


@cuda
@pytest.mark.parametrize("mode", ["eager", "cuda-graph"])
@pytest.mark.parametrize(
    ("name", "image_shape"), [("gan-ns", None), ("unrolled-5", None), ("wgan-gp", (3, 8, 8)), ("sngan", (3, 8, 8))]
)
def test_a_cuda_run_repeats_bitwise(points, deterministic_cuda, mode, name, image_shape):
    overrides = {"g_width": 4, "d_width": 4, "z_dim": 8} if image_shape else {}
    first = _steps_as(mode, "cuda", name, overrides, image_shape, points)
    _assert_same_runs(first, _steps_as(mode, "cuda", name, overrides, image_shape, points))


@cuda
@pytest.mark.parametrize("mode", ["eager", "cuda-graph"])
def test_cuda_resume_reaches_the_uninterrupted_result(points, tmp_path, deterministic_cuda, mode):
    settings = settings_for("wgan-gp", steps=60, snapshot_every=20, instance_noise=0.1)
    run = lambda **kw: train(data=points, settings=settings, seeds=[4, 5], device="cuda", step_mode=mode, **kw)  # noqa: E731
    whole = run()
    with pytest.raises(Interrupted):
        run(checkpoint_dir=tmp_path, checkpoint_every=25, stop_after=30)
    resumed = run(checkpoint_dir=tmp_path, checkpoint_every=25)
    assert resumed.resumed_from_step == 25
    _assert_same_runs(whole, resumed)


def _hand_step(points, settings: TrainSettings, seed: int, *, simultaneous: bool, z_reuse: bool = False) -> np.ndarray:
    """One iteration of gan-ns written out by hand with the library's nets and streams: the
    generator's samples on the fixed z set after it. Simultaneous: both gradients at the initial
    parameters from one real batch and the same fakes; alternating: D steps first, then G's loss
    is taken against the updated D on fresh fakes."""
    from modecollapse.losses import bce_discriminator_loss, ns_generator_loss
    from modecollapse.models import Discriminator, Generator, init_members
    from modecollapse.stepping import MemberStreams

    s, rng = settings, [torch.Generator().manual_seed(seed)]
    G = Generator(
        members=1, z_dim=s.z_dim, out_dim=2, width=s.g_width, depth=s.g_depth, batchnorm=True, bn_momentum=s.bn_momentum
    )
    D = Discriminator(
        members=1,
        in_dim=2,
        width=s.d_width,
        depth=s.d_depth,
        maxout=s.d_maxout,
        spectral_norm=False,
        minibatch_kernels=0,
        minibatch_kernel_dim=5,
    )
    init_members(G, std=s.init_std, generators=rng)
    init_members(D, std=s.init_std, generators=rng)
    fixed_z = torch.randn(1, s.snapshot_samples, s.z_dim, generator=rng[0])
    opt_g = torch.optim.Adam(G.parameters(), lr=s.lr, betas=(s.beta1, s.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=s.lr, betas=(s.beta1, s.beta2))
    streams, data = MemberStreams([seed], "cpu"), torch.as_tensor(points)
    real = data[streams.draw("data", (s.batch_size,), high=len(data))]
    z = streams.draw("noise", (s.batch_size, s.z_dim))
    fake = G(z)
    d_loss = bce_discriminator_loss(real_logits=D(real)[0], fake_logits=D(fake.detach())[0])
    d_grads = torch.autograd.grad(d_loss.sum(), list(D.parameters()))
    if simultaneous:  # G's gradient against the D that has not stepped yet, on the same fakes
        g_grads = torch.autograd.grad(ns_generator_loss(fake_logits=D(fake)[0]).sum(), list(G.parameters()))
    for param, grad in zip(D.parameters(), d_grads):
        param.grad = grad
    opt_d.step()
    if not simultaneous:
        fresh = G(z if z_reuse else streams.draw("noise", (s.batch_size, s.z_dim)))
        g_grads = torch.autograd.grad(ns_generator_loss(fake_logits=D(fresh)[0]).sum(), list(G.parameters()))
    for param, grad in zip(G.parameters(), g_grads):
        param.grad = grad
    opt_g.step()
    G.eval()
    with torch.no_grad():
        return G(fixed_z)[0].numpy()


@pytest.mark.parametrize(
    ("update", "z_reuse"), [("simultaneous", False), ("alternating", False), ("alternating", True)]
)
def test_one_step_of_each_update_rule_matches_a_hand_computed_step(points, update, z_reuse):
    settings = settings_for("gan-ns", steps=1, snapshot_every=1, update=update, z_reuse=z_reuse, bn_momentum=0.05)
    result = train(data=points, settings=settings, seeds=[4])
    trained = samples_of(result, 4)[["x", "y"]].to_numpy()
    hand = _hand_step(points, settings, 4, simultaneous=update == "simultaneous", z_reuse=z_reuse)
    # The same operations on the same values: equal but for the order of summation inside batched kernels.
    np.testing.assert_allclose(trained, hand, rtol=0, atol=1e-6)
    if z_reuse:  # and not what fresh codes for G's update give
        assert np.abs(hand - _hand_step(points, settings, 4, simultaneous=False)).max() > 1e-5


def test_simultaneous_updates_differ_from_alternating_ones(points):
    runs = {
        update: train(data=points, settings=settings_for("gan-ns", steps=1, snapshot_every=1, update=update), seeds=[4])
        for update in ("simultaneous", "alternating")
    }
    simultaneous, alternating = (samples_of(runs[u], 4)[["x", "y"]].to_numpy() for u in ("simultaneous", "alternating"))
    # After one step the two rules differ in G's update only (its gradient comes from another D and
    # other fakes): a difference of the order of one Adam step (lr 1e-4) per coordinate, far above rounding.
    assert np.abs(simultaneous - alternating).max() > 1e-5
    assert (
        np.abs(simultaneous - alternating).max()
        > 100
        * np.abs(
            simultaneous
            - _hand_step(points, settings_for("gan-ns", steps=1, update="simultaneous"), 4, simultaneous=True)
        ).max()
    )


def test_simultaneous_updates_need_one_d_and_one_g_step():
    with pytest.raises(ValueError, match="simultaneous.*d_steps: 1"):
        settings_for("wgan-gp", update="simultaneous")


@pytest.mark.parametrize(
    "name",
    [
        "gan-ns",
        "wgan-clip",
        "r1",
        "sngan",
        "unrolled-5",
        "pacgan-3",
        "minibatch-disc",
        "feature-matching",
        "instance-noise",
    ],
)
def test_every_variant_trains_with_simultaneous_updates_uniform_z_and_its_own_g_rates(points, name):
    extra = {} if name == "wgan-clip" else {"update": "simultaneous"}  # wgan-clip takes 5 critic steps
    settings = settings_for(name, steps=20, snapshot_every=10, z_distribution="uniform", g_lr=5e-4, g_steps=1, **extra)
    result = train(data=points, settings=settings, seeds=[0, 1])
    assert all(m.status == "ok" for m in result.members)
    assert {10, 20} == set(result.members[0].samples["step"])


def test_g_steps_update_the_generator_that_many_times_per_iteration(points):
    counts = {}
    original = torch.optim.Adam.step

    def counting(self, *args, **kwargs):
        counts[id(self)] = counts.get(id(self), 0) + 1
        return original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.optim.Adam, "step", counting)
        train(data=points, settings=settings_for("gan-ns", steps=5, snapshot_every=5, g_steps=2, d_steps=3), seeds=[0])
    assert sorted(counts.values()) == [10, 15]  # G: 2 per iteration; D: 3 per iteration


def test_uniform_latents_lie_in_the_unit_cube():
    from modecollapse.train import latent

    z = latent(torch.rand(1000, 3, generator=torch.Generator().manual_seed(0)), "uniform")
    assert z.min() >= -1 and z.max() < 1 and z.min() < -0.99 and z.max() > 0.99


def test_the_generator_takes_its_own_rates_only_where_set():
    from modecollapse.train import _optimizer

    params = [torch.nn.Parameter(torch.zeros(1))]
    own = TrainSettings(lr=2e-4, g_lr=1e-4, beta1=0.5, beta2=0.99, g_beta2=0.9)
    d, g = (
        _optimizer(params, own, generator=False).param_groups[0],
        _optimizer(params, own, generator=True).param_groups[0],
    )
    assert (d["lr"], d["betas"]) == (2e-4, (0.5, 0.99))
    assert (g["lr"], g["betas"]) == (1e-4, (0.5, 0.9))
    shared = _optimizer(params, TrainSettings(lr=2e-4, beta1=0.5), generator=True).param_groups[0]
    assert (shared["lr"], shared["betas"]) == (2e-4, (0.5, 0.999))


def test_stacking_on_the_fly_draws_three_base_images_per_training_image(monkeypatch):
    """Each real image of a batch is three base images on its channels, drawn afresh every step."""
    from modecollapse.data import digits_family, scale_images

    base = scale_images(digits_family(seed=0)["train_images"]).reshape(-1, 64)
    from modecollapse import models

    seen = []  # every input of the discriminator: real batch, fake batch, G's fake batch, next step's real...
    forward = models.ConvDiscriminator.forward

    def spy(self, x):
        seen.append(x.detach().clone())
        return forward(self, x)

    monkeypatch.setattr(models.ConvDiscriminator, "forward", spy)
    settings = TrainSettings(
        steps=2,
        batch_size=4,
        z_dim=4,
        g_width=2,
        d_width=2,
        snapshot_every=2,
        snapshot_samples=4,
        log_every=1,
        lr=1e-3,
        beta1=0.5,
    )
    train(data=base, settings=settings, seeds=[0], image_shape=(3, 8, 8), stacked_online=True)
    rows = {row.numpy().tobytes() for row in torch.as_tensor(base)}
    real = seen[0][0]  # the first D input is a real batch: (batch, 3·64)
    assert real.shape == (4, 192)
    assert all(channel.numpy().tobytes() in rows for channel in real.reshape(-1, 64))
    assert not torch.equal(seen[0], seen[3])  # the next step's real batch is drawn afresh


# --- which GPU a job trains on (device.claim_gpu: locks, so testable without a GPU) ------------


def test_concurrent_jobs_spread_over_the_gpus_and_share_them_beyond_one_each(tmp_path):
    slots = tmp_path / "slots"
    first, second, third = (device_module.claim_gpu(slots, 2) for _ in range(3))
    assert [first[0], second[0], third[0]] == ["cuda:0", "cuda:1", "cuda:0"]  # slot 2 shares the first GPU
    first[1].close()  # a job ends: its slot, and so its GPU, is free again
    again = device_module.claim_gpu(slots, 2)
    assert again[0] == "cuda:0" and again[1].name.endswith("slot0.lock")
    for _, handle in (second, third, again):
        handle.close()


def test_a_gpu_slot_is_held_by_another_process_until_it_ends(tmp_path):
    """The lock is the system's (flock): another job's slot is taken while it runs, and free once
    it has ended, a kill included, so a crashed job never keeps a GPU."""
    slots = tmp_path / "slots"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from modecollapse.device import claim_gpu
            device, lock = claim_gpu({str(slots)!r}, 2)
            print(device, flush=True)
            time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "cuda:0"
        device, lock = device_module.claim_gpu(slots, 2)
        assert device == "cuda:1" and lock.name.endswith("slot1.lock")
        lock.close()
    finally:
        holder.kill()
        holder.wait()
    device, lock = device_module.claim_gpu(slots, 2)
    assert lock.name.endswith("slot0.lock")
    lock.close()


def test_one_visible_gpu_is_taken_without_a_lock(tmp_path):
    """A SLURM job sees only its own GPU: nothing to spread, so no lock (and no file system) is asked."""
    assert device_module.claim_gpu(tmp_path / "not" / "made", 1) == ("cuda:0", None)
    assert not (tmp_path / "not").exists()


def test_slots_that_cannot_be_locked_fall_back_to_the_process_id(tmp_path, monkeypatch):
    """Lustre or NFS without locking answers flock with ENOLCK (or EOPNOTSUPP): the job warns and
    trains, on a GPU chosen by its process id, instead of crashing."""
    import errno

    def no_locks(handle, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(device_module.fcntl, "flock", no_locks)
    with pytest.warns(UserWarning, match=r"cannot be locked \(OSError: .*No locks available\); training on cuda:"):
        device, lock = device_module.claim_gpu(tmp_path / "slots", 4)
    assert device == f"cuda:{os.getpid() % 4}" and lock is None


def test_every_study_on_a_machine_shares_one_slot_folder(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    first = device_module.gpu_slots_dir()
    assert first == device_module.gpu_slots_dir() and first.name == "0,1"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert device_module.gpu_slots_dir() != first  # other GPUs, other slots


def test_claiming_a_gpu_where_there_is_none_says_so(tmp_path):
    with pytest.raises(ValueError, match=r"no CUDA device to claim \(device_count=0\)"):
        device_module.claim_gpu(tmp_path, 0)


@pytest.mark.parametrize("tf32", [True, False])
def test_float32_precision_is_one_setting_for_matmuls_and_convolutions(tf32):
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        device_module.set_float32_precision(tf32=tf32)
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == (tf32, tf32)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def test_cuda_jobs_ask_for_deterministic_kernels(monkeypatch):
    """The flags a CUDA training job sets (whether every kernel on a given GPU then repeats
    bitwise is measured there, not here)."""
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    saved = (
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.utils.deterministic.fill_uninitialized_memory,
    )
    try:
        device_module.use_deterministic_cuda()
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()
        assert not torch.utils.deterministic.fill_uninitialized_memory  # no NaN-fill launch per new tensor
    finally:
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved[:2]
        torch.use_deterministic_algorithms(saved[2], warn_only=saved[3])
        torch.utils.deterministic.fill_uninitialized_memory = saved[4]


def test_a_checkpoint_of_another_float32_precision_is_refused(points, tmp_path):
    """A CUDA run written in full float32 must not resume under tf32 (or back): one run, one precision."""
    settings = settings_for("gan-ns", steps=60)
    path = tmp_path / "checkpoint.pt"
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        device_module.set_float32_precision(tf32=False)  # as a training job sets it (config tf32: false)
        full = run_identity(settings=settings, seeds=[0], data=points, device="cuda")
        torch.save({"identity": full, "step": 20}, path)
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        tf32 = run_identity(settings=settings, seeds=[0], data=points, device="cuda")
        cpu_with_flags = run_identity(settings=settings, seeds=[0], data=points, device="cpu")
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn
    with pytest.raises(CheckpointMismatch, match=r"differs in: float32"):
        load_checkpoint(path, identity=tf32)
    # on the CPU the flags change nothing, so they do not change the identity either
    assert cpu_with_flags == run_identity(settings=settings, seeds=[0], data=points, device="cpu")


def test_maxout_gradients_equal_those_of_max_over_pieces():
    """EnsembleMaxout reduces its pieces with amax on CUDA (a mask in backward, not the scatter that
    deterministic CUDA sorts) and max(dim).values on the CPU (faster there): the same outputs and
    gradients away from exact ties, so a run's numbers do not depend on which."""
    from modecollapse.models import MAX_OVER_PIECES, EnsembleMaxout

    torch.manual_seed(0)
    layer = EnsembleMaxout(3, 4, 6, 5, spectral_norm=False)
    torch.nn.init.normal_(layer.linear.weight)  # distinct pieces: random inputs then tie with probability 0
    x, weights = torch.randn(3, 32, 4), torch.randn(3, 32, 6)
    outputs, gradients = {}, {}
    for device_type, reduce in MAX_OVER_PIECES.items():
        outputs[device_type] = reduce(layer.linear(x).view(3, 32, 6, 5))
        (gradients[device_type],) = torch.autograd.grad((outputs[device_type] * weights).sum(), layer.linear.weight)
    assert torch.equal(outputs["cuda"], outputs["cpu"]) and torch.equal(gradients["cuda"], gradients["cpu"])
    assert torch.equal(layer(x), outputs["cpu"])
    # CUDA's backward is amax's mask, not max's index scatter (a sort under deterministic CUDA)
    assert outputs["cuda"].grad_fn.name() == "AmaxBackward0"


def test_a_2d_snapshot_in_pieces_equals_one_pass(points):
    """As for images (tests/test_images.py): equal up to float rounding, repeatable, and one pass bitwise
    within one chunk, which every snapshot of up to SAMPLE_CHUNK codes is."""
    from modecollapse.train import SAMPLE_CHUNK, GANEnsemble

    settings = settings_for("gan-ns", snapshot_samples=1000)
    ensemble = GANEnsemble(data=points, settings=settings, seeds=[0, 1, 2], device="cpu")
    whole = ensemble.sample(chunk=1000)
    assert SAMPLE_CHUNK >= 1000 and torch.equal(ensemble.sample(), whole)
    assert torch.equal(ensemble.sample(chunk=333), ensemble.sample(chunk=333))
    torch.testing.assert_close(ensemble.sample(chunk=333), whole, rtol=1e-5, atol=1e-6)
