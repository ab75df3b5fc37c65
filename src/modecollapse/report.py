"""The LaTeX report's generated parts (tables, macros) and its compilation with latexmk."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .config import TrainSettings, format_value, shared_settings, study_runs
from .data import get_dataset, is_image
from .io import atomic_path
from .evaluate import COLLAPSED
from . import metrics
from .metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL
from .variants import BASELINE, describe

# Published numbers at the papers' own scale (PROTOCOL.md §5), each matched to the variant of
# ours that implements the same model. High-quality fractions as fractions, not %.
# PacGAN Table 1: mean ± standard error over 10 trials (results/Table1.png in fjxmlzn/PacGAN).
# VEEGAN Table 1: mean of 5 runs, no error bars (tab.png in akashgit/VEEGAN); its unrolled GAN
# unrolls 5 steps.
PACGAN = "PacGAN (Lin et al. 2018), Table 1"
VEEGAN = "VEEGAN (Srivastava et al. 2017), Table 1"
VEEGAN_2 = "VEEGAN (Srivastava et al. 2017), Table 2"
PACGAN_2 = "PacGAN (Lin et al. 2018), Table 2"
PUBLISHED = [
    # (source, their model, our variant, dataset, {metric: (mean, sem or None)})
    (PACGAN, "GAN", "gan-ns", "ring8", {MODES_COVERED: (6.3, 0.5), HIGH_QUALITY_FRACTION: (0.982, 0.002), REVERSE_KL: (0.45, 0.09)}),
    (PACGAN, "PacGAN2", "pacgan-2", "ring8", {MODES_COVERED: (7.9, 0.1), HIGH_QUALITY_FRACTION: (0.956, 0.020), REVERSE_KL: (0.07, 0.03)}),
    (PACGAN, "PacGAN3", "pacgan-3", "ring8", {MODES_COVERED: (7.8, 0.1), HIGH_QUALITY_FRACTION: (0.977, 0.003), REVERSE_KL: (0.10, 0.02)}),
    (PACGAN, "PacGAN4", "pacgan-4", "ring8", {MODES_COVERED: (7.8, 0.1), HIGH_QUALITY_FRACTION: (0.959, 0.014), REVERSE_KL: (0.07, 0.02)}),
    (PACGAN, "GAN", "gan-ns", "grid25", {MODES_COVERED: (17.3, 0.8), HIGH_QUALITY_FRACTION: (0.948, 0.007), REVERSE_KL: (0.70, 0.07)}),
    (PACGAN, "PacGAN2", "pacgan-2", "grid25", {MODES_COVERED: (23.8, 0.7), HIGH_QUALITY_FRACTION: (0.913, 0.008), REVERSE_KL: (0.13, 0.04)}),
    (PACGAN, "PacGAN3", "pacgan-3", "grid25", {MODES_COVERED: (24.6, 0.4), HIGH_QUALITY_FRACTION: (0.942, 0.004), REVERSE_KL: (0.06, 0.02)}),
    (PACGAN, "PacGAN4", "pacgan-4", "grid25", {MODES_COVERED: (24.8, 0.2), HIGH_QUALITY_FRACTION: (0.936, 0.006), REVERSE_KL: (0.04, 0.01)}),
    (VEEGAN, "GAN", "gan-ns", "ring8", {MODES_COVERED: (1.0, None), HIGH_QUALITY_FRACTION: (0.993, None)}),
    (VEEGAN, "Unrolled GAN", "unrolled-5", "ring8", {MODES_COVERED: (7.6, None), HIGH_QUALITY_FRACTION: (0.356, None)}),
    (VEEGAN, "GAN", "gan-ns", "grid25", {MODES_COVERED: (3.3, None), HIGH_QUALITY_FRACTION: (0.005, None)}),
    (VEEGAN, "Unrolled GAN", "unrolled-5", "grid25", {MODES_COVERED: (23.6, None), HIGH_QUALITY_FRACTION: (0.16, None)}),
    # Stacked MNIST, 1000 modes: VEEGAN Table 2 and PacGAN Table 2 (PROTOCOL.md §5)
    (VEEGAN_2, "DCGAN", "gan-ns", "stacked-mnist", {MODES_COVERED: (99.0, None), REVERSE_KL: (3.40, None)}),
    (VEEGAN_2, "Unrolled GAN", "unrolled-5", "stacked-mnist", {MODES_COVERED: (48.7, None), REVERSE_KL: (4.32, None)}),
    (PACGAN_2, "PacDCGAN2", "pacgan-2", "stacked-mnist", {MODES_COVERED: (1000.0, None), REVERSE_KL: (0.06, None)}),
    (PACGAN_2, "PacDCGAN3", "pacgan-3", "stacked-mnist", {MODES_COVERED: (1000.0, None), REVERSE_KL: (0.06, None)}),
    (PACGAN_2, "PacDCGAN4", "pacgan-4", "stacked-mnist", {MODES_COVERED: (1000.0, None), REVERSE_KL: (0.07, None)}),
]


_UNICODE_MATH = {
    "σ": r"\sigma", "λ": r"\lambda", "β": r"\beta", "γ": r"\gamma", "α": r"\alpha", "‖": r"\|",
    "∇": r"\nabla", "½": r"\tfrac12", "²": r"^2", "₂": r"_2", "≥": r"\geq", "≤": r"\leq", "×": r"\times",
}


def latex_escape(text: str) -> str:
    """Text safe for LaTeX: special characters escaped, the Greek and math symbols of our
    descriptions typeset as math."""
    for char, replacement in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#")):
        text = text.replace(char, replacement)
    for char, command in _UNICODE_MATH.items():
        text = text.replace(char, rf"\ensuremath{{{command}}}")
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


METRIC_COLUMNS = ((MODES_COVERED, 1.0, 1), (HIGH_QUALITY_FRACTION, 100.0, 1), (REVERSE_KL, 1.0, 2), (COLLAPSED, 100.0, 0))


def _by_key(table: pd.DataFrame) -> dict[tuple[str, str, str], dict]:
    """Rows of a summary or tests table by (dataset, variant, metric)."""
    return {(r.dataset, r.variant, r.metric): r._asdict() for r in table.itertuples(index=False)}


def results_table(*, summary: pd.DataFrame, runs: pd.DataFrame, tests: pd.DataFrame, variants: list[str]) -> str:
    """Final-step results per dataset and variant: mean ± s.e.m. across seeds with the 95% CI,
    $^\\ast$ where a Holm-corrected test finds a difference from the baseline, the collapse rate
    and how many seeds diverged."""
    index, significant = _by_key(summary), _by_key(tests)
    lines = [
        r"\begin{tabular}{lllllll}",
        r"\toprule",
        r"Dataset & Variant & Modes covered & High quality (\%) & Reverse KL & Collapsed (\%) & Diverged \\",
        r"\midrule",
    ]
    for d_index, dataset in enumerate(dict.fromkeys(summary["dataset"])):
        if d_index:
            lines.append(r"\midrule")
        label = rf"{latex_escape(dataset)} ({get_dataset(dataset).n_modes} modes)"
        for v_index, variant in enumerate(variants):
            mine = runs[(runs["dataset"] == dataset) & (runs["variant"] == variant)]
            cells = []
            for metric, scale, digits in METRIC_COLUMNS:
                cell = _cell(index.get((dataset, variant, metric)), scale=scale, digits=digits)
                if significant.get((dataset, variant, metric), {}).get("significant"):
                    cell += r"$^\ast$"
                cells.append(cell)
            diverged = f"{int((mine['status'] == 'diverged').sum())}/{len(mine)}"
            lines.append(" & ".join([label if v_index == 0 else "", latex_escape(variant), *cells, diverged]) + r" \\")
        floor = index.get((dataset, variants[0], metrics.REVERSE_KL_FLOOR)) if variants else None
        if floor is not None:  # what a perfect generator scores at the same sample size
            kl = rf"{_number(floor['mean'], 4)} (floor)"
            ceiling = index.get((dataset, variants[0], metrics.MODES_COVERED_CEILING))  # below K when n is small
            modes = _number(ceiling["mean"], 1) if ceiling else str(get_dataset(dataset).n_modes)
            lines.append(" & ".join(["", r"\emph{perfect generator}", modes, "", kl, "", ""]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


DISTANCE_COLUMNS = (
    # (metric, header, digits): final-step distances between generated and real samples
    (metrics.WASSERSTEIN_1, r"$W_1$", 3), (metrics.SLICED_WASSERSTEIN, r"SW$_2$", 3), (metrics.MMD, r"MMD$^2$", 3),
    (metrics.ENERGY_DISTANCE, "Energy", 3), (metrics.FRECHET_DISTANCE, r"Fr\'echet", 3), (metrics.KID_MEAN, "KID", 3),
    (metrics.PRECISION, "Prec.", 2), (metrics.RECALL, "Rec.", 2), (metrics.DENSITY, "Dens.", 2),
    (metrics.COVERAGE, "Cov.", 2), (metrics.NDB_OVER_K, "NDB/K", 2), (metrics.JSD, "JSD", 3),
)


def distances_table(*, summary: pd.DataFrame, tests: pd.DataFrame, variants: list[str]) -> str:
    """Final-step distribution metrics per dataset and variant (means across seeds; $^\\ast$ marks a
    Holm-significant difference from the baseline), with the perfect generator's JSD floor."""
    index, significant = _by_key(summary), _by_key(tests)
    lines = [
        r"\begin{tabular}{ll" + "r" * len(DISTANCE_COLUMNS) + "}",
        r"\toprule",
        " & ".join(["Dataset", "Variant", *(header for _, header, _ in DISTANCE_COLUMNS)]) + r" \\",
        r"\midrule",
    ]
    for d_index, dataset in enumerate(dict.fromkeys(summary["dataset"])):
        if d_index:
            lines.append(r"\midrule")
        for v_index, variant in enumerate(variants):
            cells = []
            for metric, _, digits in DISTANCE_COLUMNS:
                row = index.get((dataset, variant, metric))
                cell = "--" if row is None or row["n"] == 0 else _number(row["mean"], digits)
                if significant.get((dataset, variant, metric), {}).get("significant"):
                    cell += r"$^\ast$"
                cells.append(cell)
            lines.append(" & ".join([latex_escape(dataset) if v_index == 0 else "", latex_escape(variant), *cells]) + r" \\")
        floor = index.get((dataset, variants[0], metrics.JSD_FLOOR)) if variants else None
        if floor is not None:
            cells = ["" for _ in DISTANCE_COLUMNS[:-1]] + [_number(floor["mean"], 3)]
            lines.append(" & ".join(["", r"\emph{perfect generator}", *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def _published_cell(value: tuple[float, float | None] | None, scale: float, digits: int) -> str:
    if value is None:
        return "--"
    mean, sem = value
    return f"{mean * scale:.{digits}f}" + (rf" $\pm$ {sem * scale:.{digits}f}" if sem is not None else "")


def comparison_table(*, summary: pd.DataFrame) -> str:
    """Each published row beside our matching variant, with whether the published mean of modes
    covered lies inside our 95% interval. Rows whose variant or dataset the study lacks are left out."""
    index = _by_key(summary)
    lines = [
        r"\begin{tabular}{lllllllllll}",
        r"\toprule",
        r" & & & \multicolumn{2}{c}{Modes covered} & \multicolumn{2}{c}{High quality (\%)} & \multicolumn{2}{c}{Reverse KL} & & \\",
        r"\cmidrule(lr){4-5}\cmidrule(lr){6-7}\cmidrule(lr){8-9}",
        r"Dataset & Published model & Our variant & published & ours & published & ours & published & ours & Source & In CI? \\",
        r"\midrule",
    ]
    shown = 0
    for source, model, variant, dataset, numbers in PUBLISHED:
        modes = index.get((dataset, variant, MODES_COVERED))
        if modes is None:
            continue
        shown += 1
        hq, kl = index.get((dataset, variant, HIGH_QUALITY_FRACTION)), index.get((dataset, variant, REVERSE_KL))
        mean = numbers[MODES_COVERED][0]
        if np.isfinite(modes["ci_low"]):
            verdict = "yes" if modes["ci_low"] <= mean <= modes["ci_high"] else r"\textbf{no}"
        else:
            verdict = "too few seeds"
        cite = r"\cite{pacgan}" if source in (PACGAN, PACGAN_2) else r"\cite{veegan}"
        lines.append(" & ".join([
            latex_escape(dataset), model, latex_escape(variant),
            _published_cell(numbers[MODES_COVERED], 1, 1), _cell(modes, digits=1),
            _published_cell(numbers.get(HIGH_QUALITY_FRACTION), 100, 1), _cell(hq, scale=100, digits=1),
            _published_cell(numbers.get(REVERSE_KL), 1, 2), _cell(kl, digits=2),
            cite, verdict,
        ]) + r" \\")
    if not shown:
        lines.append(r"\multicolumn{11}{l}{This study trains none of the published models' variants.} \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def sweeps_section(*, summary: pd.DataFrame, runs: pd.DataFrame, tests: pd.DataFrame, sweep_runs: list[str]) -> str:
    """The sweeps' figure and table, or a sentence saying the study sweeps nothing."""
    if not sweep_runs:
        return "This study sweeps no training setting.\n"
    return "\n".join([
        r"Figure~\ref{fig:sweeps} and Table~\ref{tab:sweeps} change one training setting of a variant at a time",
        r"(run names \texttt{variant@setting=value}); everything else stays as in Table~\ref{tab:settings}.",
        r"\begin{figure}[ht]\centering",
        r"\includegraphics[width=\linewidth]{figures/sweeps.pdf}",
        r"\caption{Share of modes covered at the final step against each swept setting (mean and 95\% bootstrap CI across seeds).}",
        r"\label{fig:sweeps}\end{figure}",
        r"\begin{table}[ht]\centering\footnotesize",
        r"\resizebox{\linewidth}{!}{" + results_table(summary=summary, runs=runs, tests=tests, variants=sweep_runs) + "}",
        r"\caption{Final-step results of the sweep points (as Table~\ref{tab:results}).}\label{tab:sweeps}",
        r"\end{table}",
        "",
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
            r"\begin{figure}[ht]\centering",
            rf"\includegraphics[width=\linewidth]{{figures/samples_{dataset}.pdf}}",
            rf"\caption{{{caption}}}",
            rf"\label{{fig:samples-{dataset}}}\end{{figure}}",
        ]
        if is_image(dataset):
            blocks += [
                r"\begin{figure}[ht]\centering",
                rf"\includegraphics[width=\linewidth]{{figures/modes_{dataset}.pdf}}",
                rf"\caption{{{name}: share of each digit among the final samples as the evaluator classifier reads them"
                + (" (per colour channel)" if get_dataset(dataset).stacked else "")
                + r", mean and 95\% bootstrap CI across seeds; black marks: the training data.}",
                rf"\label{{fig:modes-{dataset}}}\end{{figure}}",
            ]
    return "\n".join(blocks) + "\n"


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


def _macro(name: str, value: Any) -> str:
    return rf"\newcommand{{\{name}}}{{{value}}}"


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


def study_macros(*, study: Mapping[str, Any], runs: pd.DataFrame) -> str:
    table, shared, image_shared = settings_table(study)
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
        _macro("StudyCollapseShare", f"{study['evaluation']['collapse_coverage']:.0%}".replace("%", r"\%")),
        _macro("StudyDevices", ", ".join(sorted(set(runs["device"])))),
        _macro("StudyTrainHours", f"{runs['wall_time_s'].sum() / 3600:.2f}"),
        _macro("StudyCommit", latex_escape(_commit(runs))),
        _macro("SettingsTable", table),
        _macro("SharedSettings", shared),
        _macro("ImageSettings", image_shared),
        _macro("StudyConfidence", f"{study['evaluation']['confidence']:g}"),
        _macro("StudyImageSamples", f"{TrainSettings(**shared_settings(study, image=True)).snapshot_samples:,}".replace(",", "{,}")),
        _macro("Baseline", latex_escape(BASELINE)),
        _macro("StudyEnsembleSize", study.get("ensemble_size") or len(study["seeds"])),
        _macro("VariantsTable", variants_table(list(study["variants"]))),
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
