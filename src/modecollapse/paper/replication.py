"""The report's section on the published numbers: each published table beside our runs, and its directions."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from .. import published, replication
from ..config import base_variant, format_value
from ..cost import duration
from ..metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL
from ..provenance import short_commit
from ..replication import study_settings
from .latex import fit_to_width, latex_escape, p_value, stacked
from .tables import METRIC_WORDS, by_key, cell_lines

# How each metric of a published table is shown: (header, scale, digits of our numbers)
REPLICATION_METRICS = {
    MODES_COVERED: ("Modes covered", 1.0, 1),
    HIGH_QUALITY_FRACTION: (r"High quality (\%)", 100.0, 1),
    REVERSE_KL: ("Reverse KL", 1.0, 2),
}
VERDICT_TEXT = {
    replication.AGREES: "agrees",
    replication.HIGHER: r"\textbf{higher}",
    replication.LOWER: r"\textbf{lower}",
}
SPREAD_MARK = r"$^\dagger$"  # a verdict of the spread rule (REPLICATION_INTRO)
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


def published_cell(value: tuple[float, float | None], *, scale: float, digits: int, trials: int) -> str:
    """mean ± s.e. as published (at least `digits` decimals) above the trials behind it."""
    mean, se = value
    text = _published_number(mean * scale, digits)
    text += rf" $\pm$ {_published_number(se * scale, digits)}" if se is not None else ""
    return stacked([text, f"(n={trials})"])


def differs_notes(matches: Sequence[replication.Match]) -> dict[tuple[str, ...], str]:
    """A letter (a, b, ...) for each distinct list of differing settings among the rows that
    stand beside a run of another setting, in table order."""
    lists = dict.fromkeys(m.differs for m in matches if m.status == replication.OTHER_SETTING)
    return {differs: chr(ord("a") + i) for i, differs in enumerate(lists)}


def _differs_text(differs: Sequence[str]) -> str:
    return ", ".join(rf"\texttt{{{latex_escape(key)}}}" for key in differs)


# A summary by (dataset, run, metric), as `tables.by_key` gives it
SummaryIndex = Mapping[tuple[str, str, str], Mapping[str, Any]]


def _metric_cells(table: published.PublishedTable, match: replication.Match, summary: SummaryIndex) -> list[str]:
    """Per metric of `table`, the row's published cell, ours and the verdict."""
    row, verdicts = match.row, replication.row_verdicts(match, summary, trials=table.trials)
    cells = []
    for metric in table.metrics:
        scale, digits = REPLICATION_METRICS[metric][1:]
        published = row.numbers.get(metric)
        ours = summary.get((row.dataset, match.run, metric)) if match.run is not None else None
        trials = row.trials or table.trials
        given = VERDICT_TEXT.get(verdicts.get(metric))
        if given is not None and replication.verdict_rule(published_se=published[1], published_n=trials) == (
            replication.SPREAD_RULE
        ):
            given += SPREAD_MARK  # the spread rule gave it: no published error bar
        cells += [
            "--" if published is None else published_cell(published, scale=scale, digits=digits, trials=trials),
            stacked(cell_lines(ours, scale=scale, digits=digits)),
            given or "--",
        ]
    return cells


def replication_table(
    table: published.PublishedTable, *, matches: Sequence[replication.Match], summary: SummaryIndex
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
        run_text = RUN_TEXT[match.status].format(run=latex_escape(match.run or ""), note=notes.get(match.differs, ""))
        run = stacked(run_text.split(", "))
        group = latex_escape(row.label) if row.label != previous else ""
        lines.append(" & ".join([group, latex_escape(row.model), run, *_metric_cells(table, match, summary)]) + r" \\")
        previous = row.label
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


DIRECTION_WORDS = {1: "higher", -1: "lower"}
SIGNIFICANCE_TEXT = {
    replication.SIGNIFICANT: r"significant ($p_{{\mathrm{{Holm}}}}={p_holm}$)",
    replication.NOT_SIGNIFICANT: r"not significant ($p_{{\mathrm{{Holm}}}}={p_holm}$)",
    replication.UNREACHABLE: (
        r"the seed counts cannot reach significance (smallest attainable $p_{{\mathrm{{Holm}}}}={min_p}$)"
    ),
    replication.UNTESTED: "not compared by this study's tests",
}
SETTINGS_TEXT = {replication.MATCHED: "the paper's setting", replication.OTHER_SETTING: "another setting"}


def direction_clause(check: replication.DirectionCheck) -> str:
    """One published direction of a pair and what our test shows: "modes covered: higher in the
    paper; ours same direction, significant ($p_Holm$=0.012)"."""
    sign = "" if check.sign == replication.UNTESTED else f"{check.sign}, "
    significance = SIGNIFICANCE_TEXT[check.significance].format(
        p_holm=p_value(check.p_holm), min_p=p_value(check.min_p)
    )
    metric, direction = METRIC_WORDS[check.direction.metric], DIRECTION_WORDS[check.direction.sign]
    return f"{metric} {direction} in the paper, ours {sign}{significance}"


def direction_item(title: str, checks: Sequence[replication.DirectionCheck]) -> str:
    """The published directions of one pair of rows (same runs) and our tests of them."""
    first = checks[0]
    d = first.direction
    return (
        rf"{latex_escape(d.group)}, {latex_escape(d.model)} against {latex_escape(d.baseline)} "
        rf"({latex_escape(title)}); "
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
rows (a setting the paper does not fully publish) never get one.
\emph{Verdict rule:} beside a run of its own setting, our mean \emph{agrees} with the
published one when $|\bar x_{\mathrm{ours}} - \bar x_{\mathrm{pub}}| \le \VerdictWidth
\sqrt{\mathrm{se}_{\mathrm{ours}}^2 + \mathrm{se}_{\mathrm{pub}}^2}$, and is otherwise
\emph{higher} or \emph{lower}. Where the paper gives only a mean of $n_{\mathrm{pub}}$ runs, our
seeds' spread stands in for its runs': ours agrees when $|\bar x_{\mathrm{ours}} - \bar
x_{\mathrm{pub}}| \le \VerdictWidth\, s_{\mathrm{ours}} \sqrt{1/n_{\mathrm{ours}} +
1/n_{\mathrm{pub}}}$ (a prediction interval for $n_{\mathrm{pub}} = 1$), marked $^\dagger$; where
our seeds all give the same value ($s_{\mathrm{ours}} = 0$) that rule agrees only on equality.
There is no verdict (--) when our standard error is missing or fewer than \VerdictMinSeeds{} of
our seeds have a value. Published cells give mean $\pm$
standard error over the paper's trials, ours mean $\pm$ standard error across seeds with the
95\% bootstrap interval in brackets and n as in Table~\ref{tab:results}.
"""


def _table_caption(table: published.PublishedTable, matches: Sequence[replication.Match]) -> str:
    """A published table's caption: its title and source, the study data it needs, its note, and
    the settings behind each letter of `differs_notes`."""
    data = ", ".join(
        rf"\texttt{{data.{latex_escape(k)}}}={latex_escape(format_value(v))}" for k, v in table.data.items()
    )
    notes = "".join(
        rf" Other setting ({letter}): differs in {_differs_text(differs)}."
        for differs, letter in differs_notes(matches).items()
    )
    return (
        rf"{latex_escape(table.title)}~\cite{{{table.cite}}} ({table.trials} trial{'s' * (table.trials != 1)}; "
        rf"{latex_escape(table.source)})"
        + (rf"; study data it needs: {data}" if data else "")
        + (rf". {latex_escape(table.note)}" if table.note else ".")
        + notes
    )


def _runs_text(variants: Mapping[str, Sequence[str]], datasets: Sequence[str]) -> str:
    """Variants in typewriter, each with its datasets where it has some (not none) and not all of
    `datasets`."""
    return ", ".join(
        rf"\texttt{{{latex_escape(v)}}}"
        + (" (" + ", ".join(latex_escape(d) for d in ds) + ")" if ds and set(ds) != set(datasets) else "")
        for v, ds in variants.items()
    )


def _parts_text(parts: Sequence[Mapping[str, Any]], datasets: Sequence[str]) -> str:
    """Where and when a reference folder's rows were made: "1.3 h on M, commit C" for one study, and
    for several each one's variants (with their datasets where a part ran some of `datasets`), wall
    time and commit, with the machine once when they share it."""

    def made(part: Mapping[str, Any], *, machine: bool) -> str:
        where = rf" on {latex_escape(part['machine'])}" if machine else ""
        return (
            rf"{duration(part['wall_time_s'])}{where}, commit \texttt{{{latex_escape(short_commit(part['commit']))}}}"
        )

    if len(parts) == 1:
        return made(parts[0], machine=True)
    machines = {part["machine"] for part in parts}
    text = "; ".join(
        _runs_text(part["runs"], datasets) + " in " + made(part, machine=len(machines) > 1) for part in parts
    )
    return text + (rf"; all on {latex_escape(parts[0]['machine'])}" if len(machines) == 1 else "")


def reference_part(references: Sequence[Any], *, training_hash: str) -> str:
    """The part "replicated at full protocol": each shipped reference study (reference.Reference)
    beside the published table it replicates, with its verdicts, wall time, machine and commit,
    and a note where the training code has changed since it was made (`training_hash`: the
    current one, provenance.source_hash of the training script)."""
    by_id = {table.id: table for table in published.PUBLISHED_TABLES}
    blocks = [r"\paragraph{Replicated at full protocol.}"]
    shipped = [ref for ref in references if ref.table in by_id]
    if not shipped:
        return (  # sloppypar: the typewriter command may not break, so the line around it stretches instead
            r"\begin{sloppypar}"
            + blocks[0]
            + r" No reference runs are shipped yet: \texttt{make} \texttt{replicate} \texttt{TABLE=gdpp-table1} (or"
            + r" \texttt{veegan-table1}) runs one of the two replications a laptop finishes at its full protocol"
            + r" and ships its final results into \path{reference/}."
            + "\\end{sloppypar}\n"
        )
    # \clearpage: the published tables above are floats that would otherwise land after this
    # paragraph, between it and its own tables
    blocks[0] = (
        r"\clearpage"
        + "\n"
        + blocks[0]
        + (
            " These studies ran a published table's own setting to the end on the machine named below; their "
            r"final results are shipped with the code (\path{reference/}), so every report sets them beside the "
            "published numbers."
        )
    )
    for ref in shipped:
        table, record = by_id[ref.table], ref.provenance
        runs = {  # the study record's runs that have shipped rows: a part may have run some datasets
            dataset: {name: s for name, s in by_name.items() if (dataset, base_variant(name)) in ref.runs}
            for dataset, by_name in study_settings(ref.study).items()
        }
        matches = replication.match_table(table, study_data=ref.study["data"], runs=runs)
        stale = record["training_source_hash"] != training_hash
        caption = (
            rf"{latex_escape(table.title)}~\cite{{{table.cite}}}, reference runs of "
            rf"\texttt{{config/{latex_escape(ref.table)}.yaml}}: {_parts_text(ref.parts, ref.study['datasets'])}."
        )
        if ref.not_run:
            names = _runs_text(dict(ref.not_run), ())
            caption += (
                rf" Not run at full protocol yet: {names} (\texttt{{make}} \texttt{{replicate}} "
                rf"\texttt{{TABLE={latex_escape(ref.table)}}} \texttt{{VARIANTS=...}} [\texttt{{DATASETS=...}}] "
                "adds them)."
            )
        if stale:
            caption += (
                r" \textbf{These reference runs predate the current code:} the training code has changed since "
                r"they were made; \texttt{make} \texttt{replicate} "
                rf"\texttt{{TABLE={latex_escape(ref.table)}}} refreshes them."
            )
        blocks += [
            r"\begin{table}[htbp]\centering\scriptsize",
            fit_to_width(replication_table(table, matches=matches, summary=by_key(ref.summary))).rstrip(),
            rf"\caption{{{caption}}}\label{{tab:reference-{table.id}}}",
            r"\end{table}",
        ]
    return "\n".join(blocks) + "\n"


def replication_section(
    *,
    study: Mapping[str, Any],
    settings: Mapping[str, Mapping[str, Mapping[str, Any]]],
    summary: pd.DataFrame,
    tests: pd.DataFrame,
    tables: Sequence[published.PublishedTable] = published.PUBLISHED_TABLES,
    references: Sequence[Any] = (),
    training_hash: str = "",
) -> str:
    """The report's section on the published numbers: the matching and verdict rules, a table
    per published table (`replication_table`), and the published directions with what our
    tests show (`replication.check_directions`). `settings` are the study's resolved run
    settings (`replication.study_settings`)."""
    index = by_key(summary)
    blocks, pairs = [REPLICATION_INTRO], {}
    for table in tables:
        matches = replication.match_table(table, study_data=study["data"], runs=settings)
        for check in replication.check_directions(replication.published_directions(table), matches, tests):
            d = check.direction
            pairs.setdefault((table.title, d.group, d.model, d.baseline), []).append(check)
        blocks += [
            r"\begin{table}[htbp]\centering\scriptsize",
            fit_to_width(replication_table(table, matches=matches, summary=index)).rstrip(),
            rf"\caption{{{_table_caption(table, matches)}}}\label{{tab:{table.id}}}",
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
        items = [r"\item " + direction_item(title, checks) for (title, *_), checks in pairs.items()]
        blocks += [r"\begin{itemize}", *items, r"\end{itemize}"]
    else:
        blocks.append("This study trains no pair of models that a published direction compares.")
    blocks.append(reference_part(references, training_hash=training_hash))
    return "\n".join(blocks) + "\n"
