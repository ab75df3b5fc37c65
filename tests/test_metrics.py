import numpy as np
import pytest

from modecollapse.data import DATASETS, sample_mixture
from modecollapse.metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL, mode_stats


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


def test_collapsed_generator_covers_one_mode_with_maximal_kl():
    center = np.asarray(DATASETS["ring8"].centers[2])
    fake = center + 0.001 * np.random.default_rng(0).standard_normal((2500, 2))
    stats = _stats("ring8", fake)
    assert stats[MODES_COVERED] == 1
    assert stats[HIGH_QUALITY_FRACTION] == 1.0
    assert stats[REVERSE_KL] == pytest.approx(np.log(8))  # p = 1 on one of 8 modes
    assert stats["counts"][2] == 2500


def test_far_samples_are_not_high_quality_and_kl_is_undefined():
    fake = np.full((100, 2), 10.0)
    stats = _stats("ring8", fake)
    assert stats[MODES_COVERED] == 0
    assert stats[HIGH_QUALITY_FRACTION] == 0.0
    assert np.isnan(stats[REVERSE_KL])


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
