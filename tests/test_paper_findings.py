"""The report's findings paragraph: which variants differ from the baseline, from the tests table."""

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
