"""The report's findings paragraph: which variants differ from the baseline, from the tests table."""

import math

from paper_inputs import make_tests_table

from modecollapse.metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL
from modecollapse.paper.findings import findings


def test_findings_name_each_significant_difference_and_the_variants_without_one():
    tests = make_tests_table(
        [
            {
                "dataset": "ring8",
                "variant": "wgan-gp",
                "family": "variants",
                "metric": MODES_COVERED,
                "mean_difference": -6.375,
                "p_holm": 0.0048,
                "significant": True,
            },
            {
                "dataset": "ring8",
                "variant": "wgan-gp",
                "family": "variants",
                "metric": HIGH_QUALITY_FRACTION,
                "mean_difference": -0.327,
                "p_holm": 0.0012,
                "significant": True,
            },
            {
                "dataset": "ring8",
                "variant": "sngan",
                "family": "variants",
                "metric": REVERSE_KL,
                "mean_difference": 0.1,
                "p_holm": 0.4,
                "significant": False,
            },
            {
                "dataset": "ring8",
                "variant": "gan-ns@lr=0.002",
                "family": "sweeps",
                "metric": REVERSE_KL,
                "mean_difference": 0.4,
                "p_holm": 0.01,
                "significant": True,
            },
            {
                "dataset": "grid25",
                "variant": "sngan",
                "family": "variants",
                "metric": MODES_COVERED,
                "mean_difference": 1.0,
                "p_holm": 0.3,
                "significant": False,
            },
            {"dataset": "grid25", "variant": "hinge", "family": "variants", "metric": REVERSE_KL},  # untested: NaN
        ]
    )
    text = findings(tests)
    ring8 = next(line for line in text.splitlines() if line.startswith(r"\item ring8"))
    assert r"modes covered: \texttt{wgan-gp} ($-6.38$ modes, $p_{\mathrm{Holm}}=0.0048$)" in ring8
    assert r"high-quality fraction: \texttt{wgan-gp} ($-32.7$ percentage points" in ring8
    assert r"any of the three: \texttt{sngan}." in ring8 and "lr=0.002" not in text  # sweeps are not findings
    assert r"\item grid25: no variant differs significantly" in text


def test_findings_say_plainly_when_nothing_is_significant():
    tests = make_tests_table(
        [
            {
                "dataset": "ring8",
                "variant": "sngan",
                "family": "variants",
                "metric": MODES_COVERED,
                "mean_difference": 1.0,
                "p_holm": 0.3,
                "significant": False,
            }
        ]
    )
    assert "No variant differs significantly from the baseline on any of them, in any dataset." in findings(tests)


def test_what_the_study_resolves_counts_its_significant_comparisons_and_unfinished_runs(schema):
    from paper_inputs import make_study, summary_row, summary_table

    from modecollapse.evaluate import LEVELLED_OFF, UNDER_TRAINED
    from modecollapse.paper.findings import scope

    row = {"dataset": "ring8", "variant": "wgan-gp", "family": "variants"}
    tests = make_tests_table(
        [
            {**row, "metric": MODES_COVERED, "significant": True},
            {**row, "metric": REVERSE_KL, "significant": False},
            {**row, "metric": HIGH_QUALITY_FRACTION, "significant": math.nan},  # not tested
            {**row, "family": "sweeps", "metric": MODES_COVERED, "significant": True},  # not a finding
        ]
    )
    # 5 seeds of each of two runs: 7 of 10 levelled off (one seed's criterion undefined: 9 defined), 1 under-trained
    summary = summary_table(
        [
            summary_row("ring8", "gan-ns", LEVELLED_OFF, [1, 1, 1, 1, 0]),
            summary_row("ring8", "wgan-gp", LEVELLED_OFF, [1, 1, 1, 0, math.nan]),
            summary_row("ring8", "gan-ns", UNDER_TRAINED, [0, 0, 0, 0, 1]),
            summary_row("ring8", "wgan-gp", UNDER_TRAINED, [0, 0, 0, 0, 0]),
        ]
    )
    text = scope(study=make_study(schema), summary=summary, tests=tests)  # 5 seeds, a family of 2
    assert "With 5 seeds per run" in text and "1 of the 3 comparisons of the findings" in text
    assert "(2 of the 9 runs where the criterion is defined, 1 of them under-trained)" in text
    assert r"Section~\ref{sec:replication}" in text
    # with 2 seeds no comparison can reach significance: said so, not counted as resolvable
    text = scope(study=make_study(schema, seeds=[0, 1]), summary=summary, tests=tests)
    assert "no comparison with the baseline can reach significance, however consistent" in text
    assert "comparisons of the findings" not in text
