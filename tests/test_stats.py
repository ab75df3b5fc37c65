from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from modecollapse.stats import (
    ALPHA,
    SUMMARY_COLUMNS,
    TEST_COLUMNS,
    compare_with_baseline,
    final_step,
    holm,
    mann_whitney,
    mean_ci,
    rank_biserial,
    smallest_p_value,
    smallest_p_values,
    summarise_final,
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
    metrics = long(
        [
            ("ring8", "gan-ns", 0, 100, "modes_covered", 1.0),
            ("ring8", "gan-ns", 0, 200, "modes_covered", 8.0),
            ("ring8", "gan-ns", 1, 100, "modes_covered", 6.0),  # diverged at step 100: its last step
        ]
    )
    assert list(final_step(metrics)["value"]) == [8.0, 6.0]
    summary = summarise_final(metrics)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary.iloc[0]["mean"] == 7.0 and summary.iloc[0]["n"] == 2
    assert summary.iloc[0]["n_runs"] == 2 and summary.iloc[0]["n_diverged"] == 0  # no "diverged" metric: 0


def test_summary_counts_the_runs_a_cell_leaves_out():
    rows = []
    for seed in range(4):
        diverged = seed == 3
        rows += [
            ("ring8", "gan-ns", seed, 7 if diverged else 10, "modes_covered", 0.0 if diverged else 6.0),
            ("ring8", "gan-ns", seed, 7 if diverged else 10, "wasserstein_1", np.nan if diverged else 0.2),
            ("ring8", "gan-ns", seed, 7 if diverged else 10, "diverged", float(diverged)),
            ("ring8", "hinge", seed, 10, "modes_covered", 8.0),
            ("ring8", "hinge", seed, 10, "diverged", 0.0),
        ]
    summary = summarise_final(long(rows)).set_index(["variant", "metric"])
    distance = summary.loc[("gan-ns", "wasserstein_1")]
    assert (distance["n"], distance["n_runs"], distance["n_diverged"]) == (3, 4, 1)  # "n = 3 of 4; 1 diverged"
    assert distance["mean"] == pytest.approx(0.2)
    covered = summary.loc[("gan-ns", "modes_covered")]
    assert (covered["n"], covered["n_runs"], covered["n_diverged"]) == (4, 4, 1)
    assert covered["mean"] == 4.5  # (6 + 6 + 6 + 0) / 4: the diverged run counts as covering nothing
    assert tuple(summary.loc[("hinge", "modes_covered"), ["n", "n_runs", "n_diverged"]]) == (4, 4, 0)


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
            ("ring8", "pacgan-2", seed, 10, "modes_covered", 8.0 - seed % 2),  # always above the baseline
            ("ring8", "hinge", seed, 10, "modes_covered", 2.0 + (seed + 1) % 2),  # the same distribution
        ]
    table = compare_with_baseline(long(rows), baseline="gan-ns", variants=["gan-ns", "pacgan-2", "hinge"], sweeps={})
    assert list(table.columns) == list(TEST_COLUMNS)
    pac = table[table["variant"] == "pacgan-2"].iloc[0]
    hinge = table[table["variant"] == "hinge"].iloc[0]
    assert pac["significant"] and pac["effect_size"] == 1.0 and pac["mean_difference"] == 5.0
    assert pac["p_value"] == pytest.approx(scipy_stats.mannwhitneyu([7.0, 8.0] * 4, [2.0, 3.0] * 4).pvalue)
    assert pac["p_holm"] == pytest.approx(min(1.0, 2 * pac["p_value"]))  # the smaller of 2 p-values, times 2
    assert not hinge["significant"] and hinge["p_value"] == pytest.approx(1.0)
    assert "gan-ns" not in set(table["variant"])


def _separated(*, n, variants, sweeps=(), n_baseline=None):
    """Final-step values where every named run lies entirely above the baseline (no ties)."""
    n_baseline = n if n_baseline is None else n_baseline
    rows = [("ring8", "gan-ns", seed, 10, "modes_covered", float(seed)) for seed in range(n_baseline)]
    for index, name in enumerate([*variants, *sweeps]):
        rows += [("ring8", name, seed, 10, "modes_covered", 100.0 * (index + 1) + seed) for seed in range(n)]
    return long(rows)


def test_ten_seeds_completely_separated_stay_significant_among_fifteen_variants():
    variants = [f"v{i}" for i in range(15)]
    table = compare_with_baseline(_separated(n=10, variants=variants), baseline="gan-ns", variants=variants, sweeps={})
    # Exact test: complete separation is 1 of C(20, 10) = 184,756 arrangements per tail.
    assert table["p_value"].to_numpy() == pytest.approx(2 / comb(20, 10), rel=1e-9)  # exact arithmetic
    assert table["p_holm"].to_numpy() == pytest.approx(15 * 2 / comb(20, 10), rel=1e-9)
    assert table["significant"].all() and (table["p_holm"] < 0.05).all()
    assert table["min_p"].to_numpy() == pytest.approx(table["p_holm"].to_numpy(), rel=1e-9)  # the floor is reached
    assert set(table["family"]) == {"variants"}


def test_five_seeds_in_seventeen_comparisons_cannot_be_significant_and_min_p_says_so():
    variants = [f"v{i}" for i in range(17)]
    table = compare_with_baseline(_separated(n=5, variants=variants), baseline="gan-ns", variants=variants, sweeps={})
    floor = 17 * 2 / comb(10, 5)  # 34/252 = 0.135
    assert table["min_p"].to_numpy() == pytest.approx(floor, rel=1e-12)  # rounding only
    assert (table["min_p"] >= ALPHA).all() and not table["significant"].any()  # even complete separation
    assert smallest_p_value(n_variant=5, n_baseline=5, family_size=17) == pytest.approx(floor, rel=1e-12)


def test_smallest_p_value_known_answers():
    assert smallest_p_value(n_variant=5, n_baseline=5, family_size=1) == pytest.approx(2 / 252, rel=1e-12)
    assert smallest_p_value(n_variant=3, n_baseline=4, family_size=2) == pytest.approx(4 / 35, rel=1e-12)
    assert smallest_p_value(n_variant=2, n_baseline=2, family_size=5) == 1.0  # 5 · 2/6 capped
    with pytest.raises(TypeError):
        smallest_p_value(5, 5, 17)
    with pytest.raises(ValueError):
        smallest_p_value(n_variant=5, n_baseline=5, family_size=0)


def test_smallest_p_values_of_a_study_per_family():
    """With 5 seeds a run: one comparison alone, a family of 2 variants, none without sweeps (NaN)."""
    p_values = smallest_p_values(seeds=5, family=2, sweep_family=0)
    assert p_values["raw"] == pytest.approx(2 / 252, rel=1e-12) and p_values["variants"] == pytest.approx(
        4 / 252, rel=1e-12
    )
    assert np.isnan(p_values["sweeps"])


def test_sweep_points_form_their_own_family_against_their_own_base():
    variants, sweeps = ["hinge", "lsgan"], {f"hinge@lr={i}": "hinge" for i in range(5)}
    data = _separated(n=5, variants=variants)
    # Sweep points of hinge interleave with hinge's own values (+0.5, no ties): no clear difference.
    hinge = data[data["variant"] == "hinge"]
    data = pd.concat(
        [data, *[hinge.assign(variant=run, value=hinge["value"] + 0.5) for run in sweeps]], ignore_index=True
    )
    table = compare_with_baseline(data, baseline="gan-ns", variants=["gan-ns", *variants], sweeps=sweeps)
    base = table[table["family"] == "variants"]
    assert list(base["variant"]) == variants and set(base["baseline"]) == {"gan-ns"}
    # A family of 2, not 7: 2 · 2/252 = 0.016 is significant; with the 5 sweep points it would be 0.056.
    assert base["p_holm"].to_numpy() == pytest.approx(2 * 2 / 252, rel=1e-9)
    assert base["significant"].all() and base["min_p"].to_numpy() == pytest.approx(4 / 252, rel=1e-9)
    swept = table[table["family"] == "sweeps"]
    assert set(swept["variant"]) == set(sweeps) and set(swept["baseline"]) == {"hinge"}
    exact = scipy_stats.mannwhitneyu(np.arange(5) + 100.5, np.arange(5) + 100.0, method="exact").pvalue
    assert swept["p_value"].to_numpy() == pytest.approx(exact, rel=1e-12) and not swept["significant"].any()
    assert swept["min_p"].to_numpy() == pytest.approx(5 * 2 / 252, rel=1e-12)  # its own family of 5


def test_ties_use_the_asymptotic_test_and_min_p_follows_it():
    variant, baseline = np.full(5, 2.0), np.full(5, 1.0)
    result = mann_whitney(variant=variant, baseline=baseline)
    # Written out: U = 25, mean 12.5, tie-corrected variance n1 n2/12 · (n + 1 − Σ(t³ − t)/(n(n − 1)))
    # = 25/12 · (11 − 240/90); continuity correction 0.5.
    z = (25 - 12.5 - 0.5) / np.sqrt(25 / 12 * (11 - 240 / 90))
    assert result["p_value"] == pytest.approx(2 * scipy_stats.norm.sf(z), rel=1e-9)
    assert result["p_value"] < 2 / 252  # below the exact test's floor: why min_p must follow the method
    assert result["p_floor"] == pytest.approx(result["p_value"], rel=1e-12)  # already the most extreme split
    mixed = mann_whitney(variant=np.array([1.0, 2.0, 2.0]), baseline=np.array([1.0, 1.0, 2.0]))
    assert mixed["p_floor"] < mixed["p_value"]
    rows = [("d", "a", s, 1, "x", v) for s, v in enumerate(baseline)]
    rows += [("d", "b", s, 1, "x", v) for s, v in enumerate(variant)]
    table = compare_with_baseline(long(rows), baseline="a", variants=["b"], sweeps={})
    assert table["min_p"].iloc[0] == pytest.approx(result["p_floor"], rel=1e-12)  # a family of 1
    assert table["min_p"].iloc[0] <= table["p_holm"].iloc[0]
    assert mann_whitney(variant=np.ones(3), baseline=np.ones(4)) == {"u_statistic": 6.0, "p_value": 1.0, "p_floor": 1.0}


def test_runs_missing_from_the_table_are_listed_untested():
    table = compare_with_baseline(
        _separated(n=5, variants=["hinge"]),
        baseline="gan-ns",
        variants=["hinge", "lsgan"],
        sweeps={"lsgan@lr=1": "lsgan"},
    )
    missing = table.set_index("variant").loc[["lsgan", "lsgan@lr=1"]]
    assert (missing["n"] == 0).all() and missing["p_value"].isna().all() and missing["min_p"].isna().all()
    assert not missing["significant"].any()
    assert table.set_index("variant").loc["hinge", "p_holm"] == pytest.approx(2 / 252, rel=1e-9)  # family of 1


def test_min_p_never_exceeds_p_holm_in_mixed_families():
    # Families mixing seed counts (a diverged run's NaN distances leave fewer seeds) and ties
    # (counts of modes): min_p must stay a lower bound, or "cannot be significant" could be wrong.
    rng = np.random.default_rng(0)
    for trial in range(30):
        rows = [("d", "base", s, 1, "x", v) for s, v in enumerate(rng.integers(0, 4, size=10).astype(float))]
        variants = []
        for index in range(int(rng.integers(2, 8))):
            n = int(rng.integers(2, 11))
            values = rng.integers(0, 12, size=n) if rng.random() < 0.5 else rng.normal(index, 1, size=n) + 10
            rows += [("d", f"v{index}", s, 1, "x", float(v)) for s, v in enumerate(values)]
            variants.append(f"v{index}")
        table = compare_with_baseline(long(rows), baseline="base", variants=variants, sweeps={})
        assert (table["p_holm"] >= table["min_p"] * (1 - 1e-12)).all(), trial  # rounding only
    # 5 seeds against 10 among six 10-against-10 comparisons: m · 2/C(15, 5) = 0.0047 overstates its
    # floor 7-fold (it reaches p_holm = 2/C(15, 5) when it ranks last), and min_p says 2/C(15, 5).
    data = _separated(n=10, variants=[f"v{i}" for i in range(6)])
    data = pd.concat([data, _separated(n=5, variants=["w"], n_baseline=0)], ignore_index=True)
    data.loc[data["variant"] == "w", "value"] += 1000.0  # above everything: p = 2/C(15, 5) against 10 baseline seeds
    table = compare_with_baseline(data, baseline="gan-ns", variants=[*[f"v{i}" for i in range(6)], "w"], sweeps={})
    w = table.set_index("variant").loc["w"]
    assert w["n_baseline"] == 10 and w["min_p"] == pytest.approx(2 / comb(15, 5), rel=1e-12)
    assert w["p_holm"] == pytest.approx(2 / comb(15, 5), rel=1e-9) and w["significant"]
