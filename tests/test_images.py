"""The image side: convolutional ensemble nets, every variant on images, and the classifier-based
evaluation of generated digits."""

import numpy as np
import pandas as pd
import pytest
import torch

from modecollapse.classifier import FEATURES, classify, train_classifier
from modecollapse.config import TrainSettings
from modecollapse.data import digits_family, scale_images, stack_digits
from modecollapse.evaluate import FEATURE_DISTANCES, digit_shares, evaluate_image_run
from modecollapse.metrics import (
    HIGH_QUALITY_FRACTION,
    MODES_COVERED,
    MODES_COVERED_CEILING,
    REVERSE_KL,
    REVERSE_KL_FLOOR,
    class_mode_stats_floor,
)
from modecollapse.models import EnsembleConv2d, init_members, spectral_normalise
from modecollapse.samples import samples_to_images
from modecollapse.stepping import MemberStreams
from modecollapse.train import train
from modecollapse.variants import TRICKS, VARIANTS, variant_defaults

TINY = dict(
    steps=20,
    batch_size=16,
    z_dim=8,
    g_width=4,
    d_width=4,
    lr=2e-3,
    beta1=0.5,
    snapshot_every=10,
    snapshot_samples=40,
    log_every=5,
)


@pytest.fixture(scope="module")
def family():
    return digits_family(seed=0)


@pytest.fixture(scope="module")
def stacked(family):
    images, labels = stack_digits(images=family["train_images"], labels=family["train_labels"], n=2000, seed=0)
    return scale_images(images), labels


def settings_for(name: str, **overrides) -> TrainSettings:
    loss, defaults = variant_defaults(name)
    return TrainSettings(loss=loss, **{**TINY, **defaults, **overrides})


@pytest.mark.parametrize("transposed", [False, True])
def test_grouped_convolution_is_each_members_own_convolution(transposed):
    members, layer = 3, EnsembleConv2d(3, 2, 5, kernel=4, stride=2, padding=1, transposed=transposed)
    init_members(layer, std=0.5, generators=[torch.Generator().manual_seed(s) for s in range(members)])
    with torch.no_grad():
        layer.bias.copy_(torch.randn(members, 5))
    size = 4 if transposed else 8
    x = torch.randn(6, members * 2, size, size)
    together = layer(x)
    for m in range(members):
        mine = x[:, 2 * m : 2 * m + 2]
        conv = torch.nn.functional.conv_transpose2d if transposed else torch.nn.functional.conv2d
        alone = conv(mine, layer.weight[m], layer.bias[m], stride=2, padding=1)
        torch.testing.assert_close(together[:, 5 * m : 5 * m + 5], alone, rtol=1e-5, atol=1e-5)


def test_spectral_norm_of_a_convolution_normalises_each_members_matrix():
    layer = EnsembleConv2d(2, 3, 4, kernel=4, stride=2, padding=1, spectral_norm=True)
    init_members(layer, std=1.0, generators=[torch.Generator().manual_seed(s) for s in (0, 1)])
    matrix = layer.weight.detach().reshape(2, 4, -1).transpose(1, 2)  # (members, in·k·k, out)
    assert (torch.linalg.matrix_norm(matrix, ord=2) > 2.0).all()  # a 48 × 4 N(0, 1) matrix: σ ≈ 9
    x = torch.randn(1, 6, 8, 8)
    for _ in range(50):  # each training-mode pass runs one power iteration
        layer(x)
    layer.eval()
    sigma = torch.linalg.matrix_norm(spectral_normalise(matrix, layer), ord=2)
    torch.testing.assert_close(sigma, torch.ones(2), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", [*VARIANTS, *TRICKS])
def test_every_variant_trains_on_stacked_images(stacked, name):
    images, _ = stacked
    overrides = {"minibatch_kernels": 4} if name == "minibatch-disc" else {}
    result = train(
        data=images.reshape(len(images), -1),
        settings=settings_for(name, **overrides),
        seeds=[0, 1],
        image_shape=(3, 8, 8),
    )
    for member in result.members:
        assert member.status == "ok"
        final = member.samples[member.samples["step"] == 20]
        assert list(member.samples.columns) == ["step", *(f"p{i}" for i in range(192))]
        pictures = samples_to_images(final, (3, 8, 8))
        assert pictures.shape == (40, 3, 8, 8) and np.abs(pictures).max() <= 1.0  # tanh output
        assert member.samples.dtypes["p0"] == np.float16


def test_a_members_random_draws_do_not_depend_on_its_ensemble():
    """Bitwise: each member draws data indices and noise from its own generators, so seed 3 draws
    the same alone and as member 1 of [1, 3, 5], across a refill of the drawn chunks. (Its
    initialisation is the same too: tests/test_architectures.py, for every architecture.)"""
    alone, together = MemberStreams([3], "cpu"), MemberStreams([1, 3, 5], "cpu")
    for _ in range(alone.chunk + 2):
        assert torch.equal(alone.draw("data", (16,), high=2000)[0], together.draw("data", (16,), high=2000)[1])
        assert torch.equal(alone.draw("noise", (16, 8))[0], together.draw("noise", (16, 8))[1])


@pytest.mark.parametrize("name", ["gan-ns", "pacgan-2", "sngan", "minibatch-disc", "wgan-gp"])
def test_one_iteration_of_a_seed_alone_equals_it_inside_an_image_ensemble(stacked, name):
    """A seed alone and inside an ensemble start equal and draw the same numbers; within one
    iteration (wgan-gp: 5 critic updates and a generator update) their arithmetic differs only by
    float rounding. The convolution library picks its kernels by problem shape and the member count
    is part of the shape (oneDNN on a CPU: direct or brgconv kernels for one group, im2col + GEMM
    for several), so a member rounds differently (relative 1e-7) alone. No biases feed BatchNorm
    (models.feeds_batchnorm), or that rounding would random-walk them apart within steps.

    Beyond one iteration there is no promise: the dynamics grow the rounding until a run differs
    from its twin as much as two seeds do, how soon depending on the machine (on an H100 host's CPU,
    wgan-gp after 10 iterations differed by 0.15). So the packing of seeds into ensembles is part of
    a study's setting (docs/reproducibility.md, *What is reproducible, exactly*): tests/test_config.py
    checks it follows from the config alone, and the workflow test that every run records it.
    """
    images, _ = stacked
    settings = settings_for(
        name, steps=1, snapshot_every=1, **({"minibatch_kernels": 4} if name == "minibatch-disc" else {})
    )
    data = images.reshape(len(images), -1)
    alone = train(data=data, settings=settings, seeds=[3], image_shape=(3, 8, 8)).members[0].samples
    together = train(data=data, settings=settings, seeds=[1, 3], image_shape=(3, 8, 8)).members
    mine = alone.drop(columns="step").to_numpy(np.float32)
    theirs = together[1].samples.drop(columns="step").to_numpy(np.float32)
    np.testing.assert_allclose(mine, theirs, rtol=2**-10, atol=1e-6)  # float16: 10-bit mantissa, 6e-8 subnormals
    other_seed = together[0].samples.drop(columns="step").to_numpy(np.float32)
    assert (
        np.abs(mine - other_seed).max() > np.abs(mine).max()
    )  # pixels still near 0 (about 0.003); seeds apart by more


def test_an_image_ensemble_trained_twice_gives_bitwise_the_same_samples(stacked):
    images, _ = stacked
    settings = settings_for("wgan-gp", steps=6, snapshot_every=3)
    first, second = (
        train(data=images.reshape(len(images), -1), settings=settings, seeds=[1, 3], image_shape=(3, 8, 8))
        for _ in range(2)
    )
    for mine, again in zip(first.members, second.members):
        pd.testing.assert_frame_equal(mine.samples, again.samples)
        pd.testing.assert_frame_equal(mine.curves, again.curves)


@pytest.fixture(scope="module")
def classifier(family):
    return train_classifier(images=scale_images(family["train_images"]), labels=family["train_labels"], seed=0)


def test_real_digits_score_as_real_data_and_a_collapsed_generator_as_one_mode(family, classifier):
    test_images = scale_images(family["test_images"])
    reference = np.bincount(family["train_labels"], minlength=10) / len(family["train_labels"])
    collapsed = np.repeat(test_images[:1], 360, axis=0)
    floors = class_mode_stats_floor(reference=reference, n=360)
    metrics, shares = evaluate_image_run(
        images_per_step={10: collapsed, 20: test_images},
        real_features=classify(model=classifier, images=scale_images(family["train_images"][:360]))[FEATURES],
        classifier=classifier,
        reference=reference,
        confidence=0.9,
        collapse_coverage=0.5,
        floors=floors,
    )
    values = metrics.pivot(index="step", columns="metric", values="value")
    assert values.loc[10, MODES_COVERED] == 1 and values.loc[10, "collapsed"] == 1
    assert values.loc[10, REVERSE_KL] == pytest.approx(-np.log(reference[family["test_labels"][0]]), rel=0.05)
    final = values.loc[20]
    assert final[MODES_COVERED] == 10 and final["collapsed"] == 0 and final["modes_ever_covered"] == 10
    assert final[HIGH_QUALITY_FRACTION] > 0.9  # a 98%-accurate classifier is confident on real digits
    assert final[REVERSE_KL] < 0.05  # held-out digits: classifier errors and sampling only
    assert final[REVERSE_KL_FLOOR] > 0 and final[MODES_COVERED_CEILING] == pytest.approx(10.0)
    assert set(FEATURE_DISTANCES) <= set(values.columns) and np.isnan(values.loc[10, "frechet_distance"])
    # real vs real features: precision and recall near 1 (k-NN manifolds of two samples of one set)
    assert final["precision"] > 0.8 and final["recall"] > 0.8
    assert list(shares.columns) == ["channel", "digit", "share"] and shares["share"].sum() == pytest.approx(1.0)


def test_stacked_samples_are_classified_channel_by_channel(family, classifier):
    images, labels = stack_digits(images=family["test_images"], labels=family["test_labels"], n=2000, seed=1)
    metrics, shares = evaluate_image_run(
        images_per_step={5: scale_images(images)},
        real_features=classify(model=classifier, images=scale_images(images[:500]))[FEATURES],
        classifier=classifier,
        reference=np.full(1000, 1 / 1000),
        confidence=0.9,
        collapse_coverage=0.5,
    )
    values = metrics.set_index("metric")["value"]
    covered = len({tuple(t) for t in labels})  # distinct true triples among the 2,000
    assert values[MODES_COVERED] == pytest.approx(covered, abs=0.05 * covered)
    assert set(shares["channel"]) == {0, 1, 2}
    truth = digit_shares(labels)
    np.testing.assert_allclose(shares["share"], truth["share"], atol=0.03)  # classifier errors only


def test_digit_shares_skip_unclassified_samples():
    classes = np.array([[1], [1], [2], [-1]])
    shares = digit_shares(classes).set_index("digit")["share"]
    assert shares[1] == pytest.approx(2 / 3) and shares[2] == pytest.approx(1 / 3) and shares.sum() == pytest.approx(1)
    assert digit_shares(np.full((3, 1), -1))["share"].isna().all()


@pytest.mark.parametrize("name", ["gan-ns", "pacgan-2", "wgan-gp+pacgan-2", "minibatch-disc"])
def test_mnist_sized_images_train(name):
    """28×28 (MNIST) and 28×28×3 (Stacked MNIST): G's 7×7 base upsampled twice, D's two strided
    convolutions down to 7×7 features."""
    for shape in ((1, 28, 28), (3, 28, 28)):
        data = torch.rand(200, int(np.prod(shape)), generator=torch.Generator().manual_seed(0)).numpy() * 2 - 1
        settings = settings_for(
            name,
            steps=3,
            snapshot_every=3,
            snapshot_samples=8,
            log_every=1,
            **({"minibatch_kernels": 4} if name == "minibatch-disc" else {}),
        )
        member = train(data=data, settings=settings, seeds=[0, 1], image_shape=shape).members[0]
        assert member.status == "ok" and samples_to_images(member.samples, shape).shape == (8, *shape)


@pytest.mark.parametrize("chunk", [7, 16])
def test_a_snapshot_in_pieces_equals_one_pass(stacked, chunk):
    """GANEnsemble.sample runs a snapshot's codes in chunks (no 12 GiB activation at 28×28). G is in eval
    mode, so each sample depends on its own code alone: the pieces equal one pass up to float rounding
    (the CPU's convolution kernels differ by batch size in the last bits), and the pieces of one chunk
    size are the same numbers every time; a snapshot within one chunk is one pass, bitwise."""
    from modecollapse.train import GANEnsemble

    images, _ = stacked
    settings = settings_for("gan-ns", snapshot_samples=50)
    ensemble = GANEnsemble(
        data=images.reshape(len(images), -1), settings=settings, seeds=[0, 1], device="cpu", image_shape=(3, 8, 8)
    )
    whole = ensemble.sample(chunk=50)
    assert whole.shape == (2, 50, 3 * 8 * 8)
    assert torch.equal(ensemble.sample(), whole)  # 50 codes are within the default chunk: one pass
    pieces = ensemble.sample(chunk=chunk)
    assert torch.equal(ensemble.sample(chunk=chunk), pieces)
    # float32 rounding of differently blocked sums: relative 1e-5 of the pixels' scale is far above it
    torch.testing.assert_close(pieces, whole, rtol=1e-5, atol=1e-5 * float(whole.abs().max()))


def test_a_checkpoint_names_its_snapshots_and_holds_no_draw_chunks(stacked, tmp_path):
    """A job holds one snapshot at a time: the others wait on disk beside the checkpoint, which names
    them; and the checkpoint keeps each stream's generator state, not its chunk of draws (instance
    noise over 28×28 images: about 385 MB per 10 members). Resuming from it gives the same run."""
    from modecollapse.train import Interrupted, train

    images, _ = stacked
    data = images.reshape(len(images), -1)
    settings = settings_for("gan-ns", steps=30, snapshot_every=10, instance_noise=0.1)
    run = dict(data=data, settings=settings, seeds=[0, 1], image_shape=(3, 8, 8))
    with pytest.raises(Interrupted):
        train(**run, checkpoint_dir=tmp_path, checkpoint_every=20, stop_after=25)
    (checkpoint,) = tmp_path.glob("*.pt")
    state = torch.load(checkpoint, weights_only=True)
    assert [[step for step, _ in member] for member in state["snapshots"]] == [[10, 20], [10, 20]]
    assert all(isinstance(name, str) for member in state["snapshots"] for _, name in member)
    assert sorted(p.name for p in checkpoint.with_suffix(".snapshots").iterdir()) == [
        f"member{m}-step{step}.npy" for m in (0, 1) for step in (10, 20)
    ]
    assert "buffers" not in state["streams"] and "instance" in state["streams"]["chunk_starts"]
    stream_bytes = sum(t.numel() * t.element_size() for g in state["streams"]["generators"].values() for t in g)
    assert stream_bytes < 100_000  # generator states (5 kB each on the CPU), no draws

    paths = {seed: tmp_path / f"samples{seed}.parquet" for seed in (0, 1)}
    resumed = train(**run, checkpoint_dir=tmp_path, checkpoint_every=20, samples_paths=paths)
    whole = train(**run)
    assert resumed.resumed_from_step == 20 and all(member.samples is None for member in resumed.members)
    for member in whole.members:
        pd.testing.assert_frame_equal(pd.read_parquet(paths[member.seed]), member.samples)
    assert not list(tmp_path.glob("*.pt")) and not list(tmp_path.glob("*.snapshots"))  # cleaned up once written
