import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
import torch

import modecollapse.train as train_module
from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.train import CheckpointMismatch, Interrupted, load_checkpoint, run_identity, train
from modecollapse.variants import TRICKS, VARIANTS, variant_defaults

TINY = dict(steps=40, g_width=16, g_depth=2, d_width=16, d_depth=1, d_maxout=2, snapshot_every=20,
            snapshot_samples=50, log_every=10, batch_size=32)


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
@pytest.mark.parametrize("name", [*VARIANTS, *TRICKS, "hinge+sngan", "wgan-gp+pacgan-2"])
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

    def poison_member_one(module, *, std, generators):
        original(module, std=std, generators=generators)
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


@pytest.mark.parametrize("name", ["gan-ns", "wgan-gp", "sngan", "unrolled-5", "instance-noise"])
def test_resume_from_checkpoint_reaches_the_uninterrupted_result(points, tmp_path, name):
    torch.use_deterministic_algorithms(True)
    try:
        settings = settings_for(name, steps=60, snapshot_every=20)
        whole = train(data=points, settings=settings, seeds=[4, 5])
        with pytest.raises(Interrupted):
            train(data=points, settings=settings, seeds=[4, 5], checkpoint_dir=tmp_path, checkpoint_every=25, stop_after=33)
        assert len(list(tmp_path.glob("*.pt"))) == 1
        resumed = train(data=points, settings=settings, seeds=[4, 5], checkpoint_dir=tmp_path, checkpoint_every=25)
    finally:
        torch.use_deterministic_algorithms(False)
    assert resumed.resumed_from_step == 25
    for seed in (4, 5):
        pd.testing.assert_frame_equal(samples_of(whole, seed), samples_of(resumed, seed))
        pd.testing.assert_frame_equal(whole.members[0].curves, resumed.members[0].curves)
    assert not list(tmp_path.glob("*.pt")), "a finished run removes its checkpoint"


def test_a_killed_process_resumes_to_the_same_result(points, tmp_path):
    """SIGKILL a real training process after its first checkpoint; a rerun finishes the job."""
    settings = settings_for("gan-ns", steps=3000, snapshot_every=1000, log_every=100)
    np.save(tmp_path / "points.npy", points)
    script = textwrap.dedent(f"""
        import numpy as np, torch
        from modecollapse.config import TrainSettings
        from modecollapse.train import train
        torch.use_deterministic_algorithms(True)
        train(data=np.load({str(tmp_path / 'points.npy')!r}), settings=TrainSettings(**{settings.__dict__!r}),
              seeds=[0], checkpoint_dir={str(tmp_path / 'ckpt')!r}, checkpoint_every=200)
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
        resumed = train(data=points, settings=settings, seeds=[0], checkpoint_dir=tmp_path / "ckpt", checkpoint_every=200)
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


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda
@pytest.mark.parametrize("name", ["gan-ns", "wgan-gp", "unrolled-5"])
def test_cuda_training_matches_across_ensembles(points, name):
    settings = settings_for(name, steps=50, snapshot_every=25)
    alone = train(data=points, settings=settings, seeds=[3], device="cuda")
    together = train(data=points, settings=settings, seeds=[1, 3, 5], device="cuda")
    assert together.device == "cuda" and all(m.status == "ok" for m in together.members)
    np.testing.assert_allclose(samples_of(alone, 3)[["x", "y"]], samples_of(together, 3)[["x", "y"]], atol=1e-2)


@cuda
def test_cuda_resume_reaches_the_uninterrupted_result(points, tmp_path):
    settings = settings_for("gan-ns", steps=60, snapshot_every=20)
    whole = train(data=points, settings=settings, seeds=[4, 5], device="cuda")
    with pytest.raises(Interrupted):
        train(data=points, settings=settings, seeds=[4, 5], device="cuda", checkpoint_dir=tmp_path, checkpoint_every=25, stop_after=30)
    resumed = train(data=points, settings=settings, seeds=[4, 5], device="cuda", checkpoint_dir=tmp_path, checkpoint_every=25)
    for seed in (4, 5):  # cuBLAS may pick other kernels after a restart: equal up to float rounding
        np.testing.assert_allclose(samples_of(whole, seed)[["x", "y"]], samples_of(resumed, seed)[["x", "y"]], atol=1e-3)
