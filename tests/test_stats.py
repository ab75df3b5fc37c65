import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from modecollapse.stats import SUMMARY_COLUMNS, final_step, mean_ci, summarise_final


def test_mean_ci_matches_student_t():
    values = np.array([6.0, 7.0, 8.0, 5.0])
    result = mean_ci(values)
    half_width = scipy_stats.t.ppf(0.975, df=3) * values.std(ddof=1) / 2
    assert result["n"] == 4 and result["mean"] == 6.5
    assert result["sem"] == pytest.approx(values.std(ddof=1) / 2)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((6.5 - half_width, 6.5 + half_width))


def test_mean_ci_ignores_nonfinite_and_handles_one_value():
    assert mean_ci(np.array([np.nan, 3.0]))["n"] == 1
    assert np.isnan(mean_ci(np.array([3.0]))["sem"])
    assert mean_ci(np.array([2.0, 2.0]))["ci_low"] == 2.0


def test_summary_uses_each_runs_last_step():
    rows = [
        ("ring8", "gan-ns", 0, 100, "modes_covered", 1.0),
        ("ring8", "gan-ns", 0, 200, "modes_covered", 8.0),
        ("ring8", "gan-ns", 1, 100, "modes_covered", 6.0),  # diverged at step 100: its last step
    ]
    metrics = pd.DataFrame(rows, columns=["dataset", "variant", "seed", "step", "metric", "value"])
    assert list(final_step(metrics)["value"]) == [8.0, 6.0]
    summary = summarise_final(metrics)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary.iloc[0]["mean"] == 7.0 and summary.iloc[0]["n"] == 2
