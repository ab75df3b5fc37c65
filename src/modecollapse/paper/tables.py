"""The report's tables (results, distances, classifiers, variants, settings) and the summary cells they are made of."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import metrics
from ..config import TrainSettings, format_value, shared_settings, study_runs
from ..data import get_dataset
from ..evaluate import COLLAPSED, LEVELLED_OFF, OVERFITTING_GAP, UNDER_TRAINED
from ..metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, NO_HIGH_QUALITY, REVERSE_KL
from ..variants import describe
from .latex import fit_to_width, latex_escape, number, stacked

# How a metric reads in a sentence
METRIC_WORDS = {
    MODES_COVERED: "modes covered",
    HIGH_QUALITY_FRACTION: "high-quality fraction",
    REVERSE_KL: "reverse KL",
}


def _int(value: Any, default: int) -> int:
    """An integer column of a summary row, `default` where the column is absent or NaN."""
    return default if value is None or pd.isna(value) else int(value)


def n_note(row: Mapping[str, Any]) -> str:
    """How many runs a summary cell aggregates: "n=10", or "n=8 of 10; 2 diverged" when it
    leaves runs out (n finite values of n_runs runs at their final step, n_diverged of which
    diverged)."""
    n = int(row["n"])
    runs, diverged = _int(row.get("n_runs"), n), _int(row.get("n_diverged"), 0)
    if n == runs:
        return f"n={n}"
    return f"n={n} of {runs}" + (f"; {diverged} diverged" if diverged else "")


def cell_lines(row: Mapping[str, Any] | None, *, scale: float, digits: int) -> list[str]:
    """mean ± s.e.m., the 95% CI in brackets and the cell's n (`n_note`), or -- when nothing was measured."""
    if row is None:
        return ["--"]
    if row["n"] == 0:
        return ["--", f"({n_note(row)})"]
    mean, sem = row["mean"] * scale, row["sem"] * scale
    lines = [number(mean, digits) + (rf" $\pm$ {number(sem, digits)}" if np.isfinite(sem) else "")]
    if np.isfinite(row["ci_low"]):
        lines.append(f"[{number(row['ci_low'] * scale, digits)}, {number(row['ci_high'] * scale, digits)}]")
    return lines + [f"({n_note(row)})"]


def count_of(row: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """(runs with value 1, runs with a finite value) of a 0/1 per-run metric's summary row."""
    if row is None:
        return None
    return int(round(row["mean"] * row["n"])) if row["n"] else 0, int(row["n"])


def _count_cell(row: Mapping[str, Any] | None) -> str:
    """ "k/n" of a 0/1 per-run metric, with the runs it leaves out (undefined values)."""
    counted = count_of(row)
    if counted is None:
        return "--"
    ones, n = counted
    runs = _int(row.get("n_runs"), n)
    return f"{ones}/{n}" + (f" (of {runs})" if n < runs else "")


def by_key(table: pd.DataFrame) -> dict[tuple[str, str, str], dict]:
    """Rows of a summary or tests table by (dataset, variant, metric)."""
    return {(r.dataset, r.variant, r.metric): r._asdict() for r in table.itertuples(index=False)}


# The results table's metric columns: (metric, scale, digits)
METRIC_COLUMNS = (
    (MODES_COVERED, 1.0, 1),
    (HIGH_QUALITY_FRACTION, 100.0, 1),
    (REVERSE_KL, 1.0, 2),
    (COLLAPSED, 100.0, 0),
)
# Per-run 0/1 metrics counted in the results table: (metric, header)
COUNT_COLUMNS = ((NO_HIGH_QUALITY, "No HQ sample"), (LEVELLED_OFF, "Levelled off"), (UNDER_TRAINED, "Under-trained"))

RESULTS_CAPTION = (
    r"Final-step results per variant: mean $\pm$ standard error across seeds (\StudySeedList), the 95\% "
    r"bootstrap interval in brackets, and n. No HQ sample: runs whose reverse KL is $\log K$ by convention; "
    r"levelled off: runs on a plateau over the last \StudyPlateauWindow{} of training, of those where it is "
    r"defined; under-trained: collapsed but not levelled off."
)
# The results table's column headers, each as the lines it is stacked in
RESULTS_HEADERS = (
    ("Variant",),
    ("Modes", "covered"),
    ("High", r"quality (\%)"),
    ("Reverse", "KL"),
    ("Collapsed", r"(\%)"),
    ("Diverged",),
    ("No HQ", "sample"),
    ("Levelled", "off"),
    ("Under-", "trained"),
)


def _results_rows(
    dataset: str, *, index: Mapping, significant: Mapping, runs: pd.DataFrame, variants: list[str]
) -> list[str]:
    """The results table's rows of one dataset: a variant each, then the perfect generator's."""
    lines = []
    for variant in variants:
        mine = runs[(runs["dataset"] == dataset) & (runs["variant"] == variant)]
        cells = []
        for metric, scale, digits in METRIC_COLUMNS:
            cell = cell_lines(index.get((dataset, variant, metric)), scale=scale, digits=digits)
            if significant.get((dataset, variant, metric), {}).get("significant"):
                cell[0] += r"$^\ast$"
            cells.append(stacked(cell))
        diverged = f"{int((mine['status'] == 'diverged').sum())}/{len(mine)}"
        counts = [_count_cell(index.get((dataset, variant, metric))) for metric, _ in COUNT_COLUMNS]
        lines.append(" & ".join([latex_escape(variant), *cells, diverged, *counts]) + r" \\[2pt]")
    floor = index.get((dataset, variants[0], metrics.REVERSE_KL_FLOOR)) if variants else None
    if floor is not None:  # what a perfect generator scores at the same sample size
        kl = rf"{number(floor['mean'], 4)} (floor)"
        ceiling = index.get((dataset, variants[0], metrics.MODES_COVERED_CEILING))  # below K when n is small
        modes = number(ceiling["mean"], 1) if ceiling else str(get_dataset(dataset).n_modes)
        blanks = [""] * (len(RESULTS_HEADERS) - 4)
        lines.append(" & ".join([r"\emph{perfect generator}", modes, "", kl, *blanks]) + r" \\")
    return lines


def results_table(
    *,
    summary: pd.DataFrame,
    runs: pd.DataFrame,
    tests: pd.DataFrame,
    variants: list[str],
    caption: str = RESULTS_CAPTION,
    label: str = "tab:results",
) -> str:
    """Final-step results per dataset and variant as a longtable (it may run over pages): mean ±
    s.e.m. across seeds with the 95% CI and n (`n_note`) stacked in each cell, $^\\ast$ where a
    Holm-corrected test finds a difference from the baseline, the collapse rate, how many seeds
    diverged, and counts of runs with no high-quality sample (reverse KL by the log K
    convention), that levelled off, and that are under-trained (collapsed but not levelled off).
    A row per dataset heads its variants."""
    index, significant = by_key(summary), by_key(tests)
    columns = len(RESULTS_HEADERS)
    header = " & ".join(stacked(lines) for lines in RESULTS_HEADERS) + r" \\"
    lines = [
        r"{\footnotesize\setlength{\tabcolsep}{3pt}",
        r"\begin{longtable}{" + "l" * columns + "}",
        rf"\caption{{{caption}}}\label{{{label}}}\\",
        r"\toprule",
        header,
        r"\midrule",
        r"\endfirsthead",
        r"\toprule",
        header,
        r"\midrule",
        r"\endhead",
        r"\bottomrule",
        r"\endfoot",
    ]
    for d_index, dataset in enumerate(dict.fromkeys(summary["dataset"])):
        if d_index:
            lines.append(r"\midrule")
        heading = f"{latex_escape(dataset)} ({get_dataset(dataset).n_modes} modes)"
        lines.append(rf"\multicolumn{{{columns}}}{{l}}{{\textbf{{{heading}}}}} \\*")
        lines += _results_rows(dataset, index=index, significant=significant, runs=runs, variants=variants)
    lines += [r"\end{longtable}}", ""]
    return "\n".join(lines)


DISTANCE_COLUMNS = (
    # (metric, header, digits): final-step distances between generated and real samples
    (metrics.WASSERSTEIN_1, r"$W_1$", 3),
    (metrics.SLICED_WASSERSTEIN, r"SW$_2$", 3),
    (metrics.MMD, r"MMD$^2$", 3),
    (metrics.ENERGY_DISTANCE, "Energy", 3),
    (metrics.FRECHET_DISTANCE, r"Fr\'echet", 3),
    (metrics.KID_MEAN, "KID", 3),
    (metrics.PRECISION, "Prec.", 2),
    (metrics.RECALL, "Rec.", 2),
    (metrics.DENSITY, "Dens.", 2),
    (metrics.COVERAGE, "Cov.", 2),
    (metrics.NDB_OVER_K, "NDB/K", 2),
    (OVERFITTING_GAP, "D gap", 2),  # not a distance: D's training minus held-out mean output (probes.py)
    (metrics.JSD, "JSD", 3),  # last: the perfect generator's row fills this column alone
)


def _distance_cells(rows: Sequence[Mapping[str, Any] | None], *, row_n: str, flags: Sequence[bool]) -> list[str]:
    """A variant's distance cells: each mean, with its own n where it differs from the row's
    (`row_n`) and $^\\ast$ where its test is significant (`flags`)."""
    cells = []
    for (_, _, digits), row, significant in zip(DISTANCE_COLUMNS, rows, flags):
        if row is None:
            cell = "--"
        else:
            cell = "--" if row["n"] == 0 else number(row["mean"], digits)
            if n_note(row) != row_n:
                cell += rf" ({n_note(row)})"
        cells.append(cell + (r"$^\ast$" if significant else ""))
    return cells


def distances_table(*, summary: pd.DataFrame, tests: pd.DataFrame, variants: list[str]) -> str:
    """Final-step distribution metrics per dataset and variant: means across seeds, with the row's n
    (`n_note`, of its first metric) in its own column and a cell's own n where it differs
    ($^\\ast$ marks a Holm-significant difference from the baseline), and the perfect generator's
    JSD floor; scaled to the line width only if wider (`fit_to_width`)."""
    index, significant = by_key(summary), by_key(tests)
    lines = [
        r"\begin{tabular}{lll" + "r" * len(DISTANCE_COLUMNS) + "}",
        r"\toprule",
        " & ".join(["Dataset", "Variant", "n", *(header for _, header, _ in DISTANCE_COLUMNS)]) + r" \\",
        r"\midrule",
    ]
    for d_index, dataset in enumerate(dict.fromkeys(summary["dataset"])):
        if d_index:
            lines.append(r"\midrule")
        for v_index, variant in enumerate(variants):
            rows = [index.get((dataset, variant, metric)) for metric, _, _ in DISTANCE_COLUMNS]
            row_n = next((n_note(row) for row in rows if row is not None), "--")
            tested = [significant.get((dataset, variant, metric), {}) for metric, _, _ in DISTANCE_COLUMNS]
            flags = [bool(test.get("significant")) for test in tested]
            cells = _distance_cells(rows, row_n=row_n, flags=flags)
            name = latex_escape(dataset) if v_index == 0 else ""
            lines.append(" & ".join([name, latex_escape(variant), row_n, *cells]) + r" \\")
        floor = index.get((dataset, variants[0], metrics.JSD_FLOOR)) if variants else None
        if floor is not None:
            cells = ["" for _ in DISTANCE_COLUMNS[:-1]] + [number(floor["mean"], 3)]
            lines.append(" & ".join(["", r"\emph{perfect generator}", "", *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return fit_to_width("\n".join(lines))


def classifier_table(classifiers: Mapping[str, Mapping[str, Any]]) -> str:
    """The evaluator classifier of each digits family with its held-out accuracy, or a sentence
    saying the study has no image dataset."""
    if not classifiers:
        return "This study has no image dataset, so no evaluator classifier.\n"
    lines = [
        r"\begin{tabular}{lrrr}",
        r"\toprule",
        r"Family & Trained on & Held out & Test accuracy (\%) \\",
        r"\midrule",
    ]
    for family, row in classifiers.items():
        accuracy = f"{100 * row['test_accuracy']:.1f}"
        cells = [latex_escape(family), f"{row['train_size']:,}", f"{row['test_size']:,}", accuracy]
        lines.append(" & ".join(cells).replace(",", "{,}") + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def variants_table(variants: list[str]) -> str:
    """Each variant of the study with its description and source."""
    lines = [
        r"\begin{tabular}{lp{0.42\linewidth}p{0.36\linewidth}}",
        r"\toprule",
        r"Variant & What & Source \\",
        r"\midrule",
    ]
    for name in variants:
        description, source = describe(name)
        lines.append(rf"{latex_escape(name)} & {latex_escape(description)} & {latex_escape(source)} \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def _setting(key: str, value: Any) -> str:
    return rf"\texttt{{{latex_escape(key)}}}={latex_escape(format_value(value))}"


def settings_table(study: Mapping[str, Any]) -> tuple[str, str, str]:
    """Each run's settings that differ from the shared ones (a table), the shared ones (text), and
    those that image datasets change (text)."""
    shared = TrainSettings(**shared_settings(study, image=False))
    image_shared = TrainSettings(**shared_settings(study, image=True))
    image_text = (
        ", ".join(
            _setting(k, v)
            for k, v in dataclasses.asdict(image_shared).items()
            if k != "loss" and getattr(shared, k) != v
        )
        or "none"
    )
    lines = [
        r"\begin{tabular}{lll}",
        r"\toprule",
        r"Run & Loss & Settings that differ from the shared ones \\",
        r"\midrule",
    ]
    for name, settings in study_runs(study).items():
        differs = [
            _setting(k, v) for k, v in dataclasses.asdict(settings).items() if k != "loss" and getattr(shared, k) != v
        ]
        lines.append(rf"{latex_escape(name)} & {latex_escape(settings.loss)} & {', '.join(differs) or '--'} \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    shared_text = ", ".join(_setting(k, v) for k, v in dataclasses.asdict(shared).items() if k != "loss")
    return "\n".join(lines), shared_text, image_text
