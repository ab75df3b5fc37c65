"""The LaTeX report's generated parts (tables, macros) and its compilation with latexmk."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .config import resolve_settings
from .data import get_dataset
from .io import atomic_path
from .metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL
from .variants import BASELINE, VARIANTS

# Published numbers (mean ± standard error over trials) at the papers' own scale; PROTOCOL.md §5.
# PacGAN Table 1 (Lin et al. 2018; 10 trials; results/Table1.png in fjxmlzn/PacGAN).
PUBLISHED = {
    "source": "PacGAN (Lin et al. 2018), Table 1; 10 trials, paper-scale networks and about 400k steps",
    "rows": {
        # (dataset, model): {metric: (mean, sem)}; high-quality fraction as a fraction, not %.
        ("ring8", "GAN"): {MODES_COVERED: (6.3, 0.5), HIGH_QUALITY_FRACTION: (0.982, 0.002), REVERSE_KL: (0.45, 0.09)},
        ("grid25", "GAN"): {MODES_COVERED: (17.3, 0.8), HIGH_QUALITY_FRACTION: (0.948, 0.007), REVERSE_KL: (0.70, 0.07)},
    },
}
# PacGAN's "GAN" row is the standard GAN; we compare it with our baseline.
PUBLISHED_BASELINE = "GAN"


def latex_escape(text: str) -> str:
    for char, replacement in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#")):
        text = text.replace(char, replacement)
    return text


def _number(value: float, digits: int) -> str:
    return "--" if not np.isfinite(value) else f"{value:.{digits}f}"


def _cell(row: Mapping[str, Any] | None, *, scale: float = 1.0, digits: int = 2) -> str:
    """mean ± s.e.m. with the 95% CI beneath, or -- when nothing was measured."""
    if row is None or row["n"] == 0:
        return "--"
    mean, sem = row["mean"] * scale, row["sem"] * scale
    text = _number(mean, digits) + (rf" $\pm$ {_number(sem, digits)}" if np.isfinite(sem) else "")
    if np.isfinite(row["ci_low"]):
        text += rf" {{\tiny[{_number(row['ci_low'] * scale, digits)}, {_number(row['ci_high'] * scale, digits)}]}}"
    return text


METRIC_COLUMNS = ((MODES_COVERED, 1.0, 1), (HIGH_QUALITY_FRACTION, 100.0, 1), (REVERSE_KL, 1.0, 2))


def results_table(*, summary: pd.DataFrame, runs: pd.DataFrame) -> str:
    """Final-step results per dataset and variant (mean ± s.e.m. across seeds, 95% CI), with the
    published baseline row beneath each dataset's block."""
    index = {(r.dataset, r.variant, r.metric): r._asdict() for r in summary.itertuples(index=False)}
    lines = [
        r"\begin{tabular}{llllll}",
        r"\toprule",
        r"Dataset & Variant & Modes covered & High quality (\%) & Reverse KL & Diverged \\",
        r"\midrule",
    ]
    for d_index, dataset in enumerate(dict.fromkeys(summary["dataset"])):
        if d_index:
            lines.append(r"\midrule")
        mixture = get_dataset(dataset)
        label = rf"{latex_escape(dataset)} ({mixture.n_modes} modes)"
        for v_index, variant in enumerate(dict.fromkeys(summary.loc[summary["dataset"] == dataset, "variant"])):
            mine = runs[(runs["dataset"] == dataset) & (runs["variant"] == variant)]
            cells = [_cell(index.get((dataset, variant, m)), scale=s, digits=k) for m, s, k in METRIC_COLUMNS]
            diverged = f"{int((mine['status'] == 'diverged').sum())}/{len(mine)}"
            lines.append(" & ".join([label if v_index == 0 else "", latex_escape(variant), *cells, diverged]) + r" \\")
        published = PUBLISHED["rows"].get((dataset, PUBLISHED_BASELINE))
        if published:
            cells = [
                f"{mean * s:.{k}f} $\\pm$ {sem * s:.{k}f}"
                for (mean, sem), (_, s, k) in zip((published[m] for m, _, _ in METRIC_COLUMNS), METRIC_COLUMNS)
            ]
            lines.append(" & ".join(["", r"\emph{PacGAN: GAN}$^\dagger$", *cells, "--"]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def _macro(name: str, value: Any) -> str:
    return rf"\newcommand{{\{name}}}{{{value}}}"


def settings_table(study: Mapping[str, Any]) -> str:
    """The resolved training settings of each variant: what differs between them, and the shared rest."""
    resolved = {v: resolve_settings(study, v).__dict__ for v in study["variants"]}
    keys = [k for k in next(iter(resolved.values())) if k != "loss"]
    varying = [k for k in keys if len({repr(r[k]) for r in resolved.values()}) > 1]
    shared = [k for k in keys if k not in varying]
    first = next(iter(resolved.values()))
    lines = [r"\begin{tabular}{l" + "l" * (1 + len(varying)) + "}", r"\toprule"]
    lines.append(" & ".join(["Variant", "Loss", *(latex_escape(k) for k in varying)]) + r" \\")
    lines.append(r"\midrule")
    for variant, settings in resolved.items():
        lines.append(" & ".join([latex_escape(variant), latex_escape(settings["loss"]), *(f"{settings[k]:g}" if isinstance(settings[k], float) else str(settings[k]) for k in varying)]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    shared_text = ", ".join(rf"\texttt{{{latex_escape(k)}}} = {first[k]:g}" if isinstance(first[k], float) else rf"\texttt{{{latex_escape(k)}}} = {first[k]}" for k in shared)
    return "\n".join(lines), shared_text


def baseline_comparison(summary: pd.DataFrame) -> str:
    """One sentence per dataset: our baseline's mode coverage beside the published GAN's."""
    sentences = []
    for dataset in dict.fromkeys(summary["dataset"]):
        published = PUBLISHED["rows"].get((dataset, PUBLISHED_BASELINE))
        mine = summary[(summary["dataset"] == dataset) & (summary["variant"] == BASELINE) & (summary["metric"] == MODES_COVERED)]
        if published is None or mine.empty or mine.iloc[0]["n"] == 0:
            continue
        row = mine.iloc[0]
        mean, sem = published[MODES_COVERED]
        n_modes = get_dataset(dataset).n_modes
        low, high = row["ci_low"], row["ci_high"]
        if np.isfinite(low):
            verdict = (
                "the published mean lies inside our 95\\% interval"
                if low <= mean <= high
                else "the published mean lies outside our 95\\% interval: our run disagrees with the paper"
            )
        else:
            verdict = "too few seeds for an interval"
        sentences.append(
            f"On {latex_escape(dataset)}, our baseline ({latex_escape(BASELINE)}) covers "
            f"{row['mean']:.1f} of {n_modes} modes (s.e.m. {_number(row['sem'], 1)}, {int(row['n'])} seeds) "
            f"against {mean} $\\pm$ {sem} for PacGAN's GAN; {verdict}."
        )
    return " ".join(sentences) or "No published baseline matches this study's datasets."


def study_macros(*, study: Mapping[str, Any], summary: pd.DataFrame, runs: pd.DataFrame) -> str:
    table, shared = settings_table(study)
    diverged = int((runs["status"] == "diverged").sum())
    lines = [
        "% Generated by the workflow's study_macros rule: do not edit.",
        _macro("StudyScale", latex_escape(study.get("scale", "default"))),
        _macro("StudyDatasets", ", ".join(latex_escape(d) for d in study["datasets"])),
        _macro("StudyVariants", ", ".join(latex_escape(v) for v in study["variants"])),
        _macro("StudySeeds", len(study["seeds"])),
        _macro("StudySeedList", ", ".join(map(str, study["seeds"]))),
        _macro("StudyRuns", len(runs)),
        _macro("StudyDiverged", diverged),
        _macro("StudyDataSize", f"{study['data']['size']:,}".replace(",", "{,}")),
        _macro("StudyDataSeed", study["data"]["seed"]),
        _macro("StudyThreshold", f"{study['evaluation']['threshold']:g}"),
        _macro("StudyDevices", ", ".join(sorted(set(runs["device"])))),
        _macro("StudyTrainHours", f"{runs['wall_time_s'].sum() / 3600:.2f}"),
        _macro("StudyCommit", latex_escape(_commit(runs))),
        _macro("SettingsTable", table),
        _macro("SharedSettings", shared),
        _macro("PublishedSource", PUBLISHED["source"]),
        _macro("BaselineComparison", baseline_comparison(summary)),
        _macro("Baseline", latex_escape(BASELINE)),
        "",
    ]
    return "\n".join(lines)


def _commit(runs: pd.DataFrame) -> str:
    return ", ".join(sorted({c if c == "unknown" else c[:12] + ("-dirty" if c.endswith("-dirty") else "") for c in runs["git_commit"]}))


def compile_latex(
    *, main_tex: str | os.PathLike, search_dirs: list[str | os.PathLike], pdf: str | os.PathLike, log: str | os.PathLike
) -> None:
    """Compile `main_tex` with latexmk in a private build directory beside `pdf`, then move the PDF in.

    `search_dirs` go on TEXINPUTS so that the hand-written sources (in the repository) find the
    generated parts and figures (in the working directory) wherever the study runs.
    """
    if shutil.which("latexmk") is None:
        raise RuntimeError("latexmk not found: install it (Debian: apt-get install latexmk texlive-latex-recommended)")
    main_tex = Path(main_tex).resolve()
    build = Path(pdf).parent / "build"
    build.mkdir(parents=True, exist_ok=True)
    dirs = [main_tex.parent, *(Path(d).resolve() for d in search_dirs)]
    env = {**os.environ, "TEXINPUTS": ":".join(str(d) for d in dirs) + ":"}
    command = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", f"-outdir={build.resolve()}", str(main_tex)]
    with open(log, "w") as handle:
        completed = subprocess.run(command, cwd=build, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)  # latexmk remembers failures; the next try starts clean
        errors = [line for line in Path(log).read_text().splitlines() if re.match(r"^(\S+\.tex:\d+:|!)", line)]
        raise RuntimeError(f"latexmk failed (exit {completed.returncode}); see {log}:\n" + "\n".join(errors[:10]))
    with atomic_path(pdf) as tmp:
        shutil.copyfile(build / f"{main_tex.stem}.pdf", tmp)
