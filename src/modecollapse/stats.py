"""Statistics across seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

LONG_COLUMNS = ("dataset", "variant", "seed", "step", "metric", "value")
SUMMARY_COLUMNS = ("dataset", "variant", "metric", "n", "mean", "sem", "ci_low", "ci_high")


def final_step(metrics: pd.DataFrame) -> pd.DataFrame:
    """Rows of each run's last snapshot (a diverged run's last snapshot is its divergence step)."""
    last = metrics.groupby(["dataset", "variant", "seed"])["step"].transform("max")
    return metrics[metrics["step"] == last]


def mean_ci(values: np.ndarray, *, level: float = 0.95) -> dict:
    """n, mean, standard error and Student-t confidence interval of the finite `values`."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    sem = float(scipy_stats.sem(values)) if n > 1 else float("nan")
    if n > 1 and sem > 0:
        low, high = scipy_stats.t.interval(level, df=n - 1, loc=mean, scale=sem)
    elif n > 1:  # all seeds agree exactly
        low = high = mean
    else:
        low = high = float("nan")
    return {"n": n, "mean": mean, "sem": sem, "ci_low": float(low), "ci_high": float(high)}


def summarise_final(metrics: pd.DataFrame) -> pd.DataFrame:
    """Aggregate the final step of every run across seeds, per (dataset, variant, metric)."""
    rows = [
        {"dataset": dataset, "variant": variant, "metric": metric, **mean_ci(group["value"].to_numpy())}
        for (dataset, variant, metric), group in final_step(metrics).groupby(["dataset", "variant", "metric"], sort=False)
    ]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
