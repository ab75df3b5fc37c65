"""The report appendix's tables: the software that computed each stage, and what the jobs cost."""

from __future__ import annotations

import math

import pandas as pd

from ..provenance import PACKAGES, PROVENANCE_ITEMS, STAGES
from .latex import fit_to_width, latex_escape, stacked


def _software_cell(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "--"
    if len(rows) == 1:
        return latex_escape(rows["value"].iloc[0])
    return stacked([f"{latex_escape(value)} ({n})" for value, n in zip(rows["value"], rows["outputs"])])


def software_appendix(software: pd.DataFrame) -> str:
    """A table of `provenance.software_table`: each package and setting that computed a number, per
    stage; a stage whose outputs disagree lists each value with its count of outputs, one above the
    other."""
    stages = [stage for stage in STAGES if stage in set(software["stage"])]
    known = ["modecollapse", *PACKAGES, *PROVENANCE_ITEMS]
    items = sorted(set(software["item"]), key=lambda item: (known.index(item) if item in known else len(known), item))
    counts = software.groupby("stage")["outputs"].max()
    header = " & ".join(f"{stage.capitalize()} ({counts[stage]})" for stage in stages)
    lines = [rf"\begin{{tabular}}{{l{'l' * len(stages)}}}", r"\toprule", rf"& {header} \\", r"\midrule"]
    for item in items:
        rows = software[software["item"] == item]
        cells = [_software_cell(rows[rows["stage"] == stage]) for stage in stages]
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
        r"\begin{tabular}{llrrrrr}",
        r"\toprule",
        r"Stage & Dataset & Jobs & Wall time & Longest job & CPU time & Peak memory (MB) \\",
        r"\midrule",
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
