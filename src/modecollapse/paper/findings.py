"""The report's findings paragraph (which base variants differ significantly from the baseline, from the tests table)
and what the study can and cannot resolve."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from ..evaluate import LEVELLED_OFF, UNDER_TRAINED
from ..metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL
from ..stats import ALPHA
from .latex import latex_escape, p_value
from .macros import run_counts, significance_floor
from .tables import METRIC_WORDS

# The metrics of the findings paragraph: (metric, how a difference is written: scale and unit)
FINDINGS_METRICS = (
    (MODES_COVERED, 1.0, " modes"),
    (REVERSE_KL, 1.0, ""),
    (HIGH_QUALITY_FRACTION, 100.0, " percentage points"),
)


def _difference(row: Mapping[str, Any], *, scale: float, unit: str) -> str:
    """A variant's significant difference from the baseline: "wgan-gp ($-6.38$ modes, $p_{Holm}=0.0048$)"."""
    return (
        rf"\texttt{{{latex_escape(row['variant'])}}} (${row['mean_difference'] * scale:+.3g}${unit}, "
        rf"$p_{{\mathrm{{Holm}}}}={p_value(row['p_holm'])}$)"
    )


def _findings_item(dataset: str, tests: pd.DataFrame) -> str:
    """What the tests of one dataset find: per metric of FINDINGS_METRICS the variants that
    differ significantly from the baseline, by their mean difference and Holm-adjusted p; then
    the variants that differ on none of them."""
    shown = tests[tests["metric"].isin([metric for metric, _, _ in FINDINGS_METRICS])]
    significant = shown[shown["significant"].eq(True)]  # NaN: not tested, not significant
    clauses = []
    for metric, scale, unit in FINDINGS_METRICS:
        rows = significant[significant["metric"] == metric].to_dict("records")
        if rows:
            differences = ", ".join(_difference(r, scale=scale, unit=unit) for r in rows)
            clauses.append(f"{METRIC_WORDS[metric]}: {differences}")
    same = [latex_escape(v) for v in dict.fromkeys(shown["variant"]) if v not in set(significant["variant"])]
    name = latex_escape(dataset)
    if not clauses:
        return rf"\item {name}: no variant differs significantly from the baseline on any of the three."
    text = rf"\item {name}: significant differences (variant minus baseline) in " + "; in ".join(clauses) + "."
    if same:
        text += " No significant difference on any of the three: " + ", ".join(rf"\texttt{{{v}}}" for v in same) + "."
    return text


def findings(tests: pd.DataFrame) -> str:
    """The report's findings paragraph, from the tests table: per dataset, which base variants
    differ significantly from the baseline (Holm-corrected Mann--Whitney, family "variants") in
    modes covered, reverse KL and high-quality fraction, by how much, and which do not; said
    plainly when nothing is significant."""
    mine = tests[tests["family"] == "variants"]
    intro = (
        r"\paragraph{Findings.} Each base variant against the baseline (\Baseline), per dataset, on the "
        r"final modes covered, reverse KL and high-quality fraction (Holm-corrected Mann--Whitney tests at "
        r"$p<\StudyAlpha$; differences are means across seeds, variant minus baseline)."
    )
    if not mine["significant"].eq(True).any():
        return intro + " No variant differs significantly from the baseline on any of them, in any dataset.\n"
    items = [_findings_item(dataset, group) for dataset, group in mine.groupby("dataset", sort=False)]
    return "\n".join([intro, r"\begin{itemize}", *items, r"\end{itemize}", ""])


def scope(*, study: Mapping[str, Any], summary: pd.DataFrame, tests: pd.DataFrame) -> str:
    """What the study can and cannot resolve, from its own numbers: how many of the findings'
    comparisons reached significance with its seeds, how many runs levelled off, and what lies
    beyond it (smaller differences, later steps, the published settings)."""
    seeds = len(study["seeds"])
    shown = tests[(tests["family"] == "variants") & tests["metric"].isin([m for m, _, _ in FINDINGS_METRICS])]
    significant = int(shown["significant"].eq(True).sum())
    counts = run_counts(summary)
    (levelled, defined), under = counts[LEVELLED_OFF], counts[UNDER_TRAINED][0]
    floor = significance_floor(study)["variants"]
    reach = (
        rf"it resolves a difference from the baseline that is consistent across seeds: {significant} of the "
        rf"{len(shown)} comparisons of the findings (variant, dataset and metric) reach significance."
        if floor < ALPHA
        else rf"no comparison with the baseline can reach significance, however consistent (the smallest "
        rf"Holm-adjusted p-value its seeds allow is {p_value(floor)})."
    )
    can = (
        rf"With {seeds} seeds per run {reach} The figures of the discriminator's surface, of mode hopping "
        r"and of the samples show one seed each: they show how a run collapses, hops or covers the modes, "
        r"and the tables say how often across seeds."
    )
    cannot = (
        rf"It cannot resolve a smaller or less consistent difference, which {seeds} seeds do not tell from chance "
        r"(a variant without a significant difference is not shown to equal the baseline); "
        + (
            rf"how its runs would end after their last step where they had not levelled off ({defined - levelled} "
            rf"of the {defined} runs where the criterion is defined, {under} of them under-trained); "
            if defined
            else r"whether its runs had levelled off (the plateau criterion is undefined for all of them); "
        )
        + r"nor whether a published claim holds at its paper's setting: its networks, steps and data sizes are "
        r"its own (Table~\ref{tab:settings}), and Section~\ref{sec:replication} sets each published number "
        r"beside the run of its own setting where there is one."
    )
    return "\n".join([r"\paragraph{What this study can and cannot resolve.}", can, cannot, ""])
