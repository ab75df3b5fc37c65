"""The LaTeX report's generated parts (tables, macros, the replication section) and its
compilation with latexmk."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import metrics, replication
from .config import TrainSettings, format_value, shared_settings, study_runs
from .data import ONLINE_REFERENCE_SIZE, get_dataset, is_image
from .evaluate import COLLAPSED, LEVELLED_OFF, UNDER_TRAINED
from .io import atomic_path
from .metrics import HIGH_QUALITY_FRACTION, MMD_BANDWIDTH, MODES_COVERED, NO_HIGH_QUALITY, PLATEAU_MIN_SNAPSHOTS, REVERSE_KL
from .provenance import PACKAGES
from .stats import ALPHA, smallest_p_value
from .variants import BASELINE, describe

# TeX's special characters as text; with them every ^ goes, so no ^^ pair (TeX's notation for a
# character by its code: ^^5c is a backslash) reaches TeX
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "§": r"\S{}",
}
# The Greek and math symbols of our descriptions, typeset as math
_UNICODE_MATH = {
    "σ": r"\sigma", "λ": r"\lambda", "β": r"\beta", "γ": r"\gamma", "α": r"\alpha", "‖": r"\|",
    "∇": r"\nabla", "½": r"\tfrac12", "¼": r"\tfrac14", "²": r"^2", "₂": r"_2", "≥": r"\geq", "≤": r"\leq",
    "×": r"\times", "−": "-",
}
_LATEX_TEXT = _LATEX_SPECIAL | {char: rf"\ensuremath{{{command}}}" for char, command in _UNICODE_MATH.items()}
# Characters beyond Latin-1 that the report's fonts (T1 Latin Modern) have
_TEXT_PUNCTUATION = frozenset("–—‘’‚“”„†‡•…‰‹›€")


def _escape_char(char: str) -> str:
    """One character as LaTeX text: the escape of a special character or math symbol; a space for
    a line break or tab (a line break could end a paragraph, or TeX's input line, mid-command);
    the character itself where the report's fonts have it; else its code point ("U+2192"), since
    a control character is invalid in TeX's input and a missing glyph stops the build."""
    if char in _LATEX_TEXT:
        return _LATEX_TEXT[char]
    if char.isspace():
        return " "
    if " " <= char <= "~" or "\xa1" <= char <= "\xff" or char in _TEXT_PUNCTUATION:
        return char
    return f"U+{ord(char):04X}"


def latex_escape(text: str) -> str:
    """Any text (a config's, a file's) as LaTeX that typesets it literally and runs no TeX code:
    one pass over its characters (`_escape_char`), so that an escape is never escaped again. Every
    string that reaches the report from outside the code goes through here."""
    return "".join(_escape_char(char) for char in str(text))


def _number(value: float, digits: int) -> str:
    return "--" if not np.isfinite(value) else f"{value:.{digits}f}"


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


def _stacked(lines: Sequence[str]) -> str:
    """Lines stacked in one table cell, top-aligned, without padding ({} after each line break,
    so that a line starting with "[" is not read as the break's optional space)."""
    return r"\begin{tabular}[t]{@{}l@{}}" + r"\\{}".join(lines) + r"\end{tabular}"


def fit_to_width(body: str) -> str:
    """`body` (a tabular) at its own size, scaled down to the line width only if it is wider: a
    table that fits keeps the font size it was set in."""
    return (rf"\sbox0{{{body}}}\ifdim\wd0>\linewidth\resizebox{{\linewidth}}{{!}}{{\usebox0}}\else\usebox0\fi" + "\n")


def _cell_lines(row: Mapping[str, Any] | None, *, scale: float, digits: int) -> list[str]:
    """mean ± s.e.m., the 95% CI in brackets and the cell's n (`n_note`), or -- when nothing was measured."""
    if row is None:
        return ["--"]
    if row["n"] == 0:
        return ["--", f"({n_note(row)})"]
    mean, sem = row["mean"] * scale, row["sem"] * scale
    lines = [_number(mean, digits) + (rf" $\pm$ {_number(sem, digits)}" if np.isfinite(sem) else "")]
    if np.isfinite(row["ci_low"]):
        lines.append(f"[{_number(row['ci_low'] * scale, digits)}, {_number(row['ci_high'] * scale, digits)}]")
    return lines + [f"({n_note(row)})"]


def count_of(row: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """(runs with value 1, runs with a finite value) of a 0/1 per-run metric's summary row."""
    if row is None:
        return None
    return int(round(row["mean"] * row["n"])) if row["n"] else 0, int(row["n"])


def _count_cell(row: Mapping[str, Any] | None) -> str:
    """"k/n" of a 0/1 per-run metric, with the runs it leaves out (undefined values)."""
    counted = count_of(row)
    if counted is None:
        return "--"
    ones, n = counted
    runs = _int(row.get("n_runs"), n)
    return f"{ones}/{n}" + (f" (of {runs})" if n < runs else "")


METRIC_COLUMNS = ((MODES_COVERED, 1.0, 1), (HIGH_QUALITY_FRACTION, 100.0, 1), (REVERSE_KL, 1.0, 2), (COLLAPSED, 100.0, 0))
# Per-run 0/1 metrics counted in the results table: (metric, header)
COUNT_COLUMNS = ((NO_HIGH_QUALITY, "No HQ sample"), (LEVELLED_OFF, "Levelled off"), (UNDER_TRAINED, "Under-trained"))


def _by_key(table: pd.DataFrame) -> dict[tuple[str, str, str], dict]:
    """Rows of a summary or tests table by (dataset, variant, metric)."""
    return {(r.dataset, r.variant, r.metric): r._asdict() for r in table.itertuples(index=False)}


RESULTS_CAPTION = (
    r"Final-step results per variant: mean $\pm$ standard error across seeds (\StudySeedList), the 95\% "
    r"bootstrap interval in brackets, and n. No HQ sample: runs whose reverse KL is $\log K$ by convention; "
    r"levelled off: runs on a plateau over the last \StudyPlateauWindow{} of training, of those where it is "
    r"defined; under-trained: collapsed but not levelled off."
)
# The results table's column headers, each as the lines it is stacked in
RESULTS_HEADERS = (
    ("Variant",), ("Modes", "covered"), ("High", r"quality (\%)"), ("Reverse", "KL"), ("Collapsed", r"(\%)"),
    ("Diverged",), ("No HQ", "sample"), ("Levelled", "off"), ("Under-", "trained"),
)


def results_table(
    *, summary: pd.DataFrame, runs: pd.DataFrame, tests: pd.DataFrame, variants: list[str],
    caption: str = RESULTS_CAPTION, label: str = "tab:results",
) -> str:
    """Final-step results per dataset and variant as a longtable (it may run over pages): mean ±
    s.e.m. across seeds with the 95% CI and n (`n_note`) stacked in each cell, $^\\ast$ where a
    Holm-corrected test finds a difference from the baseline, the collapse rate, how many seeds
    diverged, and counts of runs with no high-quality sample (reverse KL by the log K
    convention), that levelled off, and that are under-trained (collapsed but not levelled off).
    A row per dataset heads its variants."""
    index, significant = _by_key(summary), _by_key(tests)
    columns = len(RESULTS_HEADERS)
    header = " & ".join(_stacked(lines) for lines in RESULTS_HEADERS) + r" \\"
    lines = [
        r"{\footnotesize\setlength{\tabcolsep}{3pt}",
        r"\begin{longtable}{" + "l" * columns + "}",
        rf"\caption{{{caption}}}\label{{{label}}}\\",
        r"\toprule", header, r"\midrule", r"\endfirsthead",
        r"\toprule", header, r"\midrule", r"\endhead",
        r"\bottomrule", r"\endfoot",
    ]
    for d_index, dataset in enumerate(dict.fromkeys(summary["dataset"])):
        if d_index:
            lines.append(r"\midrule")
        lines.append(rf"\multicolumn{{{columns}}}{{l}}{{\textbf{{{latex_escape(dataset)} ({get_dataset(dataset).n_modes} modes)}}}} \\*")
        for variant in variants:
            mine = runs[(runs["dataset"] == dataset) & (runs["variant"] == variant)]
            cells = []
            for metric, scale, digits in METRIC_COLUMNS:
                cell = _cell_lines(index.get((dataset, variant, metric)), scale=scale, digits=digits)
                if significant.get((dataset, variant, metric), {}).get("significant"):
                    cell[0] += r"$^\ast$"
                cells.append(_stacked(cell))
            diverged = f"{int((mine['status'] == 'diverged').sum())}/{len(mine)}"
            counts = [_count_cell(index.get((dataset, variant, metric))) for metric, _ in COUNT_COLUMNS]
            lines.append(" & ".join([latex_escape(variant), *cells, diverged, *counts]) + r" \\[2pt]")
        floor = index.get((dataset, variants[0], metrics.REVERSE_KL_FLOOR)) if variants else None
        if floor is not None:  # what a perfect generator scores at the same sample size
            kl = rf"{_number(floor['mean'], 4)} (floor)"
            ceiling = index.get((dataset, variants[0], metrics.MODES_COVERED_CEILING))  # below K when n is small
            modes = _number(ceiling["mean"], 1) if ceiling else str(get_dataset(dataset).n_modes)
            blanks = [""] * (columns - 4)
            lines.append(" & ".join([r"\emph{perfect generator}", modes, "", kl, *blanks]) + r" \\")
    lines += [r"\end{longtable}}", ""]
    return "\n".join(lines)


DISTANCE_COLUMNS = (
    # (metric, header, digits): final-step distances between generated and real samples
    (metrics.WASSERSTEIN_1, r"$W_1$", 3), (metrics.SLICED_WASSERSTEIN, r"SW$_2$", 3), (metrics.MMD, r"MMD$^2$", 3),
    (metrics.ENERGY_DISTANCE, "Energy", 3), (metrics.FRECHET_DISTANCE, r"Fr\'echet", 3), (metrics.KID_MEAN, "KID", 3),
    (metrics.PRECISION, "Prec.", 2), (metrics.RECALL, "Rec.", 2), (metrics.DENSITY, "Dens.", 2),
    (metrics.COVERAGE, "Cov.", 2), (metrics.NDB_OVER_K, "NDB/K", 2), (metrics.JSD, "JSD", 3),
)


def distances_table(*, summary: pd.DataFrame, tests: pd.DataFrame, variants: list[str]) -> str:
    """Final-step distribution metrics per dataset and variant: means across seeds, with the row's n
    (`n_note`, of its first metric) in its own column and a cell's own n where it differs
    ($^\\ast$ marks a Holm-significant difference from the baseline), and the perfect generator's
    JSD floor; scaled to the line width only if wider (`fit_to_width`)."""
    index, significant = _by_key(summary), _by_key(tests)
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
            cells = []
            for (metric, _, digits), row in zip(DISTANCE_COLUMNS, rows):
                if row is None:
                    cell = "--"
                else:
                    cell = "--" if row["n"] == 0 else _number(row["mean"], digits)
                    if n_note(row) != row_n:
                        cell += rf" ({n_note(row)})"
                if significant.get((dataset, variant, metric), {}).get("significant"):
                    cell += r"$^\ast$"
                cells.append(cell)
            lines.append(" & ".join([latex_escape(dataset) if v_index == 0 else "", latex_escape(variant), row_n, *cells]) + r" \\")
        floor = index.get((dataset, variants[0], metrics.JSD_FLOOR)) if variants else None
        if floor is not None:
            cells = ["" for _ in DISTANCE_COLUMNS[:-1]] + [_number(floor["mean"], 3)]
            lines.append(" & ".join(["", r"\emph{perfect generator}", "", *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return fit_to_width("\n".join(lines))


# How each metric of a published table is shown: (header, scale, digits of our numbers)
REPLICATION_METRICS = {
    MODES_COVERED: ("Modes covered", 1.0, 1),
    HIGH_QUALITY_FRACTION: (r"High quality (\%)", 100.0, 1),
    REVERSE_KL: ("Reverse KL", 1.0, 2),
}
VERDICT_TEXT = {replication.AGREES: "agrees", replication.HIGHER: r"\textbf{higher}", replication.LOWER: r"\textbf{lower}"}
# Our run's cell by how the row stands beside the study ({run} escaped; {note}: the letter of
# the row's list of differing settings, spelled out beneath the table by `differs_notes`)
RUN_TEXT = {  # ", " starts a new line in the cell
    replication.MATCHED: r"\texttt{{{run}}}",
    replication.OTHER_SETTING: r"\texttt{{{run}}}, other setting ({note})",
    replication.NOT_PUBLISHED: r"\texttt{{{run}}}, context",
    replication.NO_RUN: "no run",
}


def _decimals(value: float) -> int:
    """Decimals of a number as written (after undoing float noise: 0.956 * 100 -> 95.6 -> 1)."""
    text = repr(round(value, 6))
    return len(text.split(".")[1].rstrip("0")) if "." in text and "e" not in text else 0


def _published_number(value: float, digits: int) -> str:
    """A published number with at least `digits` decimals and every decimal it was printed with."""
    return f"{value:.{max(digits, _decimals(value))}f}"


def _published_cell(value: tuple[float, float | None], *, scale: float, digits: int, trials: int) -> str:
    """mean ± s.e. as published (at least `digits` decimals) above the trials behind it."""
    mean, se = value
    text = _published_number(mean * scale, digits)
    text += rf" $\pm$ {_published_number(se * scale, digits)}" if se is not None else ""
    return _stacked([text, f"(n={trials})"])


def differs_notes(matches: Sequence[replication.Match]) -> dict[tuple[str, ...], str]:
    """A letter (a, b, ...) for each distinct list of differing settings among the rows that
    stand beside a run of another setting, in table order."""
    lists = dict.fromkeys(m.differs for m in matches if m.status == replication.OTHER_SETTING)
    return {differs: chr(ord("a") + i) for i, differs in enumerate(lists)}


def _differs_text(differs: Sequence[str]) -> str:
    return ", ".join(rf"\texttt{{{latex_escape(key)}}}" for key in differs)


def replication_table(
    table: replication.PublishedTable, *, matches: Sequence[replication.Match], summary: Mapping[tuple[str, str, str], Mapping[str, Any]]
) -> str:
    """One published table beside the study: per row the published model, our run (matched,
    other setting with a letter for the settings that differ, context, or none) and per metric
    the published mean ± s.e. (trials), ours mean ± s.e. with the 95% CI and n, and the verdict
    (`replication.row_verdicts`: only beside a run of the row's own setting)."""
    columns, notes = list(table.metrics), differs_notes(matches)
    lines = [
        r"\begin{tabular}{lll" + "lll" * len(columns) + "}",
        r"\toprule",
        " & & & " + " & ".join(rf"\multicolumn{{3}}{{c}}{{{REPLICATION_METRICS[m][0]}}}" for m in columns) + r" \\",
        "".join(rf"\cmidrule(lr){{{4 + 3 * i}-{6 + 3 * i}}}" for i in range(len(columns))),
        r"Dataset & Published model & Our run & " + " & ".join(["published & ours & verdict"] * len(columns)) + r" \\",
        r"\midrule",
    ]
    previous = None
    for match in matches:
        row = match.row
        if previous is not None and row.label != previous:
            lines.append(r"\midrule")
        verdicts = replication.row_verdicts(match, summary)
        cells = []
        for metric in columns:
            scale, digits = REPLICATION_METRICS[metric][1:]
            published = row.numbers.get(metric)
            ours = summary.get((row.dataset, match.run, metric)) if match.run is not None else None
            cells += [
                "--" if published is None else _published_cell(
                    published, scale=scale, digits=digits, trials=row.trials or table.trials),
                _stacked(_cell_lines(ours, scale=scale, digits=digits)),
                VERDICT_TEXT.get(verdicts.get(metric), "--"),
            ]
        run = _stacked(RUN_TEXT[match.status].format(run=latex_escape(match.run or ""), note=notes.get(match.differs, "")).split(", "))
        group = latex_escape(row.label) if row.label != previous else ""
        lines.append(" & ".join([group, latex_escape(row.model), run, *cells]) + r" \\")
        previous = row.label
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


# How a metric reads in a sentence
METRIC_WORDS = {MODES_COVERED: "modes covered", HIGH_QUALITY_FRACTION: "high-quality fraction", REVERSE_KL: "reverse KL"}
DIRECTION_WORDS = {1: "higher", -1: "lower"}
SIGNIFICANCE_TEXT = {
    replication.SIGNIFICANT: r"significant ($p_{{\mathrm{{Holm}}}}={p_holm}$)",
    replication.NOT_SIGNIFICANT: r"not significant ($p_{{\mathrm{{Holm}}}}={p_holm}$)",
    replication.UNREACHABLE: r"the seed counts cannot reach significance (smallest attainable $p_{{\mathrm{{Holm}}}}={min_p}$)",
    replication.UNTESTED: "not compared by this study's tests",
}
SETTINGS_TEXT = {replication.MATCHED: "the paper's setting", replication.OTHER_SETTING: "another setting"}


def _p(value: float) -> str:
    return "--" if not math.isfinite(value) else f"{value:.3g}"


def direction_clause(check: replication.DirectionCheck) -> str:
    """One published direction of a pair and what our test shows: "modes covered: higher in the
    paper; ours same direction, significant ($p_Holm$=0.012)"."""
    sign = "" if check.sign == replication.UNTESTED else f"{check.sign}, "
    significance = SIGNIFICANCE_TEXT[check.significance].format(p_holm=_p(check.p_holm), min_p=_p(check.min_p))
    return f"{METRIC_WORDS[check.direction.metric]} {DIRECTION_WORDS[check.direction.sign]} in the paper, ours {sign}{significance}"


def direction_item(title: str, checks: Sequence[replication.DirectionCheck]) -> str:
    """The published directions of one pair of rows (same runs) and our tests of them."""
    first = checks[0]
    d = first.direction
    return (
        rf"{latex_escape(d.group)}, {latex_escape(d.model)} against {latex_escape(d.baseline)} ({latex_escape(title)}); "
        rf"ours \texttt{{{latex_escape(first.run)}}} against \texttt{{{latex_escape(first.baseline_run)}}} "
        rf"({SETTINGS_TEXT[first.settings]}): " + "; ".join(direction_clause(c) for c in checks) + "."
    )


REPLICATION_INTRO = r"""\subsection{Against the published numbers}\label{sec:replication}
Each published table below has its own setting (\texttt{docs/protocol.md} \S5 and \S7): the study data
it needs and every training setting of each of its rows (loss, tricks, networks, optimiser,
steps, batch size, update scheme, latent distribution, evaluation sample size).
\emph{Matching rule:} a published row stands beside one of our runs when this study trains the
row's dataset, the study's data settings equal the table's, and the run's resolved settings
equal every setting the row requires, compared exactly as the config gives them. Otherwise the
row stands beside our nearest run of the same model (same loss and tricks; fewest differing
settings), marked \emph{other setting} with a letter for the settings that differ (listed
beneath the table), and gets no verdict;
\emph{no run} means the study trains no run of the row's dataset and model, and \emph{context}
rows (a setting the paper does not fully publish, or no published error bars) never get one.
\emph{Verdict rule:} beside a run of its own setting, our mean \emph{agrees} with the
published one when $|\bar x_{\mathrm{ours}} - \bar x_{\mathrm{pub}}| \le \VerdictWidth
\sqrt{\mathrm{se}_{\mathrm{ours}}^2 + \mathrm{se}_{\mathrm{pub}}^2}$, and is otherwise
\emph{higher} or \emph{lower}; there is no verdict (--) when either standard error is missing
or fewer than \VerdictMinSeeds{} of our seeds have a value. Published cells give mean $\pm$
standard error over the paper's trials, ours mean $\pm$ standard error across seeds with the
95\% bootstrap interval in brackets and n as in Table~\ref{tab:results}.
"""


def replication_section(
    *, study: Mapping[str, Any], settings: Mapping[str, Mapping[str, Mapping[str, Any]]], summary: pd.DataFrame,
    tests: pd.DataFrame, tables: Sequence[replication.PublishedTable] = replication.PUBLISHED_TABLES,
) -> str:
    """The report's section on the published numbers: the matching and verdict rules, a table
    per published table (`replication_table`), and the published directions with what our
    tests show (`replication.check_directions`). `settings` are the study's resolved run
    settings (`replication.study_settings`)."""
    index = _by_key(summary)
    blocks, pairs = [REPLICATION_INTRO], {}
    for table in tables:
        matches = replication.match_table(table, study_data=study["data"], runs=settings)
        for check in replication.check_directions(replication.published_directions(table), matches, tests):
            d = check.direction
            pairs.setdefault((table.title, d.group, d.model, d.baseline), []).append(check)
        data = ", ".join(rf"\texttt{{data.{latex_escape(k)}}}={latex_escape(format_value(v))}" for k, v in table.data.items())
        notes = "".join(
            rf" Other setting ({letter}): differs in {_differs_text(differs)}." for differs, letter in differs_notes(matches).items()
        )
        caption = (
            rf"{latex_escape(table.title)}~\cite{{{table.cite}}} ({table.trials} trials; {latex_escape(table.source)})"
            + (rf"; study data it needs: {data}" if data else "")
            + (rf". {latex_escape(table.note)}" if table.note else ".")
            + notes
        )
        blocks += [
            r"\begin{table}[htbp]\centering\scriptsize",
            fit_to_width(replication_table(table, matches=matches, summary=index)).rstrip(),
            rf"\caption{{{caption}}}\label{{tab:{table.id}}}",
            r"\end{table}",
            "",
        ]
    blocks.append(
        r"\paragraph{Published directions.} A published row implies a direction when it differs from its "
        r"baseline row by more than \VerdictWidth{} combined standard errors. For each such pair whose two "
        r"models this study trains (in the paper's setting or another) we give the sign of our mean difference "
        r"and its Holm-corrected Mann--Whitney test (Section~\ref{sec:results})."
    )
    if pairs:
        blocks += [r"\begin{itemize}", *(r"\item " + direction_item(key[0], checks) for key, checks in pairs.items()), r"\end{itemize}"]
    else:
        blocks.append("This study trains no pair of models that a published direction compares.")
    return "\n".join(blocks) + "\n"


def sweeps_section(*, summary: pd.DataFrame, runs: pd.DataFrame, tests: pd.DataFrame, sweep_runs: list[str]) -> str:
    """The sweeps' figure and table, or a sentence saying the study sweeps nothing."""
    if not sweep_runs:
        return "This study sweeps no training setting.\n"
    return "\n".join([
        r"The sweep points, named \texttt{variant@setting=value}, change one training setting of a variant at a",
        r"time (Figure~\ref{fig:sweeps} and Table~\ref{tab:sweeps}); everything else stays as in Table~\ref{tab:settings}.",
        r"\begin{figure}[htbp]\centering",
        r"\includegraphics{figures/sweeps.pdf}",
        r"\caption{Share of modes covered at the final step against each swept setting, a column per dataset (mean and 95\%",
        r"bootstrap CI across seeds); the unswept variant is the point at its own value of the setting.}",
        r"\label{fig:sweeps}\end{figure}",
        results_table(summary=summary, runs=runs, tests=tests, variants=sweep_runs,
                      caption=r"Final-step results of the sweep points (as Table~\ref{tab:results}).", label="tab:sweeps"),
    ])


def samples_figures(*, datasets: list[str], seed: int) -> str:
    """One figure environment per dataset's sample panels, and for image datasets one with the
    mode histograms."""
    blocks = []
    for dataset in datasets:
        name = latex_escape(dataset)
        if not is_image(dataset):
            caption = rf"{name}: final samples of each variant (seed {seed}); red crosses mark the real modes."
        else:
            caption = (
                rf"{name}: the first 64 final samples of each variant (seed {seed}) beside 64 real training images"
                + (r"; each colour channel is one digit." if get_dataset(dataset).stacked else ".")
            )
        blocks += [
            r"\begin{figure}[htbp]\centering",
            rf"\includegraphics{{figures/samples_{dataset}.pdf}}",
            rf"\caption{{{caption}}}",
            rf"\label{{fig:samples-{dataset}}}\end{{figure}}",
        ]
        if is_image(dataset):
            blocks += [
                r"\begin{figure}[htbp]\centering",
                rf"\includegraphics{{figures/modes_{dataset}.pdf}}",
                rf"\caption{{{name}: share of each digit among the final samples as the evaluator classifier reads them"
                + (" (per colour channel)" if get_dataset(dataset).stacked else "")
                + r", mean and 95\% bootstrap CI across seeds; black marks: the training data.}",
                rf"\label{{fig:modes-{dataset}}}\end{{figure}}",
            ]
    return "\n".join(blocks) + "\n"


# The metrics of the findings paragraph: (metric, how a difference is written: scale and unit)
FINDINGS_METRICS = (
    (MODES_COVERED, 1.0, " modes"), (REVERSE_KL, 1.0, ""), (HIGH_QUALITY_FRACTION, 100.0, " percentage points"),
)


def _difference(row: Mapping[str, Any], *, scale: float, unit: str) -> str:
    """A variant's significant difference from the baseline: "wgan-gp ($-6.38$ modes, $p_{Holm}=0.0048$)"."""
    return (
        rf"\texttt{{{latex_escape(row['variant'])}}} (${row['mean_difference'] * scale:+.3g}${unit}, "
        rf"$p_{{\mathrm{{Holm}}}}={_p(row['p_holm'])}$)"
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
            clauses.append(f"{METRIC_WORDS[metric]}: " + ", ".join(_difference(r, scale=scale, unit=unit) for r in rows))
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


def classifier_table(classifiers: Mapping[str, Mapping[str, Any]]) -> str:
    """The evaluator classifier of each digits family with its held-out accuracy, or a sentence
    saying the study has no image dataset."""
    if not classifiers:
        return "This study has no image dataset, so no evaluator classifier.\n"
    lines = [r"\begin{tabular}{lrrr}", r"\toprule", r"Family & Trained on & Held out & Test accuracy (\%) \\", r"\midrule"]
    for family, row in classifiers.items():
        lines.append(
            rf"{latex_escape(family)} & {row['train_size']:,} & {row['test_size']:,} & {100 * row['test_accuracy']:.1f} \\".replace(",", "{,}")
        )
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


# The appendix's stages, in the order the data flows
STAGES = ("classifier", "training", "evaluation")
SOFTWARE_COLUMNS = ("stage", "item", "value", "outputs")
PROVENANCE_ITEMS = ("Python", "GPU", "CUDA", "code commit")  # software_table's items beside the packages
BENCHMARK_KEYS = ("stage", "dataset", "variant", "seeds")


def _commit_text(commit: str) -> str:
    return commit if commit == "unknown" else commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def software_table(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> pd.DataFrame:
    """What computed the outputs of each stage, from their provenance records (provenance.provenance:
    a run.json, a metrics.parquet's metadata, a classifier's metrics.json): one row per stage, item
    (a package, Python, GPU, CUDA, code commit) and value, with how many outputs recorded it, so
    that outputs made with different versions show as two rows, not one."""
    counts: dict[tuple[str, str, str], int] = {}
    for stage, stage_records in records.items():
        for record in stage_records:
            items = {
                **record.get("versions", {}), "Python": record.get("python", "unknown"),
                "GPU": record.get("gpu", "none (CPU)"), "CUDA": record.get("cuda", "--"),
                "code commit": _commit_text(record.get("git_commit", "unknown")),
            }
            for item, value in items.items():
                counts[stage, item, str(value)] = counts.get((stage, item, str(value)), 0) + 1
    rows = [(stage, item, value, n) for (stage, item, value), n in counts.items()]
    return pd.DataFrame(rows, columns=list(SOFTWARE_COLUMNS)).astype({"outputs": np.int64})


def _software_cell(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "--"
    if len(rows) == 1:
        return latex_escape(rows["value"].iloc[0])
    return _stacked([f"{latex_escape(value)} ({n})" for value, n in zip(rows["value"], rows["outputs"])])


def software_appendix(software: pd.DataFrame) -> str:
    """A table: each package and setting that computed a number, per stage; a stage whose outputs
    disagree lists each value with its count of outputs, one above the other."""
    stages = [stage for stage in STAGES if stage in set(software["stage"])]
    known = ["modecollapse", *PACKAGES, *PROVENANCE_ITEMS]
    items = sorted(set(software["item"]), key=lambda item: (known.index(item) if item in known else len(known), item))
    counts = software.groupby("stage")["outputs"].max()
    header = " & ".join(f"{stage.capitalize()} ({counts[stage]})" for stage in stages)
    lines = [rf"\begin{{tabular}}{{l{'l' * len(stages)}}}", r"\toprule", rf"& {header} \\", r"\midrule"]
    for item in items:
        cells = [_software_cell(software[(software["stage"] == stage) & (software["item"] == item)]) for stage in stages]
        lines.append(rf"{latex_escape(item)} & {' & '.join(cells)} \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return fit_to_width("\n".join(lines))


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _megabytes(value: float) -> str:
    return "--" if not math.isfinite(value) else f"{value:,.0f}".replace(",", "{,}")


def compute_appendix(benchmarks: pd.DataFrame) -> str:
    """A table of what the jobs cost (Snakemake's `benchmark:` records) per stage and dataset:
    jobs, total and longest wall-clock time, CPU time and the largest peak resident memory."""
    lines = [
        r"\begin{tabular}{llrrrrr}", r"\toprule",
        r"Stage & Dataset & Jobs & Wall time & Longest job & CPU time & Peak memory (MB) \\", r"\midrule",
    ]
    order = {stage: i for i, stage in enumerate(STAGES)}
    groups = sorted(benchmarks.groupby(["stage", "dataset"], sort=False), key=lambda item: order[item[0][0]])
    for (stage, dataset), rows in groups:
        lines.append(
            rf"{stage} & {latex_escape(dataset)} & {len(rows)} & {_duration(rows['wall_s'].sum())} & "
            rf"{_duration(rows['wall_s'].max())} & {_duration(rows['cpu_s'].sum(min_count=1))} & "
            rf"{_megabytes(rows['max_rss_mb'].max())} \\"
        )
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def _macro(name: str, value: Any, *, key: str | None = None) -> str:
    """\\newcommand of macro `name`, after a comment naming the config `key` its text comes from
    (`config_key_comment`), so that a failed build can name it."""
    definition = rf"\newcommand{{\{name}}}{{{value}}}"
    return definition if key is None else config_key_comment(name, key) + "\n" + definition


def _setting(key: str, value: Any) -> str:
    return rf"\texttt{{{latex_escape(key)}}}={latex_escape(format_value(value))}"


def settings_table(study: Mapping[str, Any]) -> tuple[str, str, str]:
    """Each run's settings that differ from the shared ones (a table), the shared ones (text), and
    those that image datasets change (text)."""
    shared = TrainSettings(**shared_settings(study, image=False))
    image_shared = TrainSettings(**shared_settings(study, image=True))
    image_text = ", ".join(
        _setting(k, v) for k, v in dataclasses.asdict(image_shared).items() if k != "loss" and getattr(shared, k) != v
    ) or "none"
    lines = [r"\begin{tabular}{lll}", r"\toprule", r"Run & Loss & Settings that differ from the shared ones \\", r"\midrule"]
    for name, settings in study_runs(study).items():
        differs = [_setting(k, v) for k, v in dataclasses.asdict(settings).items() if k != "loss" and getattr(shared, k) != v]
        lines.append(rf"{latex_escape(name)} & {latex_escape(settings.loss)} & {', '.join(differs) or '--'} \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    shared_text = ", ".join(_setting(k, v) for k, v in dataclasses.asdict(shared).items() if k != "loss")
    return "\n".join(lines), shared_text, image_text


def variants_table(variants: list[str]) -> str:
    """Each variant of the study with its description and source."""
    lines = [r"\begin{tabular}{lp{0.42\linewidth}p{0.36\linewidth}}", r"\toprule", r"Variant & What & Source \\", r"\midrule"]
    for name in variants:
        description, source = describe(name)
        lines.append(rf"{latex_escape(name)} & {latex_escape(description)} & {latex_escape(source)} \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", "{,}")


def _percent(share: float) -> str:
    return rf"{100 * share:g}\%"


# The stacked training set, by whether it is a fixed set (stacked_size > 0) or drawn on the fly (0)
STACKED_SET_TEXT = {
    True: "a fixed set of {size} stacked images drawn once",
    False: (
        "no fixed set: three digits are drawn afresh for every training image (stacked\\_size 0), and "
        "evaluation compares with {reference} stacked images drawn once"
    ),
}
STACK_FROM_TEXT = {
    "train": "the base family's training split",
    "all": "all of the base family's images, training and held-out splits together",
}
# What the study's runs show on the plateau criterion, by whether it is defined for any run
LEVELLED_OFF_TEXT = {
    True: "In this study {levelled} of the {defined} runs where the criterion is defined levelled off, and {under} are under-trained",
    False: (
        "In this study no run has enough snapshots in its plateau window for the criterion, so none is counted "
        "as levelled off or under-trained"
    ),
}
REACH_TEXT = {
    True: "so a consistent difference can reach significance",
    False: "so no comparison of a variant with the baseline can reach significance, whatever the data",
}


def smallest_p_values(study: Mapping[str, Any]) -> dict[str, float | int]:
    """The Holm families of the study's tests and the smallest Holm-adjusted p-value each allows
    (`stats.smallest_p_value`, every seed against every seed, exact test): "variants" (each base
    variant but the baseline against the baseline, one family per dataset and metric) and
    "sweeps" (every sweep point against its own base; NaN without sweeps)."""
    seeds = len(study["seeds"])
    family = sum(1 for variant in study["variants"] if variant != BASELINE)
    sweeps = len(study_runs(study)) - len(study["variants"])
    return {
        "family": family,
        "sweep_family": sweeps,
        "raw": smallest_p_value(n_variant=seeds, n_baseline=seeds, family_size=1),
        "variants": smallest_p_value(n_variant=seeds, n_baseline=seeds, family_size=family) if family else math.nan,
        "sweeps": smallest_p_value(n_variant=seeds, n_baseline=seeds, family_size=sweeps) if sweeps else math.nan,
    }


def _per_dataset(values: Mapping[str, str]) -> str:
    return "; ".join(f"{latex_escape(dataset)}: {value}" for dataset, value in values.items()) or "none"


def mmd_bandwidths(summary: pd.DataFrame) -> dict[str, float]:
    """The MMD² kernel width of each dataset that has one (the summary's mmd_bandwidth; one
    value per dataset, the same for every run)."""
    rows = summary[(summary["metric"] == MMD_BANDWIDTH) & (summary["n"] > 0)]
    return {dataset: float(group["mean"].iloc[0]) for dataset, group in rows.groupby("dataset", sort=False)}


def run_counts(summary: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """(runs with value 1, runs with a value) of each per-run 0/1 metric of COUNT_COLUMNS,
    summed over every (dataset, run) of the summary."""
    totals = {}
    for metric, _ in COUNT_COLUMNS:
        counted = [count_of(row) for row in summary[summary["metric"] == metric].to_dict("records")]
        totals[metric] = (sum(c[0] for c in counted), sum(c[1] for c in counted))
    return totals


def study_macros(*, study: Mapping[str, Any], runs: pd.DataFrame, summary: pd.DataFrame) -> str:
    """The study's settings and headline numbers as LaTeX macros, one per fact (tests/test_report.py
    checks each against its source)."""
    table, shared, image_shared = settings_table(study)
    diverged = int((runs["status"] == "diverged").sum())
    data, evaluation = study["data"], study["evaluation"]
    p_values = smallest_p_values(study)
    counts = run_counts(summary)
    log_k = {d: rf"$\log {get_dataset(d).n_modes} = {math.log(get_dataset(d).n_modes):.2f}$" for d in study["datasets"]}
    lines = [
        "% Generated by the workflow's study_macros rule: do not edit.",
        _macro("StudyScale", latex_escape(study.get("scale", "default")), key="scale"),
        _macro("StudyDatasets", ", ".join(latex_escape(d) for d in study["datasets"]), key="datasets"),
        _macro("StudyVariants", ", ".join(latex_escape(v) for v in study["variants"]), key="variants"),
        _macro("StudySeeds", len(study["seeds"]), key="seeds"),
        _macro("StudySeedList", ", ".join(map(str, study["seeds"])), key="seeds"),
        _macro("StudyRuns", len(runs)),
        _macro("StudyDiverged", diverged),
        _macro("StudyDataSize", _thousands(data["size"]), key="data.size"),
        _macro("StudyStackedSize", _thousands(data["stacked_size"]), key="data.stacked_size"),
        _macro("StudyStackedSet", STACKED_SET_TEXT[data["stacked_size"] > 0].format(
            size=_thousands(data["stacked_size"]), reference=_thousands(ONLINE_REFERENCE_SIZE)), key="data.stacked_size"),
        _macro("StudyStackFrom", STACK_FROM_TEXT[data["stack_from"]], key="data.stack_from"),
        _macro("StudyDataSeed", data["seed"], key="data.seed"),
        _macro("StudyThreshold", f"{evaluation['threshold']:g}", key="evaluation.threshold"),
        _macro("StudyCollapseShare", _percent(evaluation["collapse_coverage"]), key="evaluation.collapse_coverage"),
        _macro("StudyPlateauWindow", _percent(evaluation["plateau_window"]), key="evaluation.plateau_window"),
        _macro("StudyPlateauTolerance", f"{evaluation['plateau_tolerance']:g}", key="evaluation.plateau_tolerance"),
        _macro("StudyPlateauMinSnapshots", PLATEAU_MIN_SNAPSHOTS),
        _macro("StudyNoHighQuality", counts[NO_HIGH_QUALITY][0]),
        _macro("StudyLevelledOff", counts[LEVELLED_OFF][0]),
        _macro("StudyLevelledOffDefined", counts[LEVELLED_OFF][1]),
        _macro("StudyUnderTrained", counts[UNDER_TRAINED][0]),
        _macro("StudyLevelledOffSentence", LEVELLED_OFF_TEXT[counts[LEVELLED_OFF][1] > 0].format(
            levelled=counts[LEVELLED_OFF][0], defined=counts[LEVELLED_OFF][1], under=counts[UNDER_TRAINED][0])),
        _macro("StudyLogK", _per_dataset(log_k)),
        _macro("StudyMMDBandwidths", _per_dataset({d: f"{w:.3g}" for d, w in mmd_bandwidths(summary).items()})),
        _macro("StudyAlpha", f"{ALPHA:g}"),
        _macro("StudyHolmFamily", p_values["family"]),
        _macro("StudySmallestRawP", f"{p_values['raw']:.3g}"),
        _macro("StudySmallestP", _p(p_values["variants"])),
        _macro("StudySignificanceReach", REACH_TEXT[p_values["variants"] < ALPHA]),
        _macro("StudySweepFamily", p_values["sweep_family"]),
        _macro("StudySweepsSmallestP", _p(p_values["sweeps"])),
        _macro("VerdictWidth", f"{replication.VERDICT_WIDTH:g}"),
        _macro("VerdictMinSeeds", replication.MIN_SEEDS),
        _macro("StudyDevices", latex_escape(", ".join(sorted(set(runs["device"]))))),
        _macro("StudyTrainHours", f"{runs['wall_time_s'].sum() / 3600:.2f}"),
        _macro("StudyCommit", latex_escape(_commit(runs))),
        _macro("SettingsTable", table, key="train, image_train, variants, sweeps"),
        _macro("SharedSettings", shared, key="train"),
        _macro("ImageSettings", image_shared, key="image_train"),
        _macro("StudyConfidence", f"{evaluation['confidence']:g}", key="evaluation.confidence"),
        _macro("StudyImageSamples", _thousands(TrainSettings(**shared_settings(study, image=True)).snapshot_samples),
               key="image_train.snapshot_samples"),
        _macro("Baseline", latex_escape(BASELINE)),
        _macro("StudyEnsembleSize", study.get("ensemble_size") or len(study["seeds"]), key="ensemble_size"),
        _macro("VariantsTable", variants_table(list(study["variants"])), key="variants"),
        "",
    ]
    return "\n".join(lines)


def _commit(runs: pd.DataFrame) -> str:
    return ", ".join(sorted({_commit_text(c) for c in runs["git_commit"]}))


# pdfTeX settings put before the report's first line: no date, trailer ID or file paths (of the
# study's directory) in the PDF, so that the same sources give the same bytes wherever and
# whenever they are built
REPRODUCIBLE_PDF = r"\pdfinfoomitdate=1 \pdftrailerid{} \pdfsuppressptexinfo=-1 "
# LaTeX's environment: the clock TeX reads (\today) fixed at the Unix epoch, for the same
# reason; output lines long enough that an error's file path and context are never wrapped
LATEX_ENVIRONMENT = {"SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "max_print_line": "10000"}
# A template's own files, copied from beside it into the build directory
TEMPLATE_SUFFIXES = (".tex", ".bib", ".bst", ".sty", ".cls")


class LatexError(RuntimeError):
    """The report did not compile: the message names the log, each error's file and line, and the
    generated macro (with its config key) that TeX was expanding."""


def config_key_comment(name: str, key: str) -> str:
    """The comment above the definition of generated macro `name` whose text comes from config
    key `key`: a failed build reads it (`_DEFINITION`) to name the key."""
    return rf"% \{name}: config key '{key}'"


# A macro's definition in a generated file, after the comment of `config_key_comment` if any
_DEFINITION = re.compile(
    r"^(?:% \\(?P<commented>\w+): config key '(?P<key>[^']*)'\n)?\\newcommand\{\\(?P<name>\w+)\}", flags=re.MULTILINE
)


def _definitions(files: Sequence[Path]) -> dict[str, str]:
    """Where `files` define each macro ("defined at path:line") and the config key its text comes from."""
    found = {}
    for path in files:
        text = path.read_text(errors="replace")
        for match in _DEFINITION.finditer(text):
            line = text.count("\n", 0, match.start("name")) + 1
            key = f", from config key '{match['key']}'" if match["commented"] == match["name"] else ""
            found[match["name"]] = f"defined at {path}:{line}{key}"
    return found


def latex_failure(output: str, *, main_tex: Path, search_dirs: Sequence[Path]) -> list[str]:
    """What a failed build's output says: each error with its file and line (the template's
    path for its build copy), then each macro TeX was expanding that a generated file of
    `search_dirs` defines, with where and from which config key."""
    errors = [line.replace(f"./{main_tex.name}:", f"{main_tex}:", 1)
              for line in output.splitlines() if re.match(r"^(\S+\.tex:\d+: |! )", line)]
    opened = [Path(p) for p in dict.fromkeys(re.findall(r"\((/[^()\s]+\.tex)", output))]
    definitions = _definitions([p for p in opened if p.is_file() and any(p.is_relative_to(d) for d in search_dirs)])
    expanding = dict.fromkeys(re.findall(r"^\\(\w+) ?(?:#\d)*->", output, flags=re.MULTILINE))
    return errors[:10] + [rf"while expanding \{name}, {definitions[name]}" for name in expanding if name in definitions]


# TeX's warning of a line set wider than the text (in the margin), as its .log writes it
_OVERFULL = re.compile(r"^Overfull \\hbox \([\d.]+pt too wide\) .*$", flags=re.MULTILINE)


def overfull_boxes(tex_log: str) -> list[str]:
    """Every "Overfull \\hbox" warning of a TeX .log: each line or table that runs into the margin."""
    return _OVERFULL.findall(tex_log)


def compile_latex(
    *, main_tex: str | os.PathLike, search_dirs: list[str | os.PathLike], pdf: str | os.PathLike, log: str | os.PathLike
) -> list[str]:
    """Compile the template `main_tex` into `pdf` with latexmk, writing its output to `log`, and
    after it TeX's overfull-box warnings (`overfull_boxes`), which it returns: latexmk prints
    none when the PDF was already up to date, TeX's .log has them whenever it was built.

    The template and its own files (`TEMPLATE_SUFFIXES` beside it) are copied into a private
    build directory beside `pdf`, and TeX searches `search_dirs`, the study's own directories,
    for everything else (generated/..., figures/...): never the template's directory, where a
    checkout may hold another study's parts. TeX runs no shell command, whatever the input, and
    the PDF's bytes depend on its sources only (`REPRODUCIBLE_PDF`, `LATEX_ENVIRONMENT`).
    Raises LatexError naming the log, the failing file and line, and the config key of the text
    (`latex_failure`).
    """
    if shutil.which("latexmk") is None:
        raise LatexError("latexmk not found: install it (Debian: apt-get install latexmk texlive-latex-recommended)")
    main_tex, build = Path(main_tex).resolve(), (Path(pdf).parent / "build").resolve()
    build.mkdir(parents=True, exist_ok=True)
    for source in main_tex.parent.iterdir():
        if source.is_file() and source.suffix in TEMPLATE_SUFFIXES:
            shutil.copyfile(source, build / source.name)
    dirs = [Path(d).resolve() for d in search_dirs]
    env = {**os.environ, **LATEX_ENVIRONMENT, "TEXINPUTS": ":".join(map(str, dirs)) + ":"}
    command = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape",
               f"-usepretex={REPRODUCIBLE_PDF}", main_tex.name]
    with open(log, "w") as handle:
        completed = subprocess.run(command, cwd=build, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)  # latexmk remembers failures; the next try starts clean
        problems = latex_failure(Path(log).read_text(errors="replace"), main_tex=main_tex, search_dirs=dirs)
        raise LatexError(
            f"LaTeX failed on {main_tex} (latexmk exit {completed.returncode}); its output: {log}\n  " + "\n  ".join(problems)
        )
    overfull = overfull_boxes((build / f"{main_tex.stem}.log").read_text(errors="replace"))
    with open(log, "a") as handle:  # TeX's own log stays in the build directory; its warnings go here
        handle.write("".join(f"{warning}\n" for warning in overfull))
    with atomic_path(pdf) as tmp:
        shutil.copyfile(build / f"{main_tex.stem}.pdf", tmp)
    return overfull
