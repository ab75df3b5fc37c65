"""Statistics across seeds: means with bootstrap intervals, and tests of each variant against the baseline."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from .evaluate import DIVERGED

LONG_COLUMNS = ("dataset", "variant", "seed", "step", "metric", "value")
# n: finite values aggregated; n_runs: runs of the (dataset, variant) at their final step, whatever
# their value; n_diverged: how many of those diverged. n_runs − n runs are left out of the mean.
SUMMARY_COLUMNS = ("dataset", "variant", "metric", "n", "n_runs", "n_diverged", "mean", "sem", "ci_low", "ci_high")
# family: "variants" (base variants against the baseline) or "sweeps" (sweep points against their
# own base variant, named in "baseline"); min_p: the smallest p_holm the comparison could reach
# (a lower bound: when min_p >= ALPHA it cannot be significant, whatever its values).
TEST_COLUMNS = (
    "dataset",
    "variant",
    "baseline",
    "family",
    "metric",
    "n",
    "n_baseline",
    "mean_difference",
    "u_statistic",
    "p_value",
    "p_holm",
    "min_p",
    "significant",
    "effect_size",
)
VARIANTS_FAMILY = "variants"
SWEEPS_FAMILY = "sweeps"
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
            (values,),
            np.mean,
            confidence_level=level,
            n_resamples=BOOTSTRAP_RESAMPLES,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        low, high = result.confidence_interval
    elif n > 1:  # every seed agrees: the interval is that value
        low = high = mean
    else:
        low = high = float("nan")
    return {"n": n, "mean": mean, "sem": sem, "ci_low": float(low), "ci_high": float(high)}


def summarise_final(metrics: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Aggregate the final step of every run across seeds, per (dataset, variant, metric).

    n, mean, sem, ci_low, ci_high are `mean_ci` of the finite values (n counts them). Nothing is
    left out uncounted: n_runs is the number of runs (seeds) of the (dataset, variant) present at
    their final step, whatever their value for this metric, and n_diverged how many of those
    diverged (final-step value 1 of the "diverged" metric; 0 when the table has no such metric).
    n_runs − n runs are left out of the cell, e.g. "n = 8 of 10; 2 diverged".
    """
    final = final_step(metrics)
    runs = final.groupby(["dataset", "variant"], sort=False)["seed"].nunique()
    flags = final[final["metric"] == DIVERGED]
    diverged = flags[flags["value"] == 1.0].groupby(["dataset", "variant"])["seed"].nunique()
    rows = [
        {
            "dataset": dataset,
            "variant": variant,
            "metric": metric,
            "n_runs": int(runs[(dataset, variant)]),
            "n_diverged": int(diverged.get((dataset, variant), 0)),
            **mean_ci(group["value"].to_numpy(), seed=seed),
        }
        for (dataset, variant, metric), group in final.groupby(["dataset", "variant", "metric"], sort=False)
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


def smallest_p_value(*, n_variant: int, n_baseline: int, family_size: int) -> float:
    """The smallest Holm-adjusted p-value a two-sided exact Mann-Whitney comparison of `n_variant`
    against `n_baseline` values can reach in a Holm family of `family_size` comparisons.

    The exact two-sided p-value is at least 2 / C(n₁ + n₂, n₁) (complete separation: one of the
    C(n₁ + n₂, n₁) equally likely arrangements in each tail); Holm multiplies the family's smallest
    p-value by the family size and never lowers a p-value. So when every comparison of the family
    has these seed counts no comparison of it can get a p_holm below
    min(1, family_size · 2 / C(n₁ + n₂, n₁)), and when that is ≥ ALPHA none can be significant
    (5 against 5 in 17 comparisons: 0.135). Assumes no ties (the exact test, which
    `compare_with_baseline` uses then; with ties it uses the asymptotic test, whose floor for the
    observed ties its min_p column takes instead).
    Source: Mann & Whitney (1947); Holm (1979).
    """
    if n_variant < 0 or n_baseline < 0 or family_size < 1:
        raise ValueError(f"need counts >= 0 and family_size >= 1, got {n_variant!r}, {n_baseline!r}, {family_size!r}")
    return min(1.0, family_size * 2.0 / math.comb(n_variant + n_baseline, n_variant))


def smallest_p_values(*, seeds: int, family: int, sweep_family: int) -> dict[str, float]:
    """The smallest p-values a study's tests allow with `seeds` seeds per run, every seed against
    every seed (`smallest_p_value`, exact test): "raw" (one comparison, before Holm), "variants"
    (a Holm family of `family` base variants against the baseline) and "sweeps" (of
    `sweep_family` sweep points against their base); NaN for a family with no comparison."""

    def smallest(family_size: int) -> float:
        return smallest_p_value(n_variant=seeds, n_baseline=seeds, family_size=family_size) if family_size else math.nan

    return {"raw": smallest(1), "variants": smallest(family), "sweeps": smallest(sweep_family)}


def mann_whitney(*, variant: np.ndarray, baseline: np.ndarray) -> dict:
    """Two-sided Mann-Whitney U test of `variant` against `baseline` (finite values, both non-empty):
    {"u_statistic", "p_value", "p_floor"}.

    Without ties among the pooled values it is scipy's exact test (method="exact"); with ties the
    exact null distribution no longer applies and it is scipy's asymptotic test (normal
    approximation with tie correction and continuity correction, method="asymptotic"); when all
    values are equal there is no evidence of a difference: U = n₁n₂/2, p = 1. p_floor is the
    smallest p-value the same test could return for these seed counts: 2 / C(n₁ + n₂, n₁) for the
    exact test; with ties, the asymptotic p-value of the most extreme split of the same pooled
    values (the n₁ largest or the n₁ smallest to the variant), which can be lower than the exact
    floor; 1 when all values are equal.
    Source: Mann & Whitney (1947); scipy.stats.mannwhitneyu.
    """
    pooled = np.concatenate([variant, baseline])
    n1 = len(variant)
    if np.ptp(pooled) == 0:
        return {"u_statistic": n1 * len(baseline) / 2, "p_value": 1.0, "p_floor": 1.0}
    if len(np.unique(pooled)) == len(pooled):
        test = scipy_stats.mannwhitneyu(variant, baseline, alternative="two-sided", method="exact")
        floor = smallest_p_value(n_variant=n1, n_baseline=len(baseline), family_size=1)
    else:
        test = scipy_stats.mannwhitneyu(variant, baseline, alternative="two-sided", method="asymptotic")
        ordered = np.sort(pooled)
        floor = min(
            scipy_stats.mannwhitneyu(split[:n1], split[n1:], alternative="two-sided", method="asymptotic").pvalue
            for split in (ordered, ordered[::-1])
        )
    return {"u_statistic": float(test.statistic), "p_value": float(test.pvalue), "p_floor": float(floor)}


def compare_with_baseline(
    metrics: pd.DataFrame, *, baseline: str, variants: Sequence[str], sweeps: Mapping[str, str]
) -> pd.DataFrame:
    """Two-sided Mann-Whitney U tests of final-step values, per dataset and metric, in two Holm
    families per (dataset, metric):
    - "variants": each of `variants` (the base variants; `baseline` itself is skipped) against
      `baseline`;
    - "sweeps": each sweep point (a run name of `sweeps`) against its own base variant
      (`sweeps[run]`, which the "baseline" column names).
    Holm's correction runs within each family, so sweep points never enlarge the variants' family.
    The test is exact without ties and asymptotic with them (see `mann_whitney`).

    min_p is the smallest p_holm the comparison could reach. With f the smallest p-value its test
    could return for its seed counts (`mann_whitney`'s p_floor: 2 / C(n₁ + n₂, n₁) for the exact
    test) and m the number of tested comparisons in its family, min_p = min(1, max(f, m · f_min)),
    f_min the smallest f in the family: Holm never adjusts a p-value below itself nor below m times
    the family's smallest p-value, so p_holm ≥ min_p always, and when min_p ≥ ALPHA the comparison
    cannot be significant whatever its values. When every comparison of the family has the same
    seed counts and no ties this is min(1, m · 2 / C(n₁ + n₂, n₁)) = `smallest_p_value`, reached by
    complete separation.

    Non-finite values (e.g. distances of a diverged run) are left out; n and n_baseline count the
    values tested. With 5 seeds against 5 the smallest two-sided p-value is 2/252 ≈ 0.008, so after
    correction only large, consistent differences can reach significance.
    """
    final = final_step(metrics)
    comparisons = [(variant, baseline, VARIANTS_FAMILY) for variant in variants if variant != baseline]
    comparisons += [(run, base, SWEEPS_FAMILY) for run, base in sweeps.items()]
    rows = []
    for (dataset, metric), group in final.groupby(["dataset", "metric"], sort=False):
        values_of = {
            name: values[np.isfinite(values)]
            for name, values in ((name, sub["value"].to_numpy(dtype=float)) for name, sub in group.groupby("variant"))
        }
        families: dict[str, list[dict]] = {VARIANTS_FAMILY: [], SWEEPS_FAMILY: []}
        for variant, reference_name, family in comparisons:
            values = values_of.get(variant, np.empty(0))
            reference = values_of.get(reference_name, np.empty(0))
            row = {
                "dataset": dataset,
                "variant": variant,
                "baseline": reference_name,
                "family": family,
                "metric": metric,
                "n": len(values),
                "n_baseline": len(reference),
            }
            if len(values) and len(reference):
                row["mean_difference"] = float(values.mean() - reference.mean())
                row["effect_size"] = rank_biserial(variant=values, baseline=reference)
                row |= mann_whitney(variant=values, baseline=reference)
            families[family].append(row)
        for family in families.values():
            tested = [row for row in family if "p_value" in row]
            smallest_floor = min((row["p_floor"] for row in tested), default=1.0)
            for row, adjusted in zip(tested, holm(np.array([row["p_value"] for row in tested]))):
                row["p_holm"] = float(adjusted)
                row["min_p"] = min(1.0, max(row.pop("p_floor"), len(tested) * smallest_floor))
                row["significant"] = bool(adjusted < ALPHA)
            rows.extend(family)
    table = pd.DataFrame(rows, columns=list(TEST_COLUMNS))
    table["significant"] = table["significant"].fillna(False).astype(bool)
    return table
