"""What D says at each snapshot (probes.py): its surface over 2D data and its overfitting gap."""

import numpy as np
import pytest
import torch

from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.probes import PROBE_COLUMNS, SURFACE_SIZE, Probe, surface_grid
from modecollapse.train import GANEnsemble, train
from modecollapse.variants import variant_defaults

TINY = dict(
    steps=12, g_width=8, g_depth=1, d_width=8, d_depth=1, d_maxout=2, snapshot_every=6, snapshot_samples=20,
    log_every=3, batch_size=16,
)  # fmt: skip
RING = DATASETS["ring8"]
MIXTURE = (np.asarray(RING.centers), np.full(8, RING.std))


def settings_for(name, **overrides):
    loss, defaults = variant_defaults(name)
    return TrainSettings(loss=loss, **{**TINY, **defaults, **overrides})


@pytest.fixture(scope="module")
def points():
    return sample_mixture(RING, n=500, seed=0)[0]


class Bumps(torch.nn.Module):
    """A D whose output is a Gaussian bump of height 5 and width `width` on each of `points`, 0 far
    from them, the same for every member; (logits, features) as the project's Ds return."""

    def __init__(self, points: torch.Tensor, width: float):
        super().__init__()
        self.points, self.width = points, width

    def forward(self, x):
        distance = torch.cdist(x, self.points.expand(x.shape[0], -1, -1))
        logits = 5 * torch.exp(-((distance / self.width) ** 2)).amax(dim=-1)
        return logits, logits.unsqueeze(-1)


def test_a_d_that_memorises_its_training_points_shows_a_positive_overfitting_gap(points):
    s = settings_for("gan-ns", train_size=10)
    ensemble = GANEnsemble(data=points, settings=s, seeds=[0, 1], device="cpu", mixture=MIXTURE)
    ensemble.D = Bumps(ensemble.real_data, width=1e-3)  # memorised: a narrow bump on each training point
    probe = Probe(ensemble, mixture=MIXTURE)
    assert len(probe.train) == 10  # the training set the run sees (train_size), not the whole file
    stats, surface = probe(ensemble.sample())
    d_train, d_heldout, d_fake, r_t = stats.T
    assert np.allclose(d_train, 5.0) and np.all(d_heldout < 0.05)  # fresh draws of the mixture miss the bumps
    assert np.all(d_train - d_heldout > 4.9) and np.allclose(r_t, 1.0)
    assert surface.shape == (2, SURFACE_SIZE**2)


def test_a_d_that_generalises_shows_no_gap(points):
    s = settings_for("gan-ns")
    ensemble = GANEnsemble(data=points, settings=s, seeds=[0], device="cpu", mixture=MIXTURE)
    ensemble.D = Bumps(torch.as_tensor(MIXTURE[0], dtype=torch.float32), width=0.3)  # the modes, not the points
    stats, _ = Probe(ensemble, mixture=MIXTURE)(ensemble.sample())
    assert stats[0, 0] > 4 and abs(stats[0, 0] - stats[0, 1]) < 0.05  # training and held-out reals score alike


def test_surface_grid_covers_the_modes_with_a_margin():
    grid = surface_grid(np.array([[-1.0, -1.0], [1.0, 1.0]]), size=5, margin=0.5)
    assert grid.shape == (25, 2) and grid[:, 0].min() == -2.0 and grid[:, 1].max() == 2.0
    assert np.array_equal(grid[:5, 1], np.full(5, -2.0))  # x varies fastest


@pytest.mark.parametrize("name", ["gan-ns", "pacgan-2", "minibatch-disc"])
def test_training_records_probes_and_surfaces_at_every_snapshot(points, tmp_path, name):
    s = settings_for(name)
    whole = train(data=points, settings=s, seeds=[0, 1], mixture=MIXTURE)
    for member in whole.members:
        assert list(member.probes.columns) == list(PROBE_COLUMNS) and member.probes["step"].tolist() == [6, 12]
        assert np.isfinite(member.probes[list(PROBE_COLUMNS[1:])].to_numpy()).all()
        assert len(member.surface) == 2 * SURFACE_SIZE**2 and set(member.surface["step"]) == {6, 12}
    # a resumed run has the same probes as an uninterrupted one
    from modecollapse.train import Interrupted

    with pytest.raises(Interrupted):
        train(data=points, settings=s, seeds=[0, 1], mixture=MIXTURE, checkpoint_dir=tmp_path, checkpoint_every=6,
              stop_after=7)  # fmt: skip
    resumed = train(data=points, settings=s, seeds=[0, 1], mixture=MIXTURE, checkpoint_dir=tmp_path,
                    checkpoint_every=6)  # fmt: skip
    assert resumed.resumed_from_step == 6
    for mine, theirs in zip(whole.members, resumed.members, strict=True):
        assert mine.probes.equals(theirs.probes) and mine.surface.equals(theirs.surface)


def test_a_joint_d_is_not_probed_on_x_alone(points):
    whole = train(data=points, settings=settings_for("veegan", e_width=8, e_depth=1), seeds=[0], mixture=MIXTURE)
    (member,) = whole.members
    assert member.probes[list(PROBE_COLUMNS[1:])].isna().all().all() and member.surface.empty


def test_image_runs_probe_the_held_out_split_and_draw_no_surface():
    rng = np.random.default_rng(0)
    images, held = rng.uniform(-1, 1, (60, 48)).astype(np.float32), rng.uniform(-1, 1, (30, 48)).astype(np.float32)
    s = TrainSettings(loss="gan-ns", steps=4, g_width=4, d_width=4, z_dim=8, snapshot_every=2, snapshot_samples=10,
                      log_every=2, batch_size=8)  # fmt: skip
    (member,) = train(data=images, settings=s, seeds=[0], image_shape=(3, 4, 4), heldout=held).members
    assert np.isfinite(member.probes["d_heldout"]).all() and member.surface.empty
    (unheld,) = train(data=images, settings=s, seeds=[0], image_shape=(3, 4, 4)).members
    assert unheld.probes["d_heldout"].isna().all() and np.isfinite(unheld.probes["d_train"]).all()
