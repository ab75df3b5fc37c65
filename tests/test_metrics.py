import numpy as np
import pytest

from modecollapse.data import DATASETS, sample_mixture
from modecollapse.metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, NO_HIGH_QUALITY, REVERSE_KL, mode_stats


def _stats(name, fake):
    mixture = DATASETS[name]
    return mode_stats(centers=np.asarray(mixture.centers), std=mixture.std, fake=fake)


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_real_samples_cover_every_mode(name):
    fake, _ = sample_mixture(DATASETS[name], n=2500, seed=1)
    stats = _stats(name, fake)
    assert stats[MODES_COVERED] == DATASETS[name].n_modes
    # Within 3 std in 2D: P(chi2_2 < 9) = 1 - exp(-4.5) = 0.9889.
    assert stats[HIGH_QUALITY_FRACTION] == pytest.approx(1 - np.exp(-4.5), abs=0.01)
    # A perfect generator's reverse KL is near its floor (K-1)/(2n): 0.0014 (ring8), 0.0048 (grid25).
    assert 0 <= stats[REVERSE_KL] < 5 * (DATASETS[name].n_modes - 1) / (2 * 2500)


def test_nearest_rule_and_inclusive_threshold_change_what_counts():
    # modes of unequal std: a point 2.5 from the wide mode and 0.5 from the narrow one is the wide
    # mode's by stds (2.5 < 5) and the narrow one's by L2, where it sits 5 of its stds out
    centers, std = np.array([[0.0, 0.0], [3.0, 0.0]]), np.array([1.0, 0.1])
    point = np.array([[2.5, 0.0]])
    by_std = mode_stats(centers=centers, std=std, fake=point, nearest="std")
    by_l2 = mode_stats(centers=centers, std=std, fake=point, nearest="l2")
    assert by_std["counts"].tolist() == [1, 0] and by_std[HIGH_QUALITY_FRACTION] == 1.0
    assert by_l2["counts"].tolist() == [0, 0] and by_l2[HIGH_QUALITY_FRACTION] == 0.0
    # exactly 3 stds out (1.5 / 0.5, exact in binary): high quality only under the non-strict rule
    edge = np.array([[1.5, 0.0]])
    for nearest in ("std", "l2"):
        strict = mode_stats(centers=centers[:1], std=0.5, fake=edge, nearest=nearest)
        inclusive = mode_stats(centers=centers[:1], std=0.5, fake=edge, nearest=nearest, inclusive=True)
        assert (strict[MODES_COVERED], inclusive[MODES_COVERED]) == (0, 1)
    with pytest.raises(ValueError, match="nearest must be one of std, l2; got 'cosine'"):
        mode_stats(centers=centers, std=std, fake=point, nearest="cosine")


def test_collapsed_generator_covers_one_mode_with_maximal_kl():
    center = np.asarray(DATASETS["ring8"].centers[2])
    fake = center + 0.001 * np.random.default_rng(0).standard_normal((2500, 2))
    stats = _stats("ring8", fake)
    assert stats[MODES_COVERED] == 1
    assert stats[HIGH_QUALITY_FRACTION] == 1.0
    assert stats[REVERSE_KL] == pytest.approx(np.log(8))  # p = 1 on one of 8 modes
    assert stats["counts"][2] == 2500


def test_far_samples_are_not_high_quality_and_score_as_total_collapse():
    fake = np.full((100, 2), 10.0)
    stats = _stats("ring8", fake)
    assert stats[MODES_COVERED] == 0
    assert stats[HIGH_QUALITY_FRACTION] == 0.0
    # Convention: an empty histogram scores as a point mass on one of the 8 modes, KL = log 8.
    assert stats[REVERSE_KL] == pytest.approx(np.log(8), rel=1e-12)  # rounding only
    assert stats[NO_HIGH_QUALITY] == 1.0
    assert _stats("ring8", np.asarray(DATASETS["ring8"].centers))[NO_HIGH_QUALITY] == 0.0


def test_nonfinite_samples_count_as_low_quality():
    fake = np.array([[np.nan, 0.0], [np.inf, 1.0], list(DATASETS["ring8"].centers[0])])
    stats = _stats("ring8", fake)
    assert stats[MODES_COVERED] == 1
    assert stats[HIGH_QUALITY_FRACTION] == pytest.approx(1 / 3)


def test_two_modes_equally_covered():
    centers = np.asarray(DATASETS["ring8"].centers)
    fake = np.repeat(centers[[0, 4]], 50, axis=0)
    stats = _stats("ring8", fake)
    assert stats[MODES_COVERED] == 2
    assert stats[REVERSE_KL] == pytest.approx(np.log(4))  # p = 1/2 on 2 of 8: log(8/2)


# ---- Extended metrics: mode histogram divergences, mode hopping, distances between distributions ----

from modecollapse.metrics import (  # noqa: E402
    COUNTS,
    COVERAGE,
    DENSITY,
    JSD,
    JSD_FLOOR,
    KID_MEAN,
    KID_STD,
    NDB,
    NDB_JS,
    NDB_OVER_K,
    PRECISION,
    RECALL,
    REVERSE_KL_FLOOR,
    energy_distance,
    forgetting_events,
    frechet_distance,
    kid,
    mmd,
    mode_stats_floor,
    modes_ever_covered,
    ndb,
    prdc,
    sliced_wasserstein,
    wasserstein,
)

RING = DATASETS["ring8"]
RING_CENTERS = np.asarray(RING.centers)


def _jensen_shannon(p, q):
    """Written out independently of the module: ½KL(p ‖ m) + ½KL(q ‖ m), m = (p + q)/2."""
    m = (p + q) / 2
    return 0.5 * np.sum(p[p > 0] * np.log(p[p > 0] / m[p > 0])) + 0.5 * np.sum(q[q > 0] * np.log(q[q > 0] / m[q > 0]))


def _real_pair(n=2000):
    real, _ = sample_mixture(RING, n=n, seed=11)
    fake, labels = sample_mixture(RING, n=n, seed=12)
    return real, fake, labels


def _collapsed(n=2000, mode=2, seed=13):
    """A generator that samples only one mode of the ring, with that mode's own spread."""
    return RING_CENTERS[mode] + RING.std * np.random.default_rng(seed).standard_normal((n, 2))


def _whitened(n, dim, seed):
    """Samples whose empirical mean is exactly 0 and covariance (ddof=1) exactly the identity."""
    z = np.random.default_rng(seed).standard_normal((n, dim))
    z -= z.mean(axis=0)
    return z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T


def test_mode_stats_jsd_of_collapsed_and_two_mode_generators():
    collapsed = _stats("ring8", np.repeat(RING_CENTERS[[2]], 500, axis=0))
    uniform = np.full(8, 1 / 8)
    assert collapsed[JSD] == pytest.approx(_jensen_shannon(np.eye(8)[2], uniform), rel=1e-12)  # rounding only
    assert collapsed[COUNTS][2] == 500
    two = _stats("ring8", np.repeat(RING_CENTERS[[0, 4]], 50, axis=0))
    assert two[JSD] == pytest.approx(_jensen_shannon(np.eye(8)[0] / 2 + np.eye(8)[4] / 2, uniform), rel=1e-12)
    # No high-quality sample: the JSD of total collapse (a point mass on one mode), like `collapsed`.
    assert _stats("ring8", np.full((10, 2), 10.0))[JSD] == pytest.approx(collapsed[JSD], rel=1e-12)


def test_perfect_generator_jsd_is_near_its_floor():
    fake, _ = sample_mixture(RING, n=2500, seed=1)
    # JSD ≈ χ²/(8n) with χ² ~ χ²_7: mean 7/(8·2500) = 0.00035, sd √14/(8·2500) = 0.00019; 0.0012 is 4.5 sd.
    assert _stats("ring8", fake)[JSD] == pytest.approx(0.00035, abs=0.0012)


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_floor_of_a_perfect_generator_matches_theory(name):
    mixture = DATASETS[name]
    k, n = mixture.n_modes, 2500
    floor = mode_stats_floor(centers=np.asarray(mixture.centers), std=mixture.std, n=n, repeats=100, seed=0)
    # E[KL] = (K-1)/(2n) (docs/protocol.md §1) and E[JSD] = (K-1)/(8n) to first order; 100 repeats give a
    # standard error of about 5%, and only 98.9% of samples are high quality (1% bias): 20% is 4 se.
    assert floor[REVERSE_KL_FLOOR] == pytest.approx((k - 1) / (2 * n), rel=0.2)
    assert floor[JSD_FLOOR] == pytest.approx((k - 1) / (8 * n), rel=0.2)


def test_mode_hopping_counts_on_a_hand_made_sequence():
    counts = [
        np.array([1, 0, 0, 0]),
        np.array([0, 2, 0, 0]),  # hops from mode 0 to mode 1
        np.array([0, 3, 1, 0]),  # adds mode 2
        np.array([5, 0, 0, 0]),  # back to mode 0, drops 1 and 2
    ]
    np.testing.assert_array_equal(modes_ever_covered(counts_per_snapshot=counts), [1, 2, 3, 3])
    np.testing.assert_array_equal(forgetting_events(counts_per_snapshot=counts), [0, 1, 0, 2])
    with pytest.raises(ValueError, match="one length"):
        modes_ever_covered(counts_per_snapshot=[np.zeros(4), np.zeros(5)])


def test_real_samples_score_near_zero_on_every_distance():
    real, fake, _ = _real_pair()
    # Two samples of 2,000 hold different numbers of points per mode (binomial sd ≈ 14), and moving
    # that excess between modes 0.77 apart costs about 0.03 in W1 (sd 0.008 over seeds): 0.07 is 5 sd.
    assert wasserstein(real=real, fake=fake, p=1) == pytest.approx(0, abs=0.07)
    # The same imbalance dominates sliced W2 (0.08, sd 0.013 over seeds): 0.15 is 5 sd.
    assert sliced_wasserstein(real=real, fake=fake) == pytest.approx(0, abs=0.15)
    # Null spreads over 20 seed pairs at n = 2,000: MMD² sd 1.7e-4, energy sd 4.6e-4, KID sd 1.1e-3,
    # Fréchet mean 9e-4 sd 6e-4; each tolerance is about 6 sd (from the mean for the biased Fréchet).
    assert mmd(real=real, fake=fake) == pytest.approx(0, abs=1e-3)
    assert energy_distance(real=real, fake=fake) == pytest.approx(0, abs=3e-3)
    assert kid(real=real, fake=fake)[KID_MEAN] == pytest.approx(0, abs=6e-3)
    assert frechet_distance(real=real, fake=fake) == pytest.approx(0, abs=5e-3)


def test_real_samples_cover_every_mode_with_full_density_and_coverage():
    real, fake, _ = _real_pair()
    assert _stats("ring8", fake)[MODES_COVERED] == 8
    scores = prdc(real=real, fake=fake, k=5)
    # Over 20 seed pairs at n = 2,000: density sd 0.014, coverage sd 0.008, precision and recall
    # 0.992 sd 0.002. Tolerances are about 5 sd around the expectations of Naeem et al. §4.
    assert scores[DENSITY] == pytest.approx(1.0, abs=0.07)
    assert scores[COVERAGE] == pytest.approx(1 - 2**-5, abs=0.04)
    assert scores[PRECISION] == pytest.approx(1.0, abs=0.03)
    assert scores[RECALL] == pytest.approx(1.0, abs=0.03)


def test_prdc_of_a_set_against_itself_is_exactly_one():
    real, _, _ = _real_pair(n=500)
    # Each ball holds its own centre and its k-1 nearer neighbours but not the k-th, which lies on
    # the boundary: strict < gives density exactly 1 (it would be (k+1)/k with <=).
    assert prdc(real=real, fake=real, k=5) == {PRECISION: 1.0, RECALL: 1.0, DENSITY: 1.0, COVERAGE: 1.0}


def test_collapsed_generator_has_high_precision_and_low_recall():
    real, _, _ = _real_pair()
    collapsed = _collapsed()
    assert _stats("ring8", collapsed)[MODES_COVERED] == 1
    scores = prdc(real=real, fake=collapsed, k=5)
    # Every fake lies on real mode 2 (0.99 over seeds, sd 0.005); only mode 2's reals, 1/8 of them
    # (binomial sd 0.007), lie in fake balls or have fakes in their balls: 0.04 is over 5 sd.
    assert scores[PRECISION] == pytest.approx(1.0, abs=0.04)
    assert scores[RECALL] == pytest.approx(1 / 8, abs=0.04)
    assert scores[COVERAGE] == pytest.approx(1 / 8, abs=0.04)
    # W1 moves each real to mode 2: the mean chord to mode 2 is (1/4)cot(π/16) = 1.2568; the per-mode
    # counts shift it by sd ≈ 0.013 and the modes' spread adds ≈ 0.01: 0.05 covers both.
    assert wasserstein(real=real, fake=collapsed, p=1) == pytest.approx(0.25 / np.tan(np.pi / 16), abs=0.05)


def test_wasserstein_between_point_masses_is_their_distance():
    real, fake = np.zeros((50, 2)), np.tile([3.0, 4.0], (40, 1))
    assert wasserstein(real=real, fake=fake, p=1) == pytest.approx(5.0, rel=1e-12)  # rounding only
    assert wasserstein(real=real, fake=fake, p=2) == pytest.approx(5.0, rel=1e-12)
    assert energy_distance(real=real, fake=fake) == pytest.approx(2 * 5.0, rel=1e-12)  # 2E|X-Y| - 0 - 0
    # SW2² = E(θᵀΔ)² = |Δ|²/2 over directions on the circle; with 2,048 directions cos²θ (variance
    # 1/8) averages to 0.5 within sd 0.8%, so SW2 is within 0.4% sd: 3% is over 5 sd.
    assert sliced_wasserstein(real=real, fake=fake, n_projections=2048) == pytest.approx(5 / np.sqrt(2), rel=0.03)


def test_mmd_and_kid_of_point_masses_have_closed_forms():
    real, fake = np.zeros((30, 2)), np.ones((20, 2))
    # RBF: k = 1 within each set and exp(-|Δ|²/2) = exp(-1) across (|Δ|² = 2, bandwidth 1).
    assert mmd(real=real, fake=fake, bandwidth=1.0) == pytest.approx(2 - 2 * np.exp(-1.0), rel=1e-12)
    # Cubic kernel (xᵀy/2 + 1)³: 1 within the zeros, 8 within the ones, 1 across: 1 + 8 - 2.
    scores = kid(real=real, fake=fake, subsets=3, subset_size=10)
    assert scores[KID_MEAN] == pytest.approx(7.0, rel=1e-12)
    assert scores[KID_STD] == pytest.approx(0.0, abs=1e-12)


def test_wasserstein_two_between_gaussians_matches_closed_form():
    rng = np.random.default_rng(5)
    # 1-D N(0, 1) vs N(3, 2²): W2² = 3² + (2-1)² = 10. Over 20 seeds at n = 2,000 the estimate is
    # 3.18 sd 0.05 against 3.162: 10% covers bias and 6 sd.
    x, y = rng.standard_normal((2000, 1)), 3 + 2 * rng.standard_normal((2000, 1))
    assert wasserstein(real=x, fake=y, p=2) == pytest.approx(np.sqrt(10), rel=0.1)
    # 2-D isotropic, means 3 apart, stds 1 and 2: W2² = 9 + 2·(2-1)² = 11; at n = 1,000 the estimate
    # is 3.31 sd 0.07 against 3.317 over 20 seeds: 10% is about 5 sd.
    x, y = rng.standard_normal((1000, 2)), np.array([3.0, 0.0]) + 2 * rng.standard_normal((1000, 2))
    assert wasserstein(real=x, fake=y, p=2) == pytest.approx(np.sqrt(11), rel=0.1)


@pytest.mark.parametrize(("n_real", "n_fake"), [(300, 300), (300, 200)])
@pytest.mark.parametrize("p", [1, 2])
def test_sliced_wasserstein_in_one_dimension_is_exact_wasserstein(n_real, n_fake, p):
    rng = np.random.default_rng(6)
    real, fake = rng.standard_normal((n_real, 1)), 1 + 0.5 * rng.standard_normal((n_fake, 1))
    exact = wasserstein(real=real, fake=fake, p=p)
    # In 1-D both are exact solutions of the same transport problem: they differ by rounding only.
    assert sliced_wasserstein(real=real, fake=fake, p=p, n_projections=4) == pytest.approx(exact, rel=1e-9)


def test_frechet_distance_matches_the_gaussian_closed_form():
    real = _whitened(500, 2, seed=7)
    assert frechet_distance(real=real, fake=real) == pytest.approx(0.0, abs=1e-9)  # rounding only
    # Real: mean 0, covariance 4I. Fake: mean (1, 2), covariance R diag(9, 1) Rᵀ, which commutes with
    # 4I, so Tr(Σr + Σf - 2(ΣrΣf)^½) = (2-3)² + (2-1)² = 2, and the means add 1² + 2² = 5.
    angle = 0.6
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    fake = np.array([1.0, 2.0]) + _whitened(800, 2, seed=8) @ np.diag([3.0, 1.0]) @ rotation.T
    assert frechet_distance(real=2 * real, fake=fake) == pytest.approx(7.0, rel=1e-9)  # exact sample moments


def test_median_bandwidth_comes_from_the_real_points_only():
    from modecollapse.metrics import median_bandwidth

    square = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert median_bandwidth(real=square) == 1.0  # pairwise distances 1, 1, 1, 1, √2, √2
    real, fake, _ = _real_pair(n=500)
    width = median_bandwidth(real=real)
    for other in (fake, 100 * fake + 50):  # the generated set never moves the kernel
        assert mmd(real=real, fake=other) == mmd(real=real, fake=other, bandwidth=width)
    with pytest.raises(ValueError, match="bandwidth 0"):
        median_bandwidth(real=np.zeros((5, 2)))


def test_shifted_distribution_is_clearly_distant():
    real, fake, _ = _real_pair()
    shifted = fake + np.array([0.5, 0.0])
    # Null spreads (see above) are below 1.2e-3 for MMD² and KID: these margins exceed 30 null sd.
    assert mmd(real=real, fake=shifted) > 0.03
    assert kid(real=real, fake=shifted)[KID_MEAN] > 0.1
    assert energy_distance(real=real, fake=shifted) > 0.1


def test_missing_mode_raises_ndb():
    real, fake, labels = _real_pair()
    same = ndb(real=real, fake=fake)
    missing = ndb(real=real, fake=fake[labels != 3])
    # Null: about alpha = 5% of bins reject (over seeds 1-7 bins of 100); 0.07 allows 0-12 bins.
    assert same[NDB_OVER_K] == pytest.approx(0.05, abs=0.07)
    # The missing mode's ≈ 100/8 bins all reject (0 fakes against ≈ 20 reals), plus the null rate
    # elsewhere: 15-21 bins over seeds; 0.07 around 1/8 + 5% allows 11-24.
    assert missing[NDB_OVER_K] == pytest.approx(1 / 8 + 0.05, abs=0.07)
    assert missing[NDB] == round(missing[NDB_OVER_K] * 100)
    # Bins nest inside modes, so JS is the mode-level JS of 8 uniform vs 7 uniform modes (0.0454)
    # plus within-mode sampling noise, which is about 0.01 at n = 2,000 (the real-vs-real value).
    assert same[NDB_JS] == pytest.approx(0.01, abs=0.01)
    modes_js = _jensen_shannon(np.full(8, 1 / 8), np.r_[np.full(7, 1 / 7), 0.0])
    assert missing[NDB_JS] == pytest.approx(modes_js + 0.01, abs=0.01)


def _small_sets():
    real, fake, _ = _real_pair(n=600)
    return real, fake


SEEDED = {
    "mode_stats_floor": lambda seed: mode_stats_floor(centers=RING_CENTERS, std=RING.std, n=200, repeats=3, seed=seed),
    "wasserstein": lambda seed: wasserstein(**dict(zip(("real", "fake"), _small_sets())), max_samples=300, seed=seed),
    "sliced_wasserstein": lambda seed: sliced_wasserstein(**dict(zip(("real", "fake"), _small_sets())), seed=seed),
    # Above 2,000 real points the median-heuristic bandwidth comes from a seeded subsample.
    "mmd": lambda seed: mmd(**dict(zip(("real", "fake"), _real_pair(n=2500)[:2])), seed=seed),
    "kid": lambda seed: kid(**dict(zip(("real", "fake"), _small_sets())), subsets=3, subset_size=200, seed=seed),
    "energy_distance": lambda seed: energy_distance(
        **dict(zip(("real", "fake"), _small_sets())), max_samples=300, seed=seed
    ),
    "ndb": lambda seed: ndb(**dict(zip(("real", "fake"), _small_sets())), bins=20, seed=seed),
}


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_seeded_metrics_repeat_exactly_and_depend_on_the_seed(name):
    first, again, other = SEEDED[name](3), SEEDED[name](3), SEEDED[name](4)
    assert first == again  # same seed, same numbers, bit for bit
    assert first != other  # the seed reaches the randomness (a subsample, directions or k-means start)


from modecollapse.metrics import levelled_off, median_bandwidth  # noqa: E402

PUBLIC = [
    mode_stats,
    mode_stats_floor,
    modes_ever_covered,
    forgetting_events,
    wasserstein,
    sliced_wasserstein,
    mmd,
    median_bandwidth,
    kid,
    frechet_distance,
    energy_distance,
    prdc,
    ndb,
    levelled_off,
]


@pytest.mark.parametrize("metric", PUBLIC, ids=lambda f: f.__name__)
def test_arguments_are_keyword_only(metric):
    points = np.zeros((10, 2))
    with pytest.raises(TypeError):
        metric(points, points)


STEPS = [100, 200, 300, 400, 500, 600, 700, 800]  # window 0.25 of 800: steps >= 600, 3 snapshots


def _levelled(share, quality=None, *, steps=STEPS, window=0.25, tolerance=0.1):
    quality = [1.0] * len(share) if quality is None else quality
    return levelled_off(
        steps=steps, modes_share=share, high_quality_fraction=quality, window=window, tolerance=tolerance
    )


def test_a_coverage_curve_still_rising_in_the_last_quarter_has_not_levelled_off():
    assert _levelled([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]) == 0.0  # 0.6 -> 0.8 in the window
    assert _levelled([0.1, 0.2, 0.3, 0.4, 0.5, 0.8, 0.8, 0.8]) == 1.0  # rose before it, flat inside it
    # Coverage flat but the high-quality fraction still climbing: not levelled off either.
    assert _levelled([0.5] * 8, quality=[0.2, 0.3, 0.4, 0.5, 0.6, 0.5, 0.6, 0.7]) == 0.0


def test_levelled_off_tolerance_is_inclusive_and_undefined_without_three_snapshots():
    # 1 of 10 modes at tolerance 0.1: 0.8 - 0.7 rounds to 0.10000000000000009, still within.
    assert _levelled([0.7] * 6 + [0.8, 0.7]) == 1.0
    assert _levelled([0.7] * 6 + [0.82, 0.7]) == 0.0  # 0.12 > 0.1
    assert np.isnan(_levelled([0.5] * 8, window=0.2))  # steps >= 640: only 700 and 800
    assert np.isnan(_levelled([0.5] * 2, steps=[100, 200], window=1.0))
    assert np.isnan(_levelled([0.5] * 8, quality=[1.0] * 7 + [np.nan]))  # a snapshot with no samples
    with pytest.raises(ValueError, match="window"):
        _levelled([0.5] * 8, window=0.0)


def test_wasserstein_rejects_other_powers():
    with pytest.raises(ValueError, match="1 or 2"):
        wasserstein(real=np.zeros((5, 2)), fake=np.ones((5, 2)), p=3)


def test_mismatched_dimensions_are_refused():
    with pytest.raises(ValueError, match="dimension"):
        prdc(real=np.zeros((20, 2)), fake=np.zeros((20, 3)))


def test_metric_names_are_distinct():
    from modecollapse import metrics

    names = [value for key, value in vars(metrics).items() if key.isupper() and isinstance(value, str)]
    assert len(names) == len(set(names))  # one name per quantity in the long table


# ---- Classifier-based mode statistics (digits and stacked digits) ----

from modecollapse.metrics import class_mode_stats, class_mode_stats_floor  # noqa: E402

UNIFORM_1000 = np.full(1000, 1 / 1000)


def _all_triples():
    """Every triple of digits once, in mode order: row m holds the digits of m (000, 001, ..., 999)."""
    modes = np.arange(1000)
    return np.stack([modes // 100, modes // 10 % 10, modes % 10], axis=1)


def test_class_mode_stats_of_uniform_counts_is_zero_kl_and_every_mode():
    classes = np.repeat(_all_triples(), 3, axis=0)  # each of the 1000 modes exactly 3 times
    stats = class_mode_stats(classes=classes, confidence=np.ones(classes.shape), reference=UNIFORM_1000, threshold=0.9)
    assert stats[MODES_COVERED] == 1000
    assert stats[REVERSE_KL] == pytest.approx(0.0, abs=1e-12)  # p = q exactly: rounding only
    assert stats[JSD] == pytest.approx(0.0, abs=1e-12)
    assert stats[HIGH_QUALITY_FRACTION] == 1.0
    np.testing.assert_array_equal(stats[COUNTS], np.full(1000, 3))


def test_class_mode_stats_of_a_collapsed_generator():
    classes = np.tile([7, 0, 4], (500, 1))
    stats = class_mode_stats(classes=classes, confidence=np.ones((500, 3)), reference=UNIFORM_1000, threshold=0.5)
    assert stats[MODES_COVERED] == 1
    assert stats[REVERSE_KL] == pytest.approx(np.log(1000), rel=1e-12)  # p = 1 on one of 1000: log(1000·1)
    assert stats[JSD] == pytest.approx(_jensen_shannon(np.eye(1000)[704], UNIFORM_1000), rel=1e-12)
    assert stats[COUNTS][704] == 500 and stats[COUNTS].sum() == 500


def test_class_mode_index_puts_the_first_channel_first():
    stats = class_mode_stats(
        classes=np.array([[1, 2, 3], [3, 2, 1], [0, 0, 9]]),
        confidence=np.ones((3, 3)),
        reference=UNIFORM_1000,
        threshold=0.5,
    )
    assert np.flatnonzero(stats[COUNTS]).tolist() == [9, 123, 321]


def test_class_mode_stats_against_a_non_uniform_reference_for_single_digits():
    reference = np.arange(1, 11) / 55.0  # q_d ∝ d + 1
    classes = np.array([[0], [0], [9], [9]])  # p = 1/2 on digits 0 and 9
    stats = class_mode_stats(classes=classes, confidence=np.ones((4, 1)), reference=reference, threshold=0.5)
    expected = 0.5 * np.log(0.5 / (1 / 55)) + 0.5 * np.log(0.5 / (10 / 55))  # Σ p log(p/q), written out
    assert stats[REVERSE_KL] == pytest.approx(expected, rel=1e-12)
    assert stats[MODES_COVERED] == 2


def test_unclassified_samples_leave_the_counts_but_not_the_high_quality_denominator():
    classes = np.array([[1, 2, 3], [-1, -1, -1], [1, 2, 3], [4, -1, 6]])
    confidence = np.array([[0.99, 0.99, 0.99], [np.nan] * 3, [0.99, 0.99, 0.99], [0.99, np.nan, 0.99]])
    stats = class_mode_stats(classes=classes, confidence=confidence, reference=UNIFORM_1000, threshold=0.9)
    assert stats[COUNTS].sum() == 2 and stats[COUNTS][123] == 2
    assert stats[MODES_COVERED] == 1
    assert stats[HIGH_QUALITY_FRACTION] == 0.5  # 2 of all 4 samples, the 2 invalid ones included
    assert stats[REVERSE_KL] == pytest.approx(np.log(1000), rel=1e-12)  # valid samples all on one mode
    none_valid = class_mode_stats(
        classes=np.full((3, 3), -1), confidence=np.full((3, 3), np.nan), reference=UNIFORM_1000, threshold=0.9
    )
    assert none_valid[MODES_COVERED] == 0 and none_valid[HIGH_QUALITY_FRACTION] == 0.0
    # No classified sample: total collapse onto one of 1000 uniform modes, flagged.
    assert none_valid[REVERSE_KL] == pytest.approx(np.log(1000), rel=1e-12)
    assert none_valid[JSD] == pytest.approx(_jensen_shannon(np.eye(1000)[0], UNIFORM_1000), rel=1e-12)
    assert none_valid[NO_HIGH_QUALITY] == 1.0 and stats[NO_HIGH_QUALITY] == 0.0


def test_no_classified_sample_scores_the_worst_point_mass_of_a_non_uniform_reference():
    reference = np.arange(1, 11) / 55.0  # q_d ∝ d + 1: digit 0 is the least likely, q_0 = 1/55
    stats = class_mode_stats(
        classes=np.full((4, 1), -1), confidence=np.full((4, 1), np.nan), reference=reference, threshold=0.5
    )
    assert stats[REVERSE_KL] == pytest.approx(np.log(55), rel=1e-12)  # KL(δ_0 ‖ q) = −log q_0
    assert stats[JSD] == pytest.approx(_jensen_shannon(np.eye(10)[0], reference), rel=1e-12)
    # It is the largest value any histogram scores: above every other point mass.
    for digit in range(1, 10):
        point = class_mode_stats(
            classes=np.full((4, 1), digit), confidence=np.ones((4, 1)), reference=reference, threshold=0.5
        )
        assert point[REVERSE_KL] < stats[REVERSE_KL] and point[JSD] < stats[JSD]


def test_class_high_quality_threshold_is_inclusive_in_every_channel():
    classes = np.array([[1, 1, 1], [2, 2, 2], [3, 3, 3]])
    confidence = np.array([[0.9, 0.9, 0.9], [0.95, 0.89, 0.99], [1.0, 1.0, 0.9]])
    stats = class_mode_stats(classes=classes, confidence=confidence, reference=UNIFORM_1000, threshold=0.9)
    assert stats[HIGH_QUALITY_FRACTION] == pytest.approx(2 / 3)  # row 2 fails in one channel only
    assert stats[MODES_COVERED] == 3  # coverage counts every valid sample, whatever its confidence


def test_class_mode_stats_refuses_a_bad_reference():
    classes, confidence = np.zeros((4, 3), dtype=np.int64), np.ones((4, 3))
    with pytest.raises(ValueError, match="1000 entries"):
        class_mode_stats(classes=classes, confidence=confidence, reference=np.full(10, 0.1), threshold=0.5)
    zero = UNIFORM_1000.copy()
    zero[:2] = [0.0, 2 / 1000]
    with pytest.raises(ValueError, match="> 0"):
        class_mode_stats(classes=classes, confidence=confidence, reference=zero, threshold=0.5)
    with pytest.raises(ValueError, match="sum to 1"):
        class_mode_stats(classes=classes, confidence=confidence, reference=2 * UNIFORM_1000, threshold=0.5)
    with pytest.raises(ValueError, match="0-9"):
        class_mode_stats(classes=classes + 10, confidence=confidence, reference=UNIFORM_1000, threshold=0.5)
    with pytest.raises(ValueError, match="> 0"):
        class_mode_stats_floor(reference=np.r_[0.0, 1.0], n=10)


def test_class_floor_for_stacked_digits_matches_the_protocol():
    floor = class_mode_stats_floor(reference=UNIFORM_1000, n=26_000, repeats=20, seed=0)
    # E[KL] ≈ 999/(2·26,000) = 0.0192 (docs/protocol.md §2: ≈ 0.019); one draw has sd 0.0008 (χ²_999/2n),
    # so the mean of 20 has se 0.0002, and the second-order bias is about 1e-4: 0.001 is 5 se + bias.
    assert floor[REVERSE_KL_FLOOR] == pytest.approx(999 / 52_000, abs=0.001)
    # JSD ≈ χ²/(8n): 0.0048, a quarter of the KL's spread: 3e-4 is again about 5 se + bias.
    assert floor[JSD_FLOOR] == pytest.approx(999 / 208_000, abs=3e-4)
    assert class_mode_stats_floor(reference=UNIFORM_1000, n=500, repeats=3, seed=1) == class_mode_stats_floor(
        reference=UNIFORM_1000, n=500, repeats=3, seed=1
    )
    assert class_mode_stats_floor(reference=UNIFORM_1000, n=500, repeats=3, seed=1) != class_mode_stats_floor(
        reference=UNIFORM_1000, n=500, repeats=3, seed=2
    )


@pytest.mark.parametrize("metric", [class_mode_stats, class_mode_stats_floor], ids=lambda f: f.__name__)
def test_class_mode_metrics_are_keyword_only(metric):
    with pytest.raises(TypeError):
        metric(np.zeros((2, 1), dtype=np.int64), np.ones((2, 1)))


from modecollapse.metrics import MODES_COVERED_CEILING  # noqa: E402


def test_modes_covered_ceiling_is_the_expected_coverage_of_a_perfect_generator():
    uniform = np.full(1000, 1 / 1000)
    # Σ 1 − (1 − 1/1000)^n: 1000 (1 − e^{−2.5}) ≈ 918 at n = 2,500; one mode at n = 1
    assert class_mode_stats_floor(reference=uniform, n=2500)[MODES_COVERED_CEILING] == pytest.approx(918.0, abs=0.5)
    assert class_mode_stats_floor(reference=uniform, n=1)[MODES_COVERED_CEILING] == pytest.approx(1.0)
    skewed = np.array([0.5, 0.5 - 9e-6, *np.full(8, 1e-6 + 1e-7 / 8)])
    skewed = skewed / skewed.sum()
    ceiling = class_mode_stats_floor(reference=skewed, n=100)[MODES_COVERED_CEILING]
    assert 2.0 < ceiling < 2.01  # the 8 rare modes are almost never drawn in 100 samples
