import numpy as np
import pandas as pd
import pytest

from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.train import train

TINY = dict(steps=40, g_width=16, g_depth=2, d_width=16, d_depth=1, d_maxout=2, snapshot_every=20, snapshot_samples=50, log_every=10, batch_size=32)


@pytest.fixture(scope="module")
def points():
    return sample_mixture(DATASETS["ring8"], n=2000, seed=0)[0]


@pytest.mark.parametrize("extra", [{"loss": "gan-ns"}, {"loss": "gan-minimax"}, {"loss": "wasserstein", "gp_weight": 10.0, "d_steps": 2}])
def test_same_seed_same_run(points, extra):
    settings = TrainSettings(**TINY, **extra)
    first, second = train(data=points, settings=settings, seed=7), train(data=points, settings=settings, seed=7)
    pd.testing.assert_frame_equal(first.samples, second.samples)
    pd.testing.assert_frame_equal(first.curves, second.curves)
    other = train(data=points, settings=settings, seed=8)
    assert not np.allclose(first.samples[["x", "y"]], other.samples[["x", "y"]])


def test_outputs_have_the_documented_shape(points):
    result = train(data=points, settings=TrainSettings(**TINY), seed=0)
    assert result.status == "ok" and result.diverged_step is None
    assert list(result.samples.columns) == ["step", "x", "y"]
    assert sorted(result.samples["step"].unique()) == [20, 40]
    assert (result.samples.groupby("step").size() == 50).all()
    assert list(result.curves.columns) == ["step", "d_loss", "g_loss"]
    assert list(result.curves["step"]) == [10, 20, 30, 40]


def test_absurd_learning_rate_is_reported_as_divergence(points):
    # Adam at lr 1e6 moves every weight by ~1e6 a step: activations overflow float32 within steps.
    settings = TrainSettings(**{**TINY, "g_width": 32, "d_width": 32, "d_depth": 2}, loss="gan-minimax", lr=1e6)
    result = train(data=points, settings=settings, seed=0)
    assert result.status == "diverged"
    assert result.diverged_step == result.samples["step"].max()
    assert not np.isfinite(result.curves.iloc[-1][["d_loss", "g_loss"]].to_numpy(dtype=float)).all()
