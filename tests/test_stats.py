import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from modecollapse.stats import (
    SUMMARY_COLUMNS, TEST_COLUMNS, final_step, holm, mean_ci, rank_biserial, summarise_final, compare_with_baseline,
)


def long(rows):
    return pd.DataFrame(rows, columns=["dataset", "variant", "seed", "step", "metric", "value"])


def test_mean_ci_is_a_seeded_bootstrap_around_the_mean():
    values = np.array([6.0, 7.0, 8.0, 5.0, 9.0])
    result = mean_ci(values, seed=3)
    assert result["n"] == 5 and result["mean"] == 7.0
    assert result["sem"] == pytest.approx(values.std(ddof=1) / np.sqrt(5))
    assert result["ci_low"] < 7.0 < result["ci_high"]
    assert 5.0 <= result["ci_low"] and result["ci_high"] <= 9.0  # a mean of resamples stays within the data
    assert mean_ci(values, seed=3) == result  # seeded: repeats exactly
    # The percentile bootstrap of the mean is close to the normal interval mean ± 1.96·σ/√n
    # (σ with ddof=0, as the bootstrap sees it); 10,000 resamples put its ends within ~0.15.
    half = 1.96 * values.std() / np.sqrt(5)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((7.0 - half, 7.0 + half), abs=0.25)


def test_mean_ci_ignores_nonfinite_and_handles_degenerate_cases():
    assert mean_ci(np.array([np.nan, 3.0]))["n"] == 1
    assert np.isnan(mean_ci(np.array([3.0]))["sem"]) and np.isnan(mean_ci(np.array([3.0]))["ci_low"])
    assert (mean_ci(np.array([2.0, 2.0]))["ci_low"], mean_ci(np.array([2.0, 2.0]))["ci_high"]) == (2.0, 2.0)
    assert mean_ci(np.array([]))["n"] == 0


def test_summary_uses_each_runs_last_step():
    metrics = long([
        ("ring8", "gan-ns", 0, 100, "modes_covered", 1.0),
        ("ring8", "gan-ns", 0, 200, "modes_covered", 8.0),
        ("ring8", "gan-ns", 1, 100, "modes_covered", 6.0),  # diverged at step 100: its last step
    ])
    assert list(final_step(metrics)["value"]) == [8.0, 6.0]
    summary = summarise_final(metrics)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary.iloc[0]["mean"] == 7.0 and summary.iloc[0]["n"] == 2


def test_holm_matches_the_step_down_rule():
    # p sorted: 0.01, 0.02, 0.03, 0.5 with m = 4 -> 0.04, 0.06, 0.06 (monotone), 0.5.
    assert holm(np.array([0.03, 0.01, 0.5, 0.02])) == pytest.approx([0.06, 0.04, 0.5, 0.06])
    assert holm(np.array([0.9, 0.8])) == pytest.approx([1.0, 1.0])  # 2 × 0.8 capped at 1; kept monotone


def test_rank_biserial_is_cliffs_delta():
    assert rank_biserial(variant=np.array([5.0, 6.0]), baseline=np.array([1.0, 2.0])) == 1.0
    assert rank_biserial(variant=np.array([1.0, 2.0]), baseline=np.array([5.0, 6.0])) == -1.0
    a, b = np.array([1.0, 3.0, 5.0]), np.array([2.0, 4.0])
    u = scipy_stats.mannwhitneyu(a, b).statistic
    assert rank_biserial(variant=a, baseline=b) == pytest.approx(2 * u / (3 * 2) - 1)


def test_compare_with_baseline_find_a_clear_difference_and_not_a_null_one():
    rows = []
    for seed in range(8):
        rows += [
            ("ring8", "gan-ns", seed, 10, "modes_covered", 2.0 + seed % 2),
            ("ring8", "pacgan-2", seed, 10, "modes_covered", 8.0 - seed % 2),   # always above the baseline
            ("ring8", "hinge", seed, 10, "modes_covered", 2.0 + (seed + 1) % 2),  # the same distribution
        ]
    table = compare_with_baseline(long(rows), baseline="gan-ns")
    assert list(table.columns) == list(TEST_COLUMNS)
    pac = table[table["variant"] == "pacgan-2"].iloc[0]
    hinge = table[table["variant"] == "hinge"].iloc[0]
    assert pac["significant"] and pac["effect_size"] == 1.0 and pac["mean_difference"] == 5.0
    assert pac["p_value"] == pytest.approx(scipy_stats.mannwhitneyu([7.0, 8.0] * 4, [2.0, 3.0] * 4).pvalue)
    assert pac["p_holm"] == pytest.approx(min(1.0, 2 * pac["p_value"]))  # the smaller of 2 p-values, times 2
    assert not hinge["significant"] and hinge["p_value"] == pytest.approx(1.0)
    assert "gan-ns" not in set(table["variant"])
