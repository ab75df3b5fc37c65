"""The evaluator classifier: accuracy on held-out digits, per-channel modes, files, determinism."""

import numpy as np
import pytest
import torch

from modecollapse.classifier import (
    CLASSES,
    CONFIDENCE,
    FEATURES,
    Classifier,
    _random_shift,
    accuracy,
    classify,
    load_classifier,
    load_metadata,
    save_classifier,
    train_classifier,
)
from modecollapse.data import digits_family, scale_images


@pytest.fixture(scope="module")
def split():
    family = digits_family(seed=0)
    return {key: scale_images(value) if "images" in key else value for key, value in family.items()}


@pytest.fixture(scope="module")
def model(split):
    return train_classifier(images=split["train_images"], labels=split["train_labels"], seed=0)


def _quick(split, seed):
    """One epoch on 200 training digits: enough to compare weights between seeds, cheap."""
    return train_classifier(
        images=split["train_images"][:200], labels=split["train_labels"][:200], seed=seed, epochs=1, batch_size=32
    )


def test_held_out_accuracy_on_digits(model, split):
    # The protocol requires 0.97; over 16 training seeds and two splits the minimum seen was 0.978.
    assert accuracy(model=model, images=split["test_images"], labels=split["test_labels"]) >= 0.97
    assert not model.training


def test_stacked_digits_are_classified_per_channel(model, split):
    rng = np.random.default_rng(1)
    index = rng.integers(len(split["test_images"]), size=(300, 3))
    stacked = split["test_images"][index, 0]  # (300, 3, 8, 8): three held-out digits as channels
    result = classify(model=model, images=stacked)
    assert result[CLASSES].shape == (300, 3) and result[CLASSES].dtype == np.int64
    # With per-digit accuracy ≥ 0.97 a triple is right with probability ≥ 0.97³ ≈ 0.91.
    assert np.mean((result[CLASSES] == split["test_labels"][index]).all(axis=1)) >= 0.9
    # Channel c of a stacked sample gets exactly what that digit gets on its own, features in channel order.
    single = classify(model=model, images=split["test_images"][index[:, 1]])
    np.testing.assert_array_equal(result[CLASSES][:, 1], single[CLASSES][:, 0])
    np.testing.assert_allclose(result[CONFIDENCE][:, 1], single[CONFIDENCE][:, 0], rtol=1e-6)  # float32 batches
    feature_dim = model.feature_dim
    assert result[FEATURES].shape == (300, 3 * feature_dim) and result[FEATURES].dtype == np.float64
    channel_1 = result[FEATURES][:, feature_dim : 2 * feature_dim]
    np.testing.assert_allclose(channel_1, single[FEATURES], rtol=1e-5, atol=1e-6)
    assert ((result[CONFIDENCE] > 0.1) & (result[CONFIDENCE] <= 1.0)).all()  # a max over 10 probabilities


def test_non_finite_samples_get_no_class(model, split):
    images = split["test_images"][:12].reshape(4, 3, 8, 8).copy()
    images[1, 2, 3, 3] = np.nan
    images[3, 0, 0, 0] = np.inf
    result = classify(model=model, images=images)
    clean = classify(model=model, images=images[[0, 2]])
    for broken in (1, 3):
        assert (result[CLASSES][broken] == -1).all()
        assert np.isnan(result[CONFIDENCE][broken]).all() and np.isnan(result[FEATURES][broken]).all()
    np.testing.assert_array_equal(result[CLASSES][[0, 2]], clean[CLASSES])
    assert np.isfinite(result[FEATURES][[0, 2]]).all()
    everything_broken = classify(model=model, images=np.full((2, 1, 8, 8), np.nan))
    assert (everything_broken[CLASSES] == -1).all()


def test_save_load_round_trip(model, split, tmp_path):
    path = tmp_path / "nested" / "classifier.pt"
    metadata = {"dataset": "digits", "seed": 0, "test_accuracy": 0.99, "epochs": [1, 2]}
    save_classifier(model, path, metadata=metadata)
    raw = torch.load(path, map_location="cpu", weights_only=True)  # must never need weights_only=False
    assert raw["metadata"] == metadata
    loaded = load_classifier(path)
    assert not loaded.training and load_metadata(path) == metadata
    before = classify(model=model, images=split["test_images"])
    after = classify(model=loaded, images=split["test_images"])
    np.testing.assert_array_equal(after[CLASSES], before[CLASSES])
    np.testing.assert_array_equal(after[FEATURES], before[FEATURES])  # same weights, same arithmetic
    assert [p.name for p in path.parent.iterdir()] == ["classifier.pt"]  # no temporary file left


def test_metadata_that_cannot_load_safely_is_refused(model, tmp_path):
    path = tmp_path / "classifier.pt"
    with pytest.raises(ValueError, match="plain Python types"):
        save_classifier(model, path, metadata={"array": np.zeros(3)})
    assert list(tmp_path.iterdir()) == []


def test_same_seed_same_weights_other_seed_other_weights(split):
    first, again, other = _quick(split, 5), _quick(split, 5), _quick(split, 6)
    for name, value in first.state_dict().items():
        assert torch.equal(value, again.state_dict()[name]), name
    assert not torch.equal(first.out.weight, other.out.weight)


def test_training_leaves_the_global_rng_alone(split):
    state = torch.random.get_rng_state()
    _quick(split, 0)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_mnist_sized_network_shapes():
    network = Classifier(image_size=28)
    logits, features = network(torch.zeros(5, 1, 28, 28))
    assert logits.shape == (5, 10) and features.shape == (5, network.feature_dim)
    result = classify(model=network, images=np.zeros((2, 3, 28, 28)))
    assert result[CLASSES].shape == (2, 3) and result[FEATURES].shape == (2, 3 * network.feature_dim)
    with pytest.raises(ValueError, match="28, 28"):
        classify(model=network, images=np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match="image_size"):
        Classifier(image_size=16)


def test_random_shift_translates_by_at_most_one_pixel():
    images = torch.full((50, 1, 8, 8), -1.0)
    images[:, 0, 3, 4] = 1.0  # one lit pixel per image
    shifted = _random_shift(images=images, max_shift=1, generator=torch.Generator().manual_seed(0))
    lit = shifted[:, 0].flatten(1).argmax(dim=1)
    rows, cols = lit // 8, lit % 8
    assert (shifted == 1.0).flatten(1).sum(dim=1).eq(1).all()  # the pixel moves, nothing is lost or added
    assert set(rows.tolist()) == {2, 3, 4} and set(cols.tolist()) == {3, 4, 5}  # 50 draws hit all 3 offsets


def test_arguments_are_keyword_only(split):
    with pytest.raises(TypeError):
        Classifier(8)
    with pytest.raises(TypeError):
        train_classifier(split["train_images"], split["train_labels"], 0)


def test_progress_gets_one_line_per_epoch(split):
    import io

    stream = io.StringIO()
    train_classifier(
        images=split["train_images"][:64], labels=split["train_labels"][:64], seed=0, epochs=2, progress=stream
    )
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2 ")
