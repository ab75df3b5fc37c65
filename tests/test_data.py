import numpy as np
import pytest

from modecollapse.data import DATASETS, get_dataset, load_dataset, sample_mixture, write_dataset


def test_pacgan_constants():
    ring, grid = DATASETS["ring8"], DATASETS["grid25"]
    assert ring.n_modes == 8 and ring.std == 0.01
    np.testing.assert_allclose(np.linalg.norm(ring.centers, axis=1), 1.0)
    assert grid.n_modes == 25 and grid.std == 0.05
    assert sorted({x for x, _ in grid.centers}) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_same_seed_same_points_other_seed_other_points():
    a, _ = sample_mixture(DATASETS["ring8"], n=1000, seed=3)
    b, _ = sample_mixture(DATASETS["ring8"], n=1000, seed=3)
    c, _ = sample_mixture(DATASETS["ring8"], n=1000, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_points_sit_at_their_modes_with_the_stated_std():
    mixture = DATASETS["grid25"]
    points, labels = sample_mixture(mixture, n=50_000, seed=0)
    offsets = points - np.asarray(mixture.centers)[labels]
    # 100k offset coordinates: the sample std is within 2% of 0.05 with overwhelming probability.
    assert offsets.std() == pytest.approx(mixture.std, rel=0.02)
    shares = np.bincount(labels, minlength=25) / len(labels)
    assert shares == pytest.approx(np.full(25, 1 / 25), abs=0.005)  # ~6 binomial s.e. at n = 50k


def test_write_and_load_roundtrip(tmp_path):
    path = tmp_path / "ring8.npz"
    write_dataset("ring8", n=500, seed=1, path=path)
    data = load_dataset(path)
    assert data["points"].shape == (500, 2)
    np.testing.assert_allclose(data["std"], 0.01)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_unknown_dataset_names_the_choices():
    with pytest.raises(KeyError, match="ring8"):
        get_dataset("ring9")
