import numpy as np
import pytest

from modecollapse.data import (
    DATASETS,
    digits_family,
    get_dataset,
    load_dataset,
    sample_mixture,
    scale_images,
    training_points,
    write_dataset,
)


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


def test_digits_split_is_stratified_and_scaled():
    family = digits_family(seed=0)
    assert family["train_images"].shape == (1437, 1, 8, 8) and family["test_images"].shape == (360, 1, 8, 8)
    assert family["train_images"].dtype == np.uint8 and family["train_labels"].dtype == np.int64
    train = scale_images(family["train_images"])
    assert train.dtype == np.float32 and train.min() == -1.0 and train.max() == 1.0  # load_digits spans 0..16
    # 1,797 digits, about 180 per class: a stratified 20% holds 35-37 of each.
    assert np.bincount(family["test_labels"], minlength=10).min() >= 35
    other = digits_family(seed=1)
    assert not np.array_equal(family["test_labels"], other["test_labels"])


def test_stacked_digits_stack_three_training_digits_with_uniform_modes(tmp_path):
    write_dataset("digits", n=0, seed=0, path=tmp_path / "digits.npz")
    write_dataset(
        "stacked-digits", n=3000, seed=0, path=tmp_path / "stacked.npz", sources={"base": tmp_path / "digits.npz"}
    )
    base, stacked = load_dataset(tmp_path / "digits.npz"), load_dataset(tmp_path / "stacked.npz")
    assert stacked["images"].shape == (3000, 3, 8, 8) and stacked["labels"].shape == (3000, 3)
    assert tuple(stacked["image_shape"]) == (3, 8, 8)
    np.testing.assert_allclose(stacked["mode_weights"], np.full(1000, 1 / 1000))
    # every channel of every stacked image is one of the base training digits, with its label
    lookup = {base["images"][i, 0].tobytes(): base["labels"][i] for i in range(len(base["labels"]))}
    channels = stacked["images"][:200].reshape(-1, 8, 8)
    assert [lookup[c.tobytes()] for c in channels] == list(stacked["labels"][:200].ravel())
    # three channels drawn independently and uniformly: each digit has about a tenth of each channel
    assert np.bincount(stacked["labels"][:, 0], minlength=10) / 3000 == pytest.approx(np.full(10, 0.1), abs=0.03)
    # the training points are the images in [-1, 1], flattened channel-major
    points = training_points(stacked)
    assert points.shape == (3000, 192)
    np.testing.assert_array_equal(points[0].reshape(3, 8, 8), scale_images(stacked["images"][0]))
    np.testing.assert_allclose(base["mode_weights"], np.bincount(base["labels"], minlength=10) / len(base["labels"]))


def test_stacking_from_all_images_draws_held_out_digits_too(tmp_path):
    write_dataset("digits", n=0, seed=0, path=tmp_path / "digits.npz")
    base = load_dataset(tmp_path / "digits.npz")
    held_out = {image.tobytes() for image in base["test_images"][:, 0]}
    channels = {}
    for stack_from in ("train", "all"):
        path = tmp_path / f"{stack_from}.npz"
        write_dataset(
            "stacked-digits",
            n=3000,
            seed=0,
            path=path,
            sources={"base": tmp_path / "digits.npz"},
            stack_from=stack_from,
        )
        channels[stack_from] = [c.tobytes() for c in load_dataset(path)["images"].reshape(-1, 8, 8)]
    assert not held_out & set(channels["train"])
    # 20% of the pool is held out: about a fifth of 9,000 drawn channels come from it
    assert sum(c in held_out for c in channels["all"]) / 9000 == pytest.approx(0.2, abs=0.03)
    with pytest.raises(ValueError, match="stack_from must be one of train, all"):
        write_dataset(
            "stacked-digits",
            n=10,
            seed=0,
            path=tmp_path / "x.npz",
            sources={"base": tmp_path / "digits.npz"},
            stack_from="test",
        )


def test_stacked_size_zero_keeps_the_base_images_for_stacking_on_the_fly(tmp_path):
    from modecollapse.data import ONLINE_REFERENCE_SIZE, stacked_online

    write_dataset("digits", n=0, seed=0, path=tmp_path / "digits.npz")
    write_dataset(
        "stacked-digits", n=0, seed=0, path=tmp_path / "online.npz", sources={"base": tmp_path / "digits.npz"}
    )
    online, base = load_dataset(tmp_path / "online.npz"), load_dataset(tmp_path / "digits.npz")
    assert stacked_online(online) and not stacked_online(base)
    assert online["images"].shape == (ONLINE_REFERENCE_SIZE, 3, 8, 8)  # the real sample that evaluation compares with
    np.testing.assert_array_equal(online["base_images"], base["images"])
    points = training_points(online)  # one base image per row: training stacks three afresh
    assert points.shape == (len(base["images"]), 64)


def test_gdpps_ring_lists_8_means_at_7_locations_and_counts_8_of_8_when_all_are_covered():
    from modecollapse.metrics import MODES_COVERED, mode_stats

    ring = DATASETS["ring8-linspace"]
    centers = np.asarray(ring.centers)
    assert len(centers) == 8 and len(np.unique(centers.round(12), axis=0)) == 7  # θ = 0 and 2π: one location
    np.testing.assert_allclose(centers[0], [0.0, 1.0])
    np.testing.assert_allclose(centers[7], [0.0, 1.0], atol=1e-15)
    assert centers[7][0] < 0 < centers[1][0]  # sin 2π = −2.4e-16: the duplicate is the mean just left of x = 0
    points, labels = sample_mixture(ring, n=8000, seed=0)
    at_top = np.isclose(points[:, 1], 1.0, atol=0.05)
    assert at_top.mean() == pytest.approx(2 / 8, abs=0.02)  # the doubled location draws twice the data
    # GDPP's evaluation: nearest of the 8 listed means; the top location's samples split by the sign of x,
    # so covering all 7 locations counts 8 of 8
    assert mode_stats(centers=centers, std=ring.std, fake=points)[MODES_COVERED] == 8
    right_only = points[~at_top | (points[:, 0] > 0)]
    assert mode_stats(centers=centers, std=ring.std, fake=right_only)[MODES_COVERED] == 7
