"""Statistics across seeds: means with bootstrap intervals, and tests of each variant against the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

LONG_COLUMNS = ("dataset", "variant", "seed", "step", "metric", "value")
SUMMARY_COLUMNS = ("dataset", "variant", "metric", "n", "mean", "sem", "ci_low", "ci_high")
TEST_COLUMNS = (
    "dataset", "variant", "baseline", "metric", "n", "n_baseline", "mean_difference",
    "u_statistic", "p_value", "p_holm", "significant", "effect_size",
)
BOOTSTRAP_RESAMPLES = 10_000
ALPHA = 0.05


def final_step(metrics: pd.DataFrame) -> pd.DataFrame:
    """Rows of each run's last snapshot (a diverged run's last snapshot is its divergence step)."""
    last = metrics.groupby(["dataset", "variant", "seed"])["step"].transform("max")
    return metrics[metrics["step"] == last]


def mean_ci(values: np.ndarray, *, level: float = 0.95, seed: int = 0) -> dict:
    """n, mean, standard error and a percentile bootstrap interval of the mean of the finite `values`.

    The bootstrap resamples seeds (Efron & Tibshirani 1993, ch. 13) with a generator seeded by
    `seed`, so the interval repeats exactly. With so few seeds it is narrower than a t interval:
    it describes the seeds at hand, and the tests below carry the inference.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    sem = float(scipy_stats.sem(values)) if n > 1 else float("nan")
    if n > 1 and np.ptp(values) > 0:
        result = scipy_stats.bootstrap(
            (values,), np.mean, confidence_level=level, n_resamples=BOOTSTRAP_RESAMPLES,
            method="percentile", rng=np.random.default_rng(seed),
        )
        low, high = result.confidence_interval
    elif n > 1:  # every seed agrees: the interval is that value
        low = high = mean
    else:
        low = high = float("nan")
    return {"n": n, "mean": mean, "sem": sem, "ci_low": float(low), "ci_high": float(high)}


def summarise_final(metrics: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Aggregate the final step of every run across seeds, per (dataset, variant, metric)."""
    rows = [
        {"dataset": dataset, "variant": variant, "metric": metric, **mean_ci(group["value"].to_numpy(), seed=seed)}
        for (dataset, variant, metric), group in final_step(metrics).groupby(["dataset", "variant", "metric"], sort=False)
    ]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979): controls the family-wise error rate."""
    p_values = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p_values)
    m = len(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, (m - rank) * p_values[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def rank_biserial(*, variant: np.ndarray, baseline: np.ndarray) -> float:
    """Effect size of a Mann-Whitney comparison: P(variant > baseline) − P(variant < baseline),
    in [−1, 1] (Cliff's delta; equal to the rank-biserial correlation 2U/(n₁n₂) − 1)."""
    greater = (variant[:, None] > baseline[None, :]).mean()
    less = (variant[:, None] < baseline[None, :]).mean()
    return float(greater - less)


def compare_with_baseline(metrics: pd.DataFrame, *, baseline: str, variants: list[str] | None = None) -> pd.DataFrame:
    """Two-sided Mann-Whitney U test of each variant's final-step values against the baseline's,
    per dataset and metric, with Holm's correction over the variants of each (dataset, metric).

    Non-finite values (e.g. reverse KL of a generator with no high-quality sample) are left out.
    With 5 seeds against 5 the smallest two-sided p-value is 2/252 ≈ 0.008, so after correction
    only large, consistent differences can reach significance.
    """
    final = final_step(metrics)
    rows = []
    for (dataset, metric), group in final.groupby(["dataset", "metric"], sort=False):
        reference = group.loc[group["variant"] == baseline, "value"].to_numpy(dtype=float)
        reference = reference[np.isfinite(reference)]
        family = []
        for variant in variants or list(dict.fromkeys(group["variant"])):
            if variant == baseline:
                continue
            values = group.loc[group["variant"] == variant, "value"].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            row = {"dataset": dataset, "variant": variant, "baseline": baseline, "metric": metric,
                   "n": len(values), "n_baseline": len(reference)}
            if len(values) and len(reference):
                row["mean_difference"] = float(values.mean() - reference.mean())
                row["effect_size"] = rank_biserial(variant=values, baseline=reference)
                if np.ptp(np.concatenate([values, reference])) > 0:
                    test = scipy_stats.mannwhitneyu(values, reference, alternative="two-sided")
                    row["u_statistic"], row["p_value"] = float(test.statistic), float(test.pvalue)
                else:  # identical values everywhere: no evidence of a difference
                    row["u_statistic"], row["p_value"] = len(values) * len(reference) / 2, 1.0
            family.append(row)
        tested = [row for row in family if "p_value" in row]
        for row, adjusted in zip(tested, holm(np.array([row["p_value"] for row in tested]))):
            row["p_holm"] = float(adjusted)
            row["significant"] = bool(adjusted < ALPHA)
        rows.extend(family)
    table = pd.DataFrame(rows, columns=list(TEST_COLUMNS))
    table["significant"] = table["significant"].fillna(False).astype(bool)
    return table
